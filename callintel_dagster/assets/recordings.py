"""Recordings: each call's audio fetched once and archived under the tenant's prefix."""

import dagster as dg
import pandas as pd

from callintel_dagster.assets.common import PROVIDER_FACING, utcnow
from callintel_dagster.assets.metadata import (
    by_partition,
    counts,
    preview,
    reason_counts,
    run_totals,
)
from callintel_dagster.assets.tenant_loop import TenantRun
from callintel_dagster.lib.tables import CALL_RECORDINGS
from callintel_dagster.resources.audio import AudioArchive
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.recordings import archive_tenant


@dg.asset(group_name="ingest", deps=["call_records"], kinds={"python"}, **PROVIDER_FACING)
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
    by_partition(
        context,
        frame,
        lambda own: {
            "dagster/row_count": len(own),
            "by_status": counts(own, "recording_status"),
            "reasons": reason_counts(own),
            "bytes": int(own["bytes"].fillna(0).sum()) if len(own) else 0,
            "preview": preview(own, ["call_id", "recording_status", "archive_uri", "reason"]),
        },
    )
    return dg.MaterializeResult(
        metadata={"fetched_now": fetched, **run_totals(context, {"rows": len(frame)})}
    )
