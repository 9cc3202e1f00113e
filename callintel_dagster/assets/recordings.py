"""Recordings: each call's audio fetched once and archived under the tenant's prefix."""

import dagster as dg
import pandas as pd

from callintel_dagster.assets.common import PARTITIONED, utcnow
from callintel_dagster.assets.metadata import counts, preview
from callintel_dagster.assets.tenant_loop import TenantRun
from callintel_dagster.lib.tables import CALL_RECORDINGS
from callintel_dagster.providers.audio_store import AudioUnavailable
from callintel_dagster.providers.base import RetryableProviderError
from callintel_dagster.resources.audio import AudioArchive
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.warehouse import Warehouse


@dg.asset(group_name="ingest", deps=["call_records"], kinds={"python"}, **PARTITIONED)
def call_recordings(
    context: dg.AssetExecutionContext,
    registry: TenantRegistry,
    audio_archive: AudioArchive,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """One row per call that carries a recording: where the audio came from, where it is archived
    (or why it is unavailable, or that it will be retried) (raw.call_recordings)."""
    run, now, rows, fetched = TenantRun(context, registry), utcnow(), [], 0
    store = audio_archive.store()
    for tenant, days in run.tenants():
        slices = [(tenant.id, d) for d in days]
        calls = warehouse.read_slices(
            "raw.call_records", slices, "tenant_id, partition_date, call_id, recording_url"
        )
        previous = {
            r["call_id"]: r
            for r in warehouse.read_slices("raw.call_recordings", slices).to_dict("records")
        }
        for call in calls.dropna(subset=["recording_url"]).to_dict("records"):
            prior = previous.get(call["call_id"])
            if (
                prior
                and prior["location"] == call["recording_url"]
                and prior["recording_status"] != "retry"
            ):
                rows.append(prior)  # archived (or known unavailable) once: not fetched again
                continue
            fetched += 1
            rows.append(_archive(store, call, now))
    frame = pd.DataFrame(rows, columns=CALL_RECORDINGS.column_names)
    warehouse.replace_slices(CALL_RECORDINGS, run.done_slices(), frame)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(frame),
            "fetched_now": fetched,
            "by_status": counts(frame, "recording_status"),
            "reasons": counts(frame, "reason"),
            "bytes": int(frame["bytes"].fillna(0).sum()) if len(frame) else 0,
            "preview": preview(frame, ["call_id", "recording_status", "archive_uri", "reason"]),
        }
    )


def _archive(store, call: dict, now) -> dict:
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
