"""Recordings: each call's audio fetched once and archived under the tenant's prefix."""

import dagster as dg
import pandas as pd

from callintel_dagster.assets.common import PARTITIONED, utcnow
from callintel_dagster.assets.metadata import counts, preview
from callintel_dagster.assets.tenant_loop import TenantRun
from callintel_dagster.lib.tables import CALL_RECORDINGS
from callintel_dagster.resources.audio import AudioArchive
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.recordings import archive_tenant


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
        done = archive_tenant(warehouse, tenant, days, store, now)
        rows += done.rows
        fetched += done.fetched
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
