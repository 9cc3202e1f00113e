"""One tenant's recordings for a run: each call's audio fetched once and archived.

A call keeps its recorded row when the source still points at the same audio and the row is not
marked `retry`; otherwise the audio is fetched again and archived under the tenant's prefix.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from callintel_dagster.lib.tables import CALL_RECORDINGS, CALL_RECORDS
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.audio_store import AudioStore, AudioUnavailable
from callintel_dagster.providers.base import RetryableProviderError
from callintel_dagster.resources.warehouse import Warehouse


@dataclass
class TenantRecordings:
    rows: list[dict] = field(default_factory=list)  # one per call with a recording_url
    fetched: int = 0  # recordings fetched in this run (the others were archived before)


def archive_tenant(
    warehouse: Warehouse, tenant: Tenant, days: list[date], store: AudioStore, now: datetime
) -> TenantRecordings:
    """`store`: the audio store (providers/audio_store.py) that fetches and archives audio."""
    slices, out = [(tenant.id, d) for d in days], TenantRecordings()
    calls = warehouse.read_slices(
        CALL_RECORDS.qualified, slices, "tenant_id, partition_date, call_id, recording_url"
    )
    previous = {
        r["call_id"]: r
        for r in warehouse.read_slices(CALL_RECORDINGS.qualified, slices).to_dict("records")
    }
    for call in calls.dropna(subset=["recording_url"]).to_dict("records"):
        prior = previous.get(call["call_id"])
        if (
            prior
            and prior["location"] == call["recording_url"]
            and prior["recording_status"] != "retry"
        ):
            out.rows.append(prior)  # archived (or known unavailable) once: not fetched again
            continue
        out.fetched += 1
        out.rows.append(_archive(store, call, now))
    return out


def _archive(store: AudioStore, call: dict, now: datetime) -> dict:
    row = {
        "tenant_id": call["tenant_id"],
        "partition_date": call["partition_date"],
        "call_id": call["call_id"],
        "location": call["recording_url"],
        "archived_at_utc": now,
    }
    try:
        audio = store.fetch(call["tenant_id"], call["call_id"], call["recording_url"])
    except AudioUnavailable as exc:
        return row | {"recording_status": "unavailable", "reason": exc.reason}
    except RetryableProviderError as exc:  # still failing after retries: try on the next run
        return row | {"recording_status": "retry", "reason": str(exc)[:300]}
    return row | {
        "recording_status": "archived",
        "archive_uri": audio.path_or_uri,
        "bytes": audio.bytes_len,
        "sha256": audio.sha256,
        "content_type": audio.content_type,
    }
