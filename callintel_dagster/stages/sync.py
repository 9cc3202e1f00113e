"""One sync of a source for the run's tenant-days: fetch, upsert by provider id, advance the cursor.

- A run tagged `callintel/sync=incremental` (the 5-minute schedule) fetches, for the tenant's
  local today, only what changed since the tenant's cursor; any other run refetches its days in
  full. Either way records are upserted by (tenant, provider id) and nothing is deleted.
- Each tenant is written in its own transaction together with its cursor, so a failed sync never
  advances the cursor and one tenant's failure never blocks the others.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import dagster as dg
import pandas as pd

from callintel_dagster.assets.common import utcnow
from callintel_dagster.assets.metadata import counts, preview
from callintel_dagster.assets.tenant_loop import TenantRun
from callintel_dagster.lib.dayspan import day_window_utc, local_date_of, local_today
from callintel_dagster.lib.ingest.rows import dedupe_by_id
from callintel_dagster.lib.ingest.window import SyncWindow
from callintel_dagster.lib.tables import SYNC_CURSORS, SYNC_LOG, Table
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.resources.sources import CURSOR_OVERLAP
from callintel_dagster.resources.warehouse import RowUpsert, SliceWrite, Warehouse

SYNC_MODE_TAG = "callintel/sync"
COUNTERS = (
    "fetched",
    "inserted",
    "updated",
    "unchanged",
    "requests",
    "full_windows",
    "incremental_windows",
)


@dataclass(frozen=True)
class SyncSpec:
    name: str  # the asset, the sync_log source and the cursor name
    table: Table
    id_column: str
    fetch: Callable[[object, SyncWindow], list[dict]]
    to_rows: Callable[..., pd.DataFrame]  # (tenant_id, day, region, provider, records, now)
    timestamp_of: Callable[[dict], datetime | None]  # what puts a record on a local day
    preview_columns: list[str]
    status_column: str | None = None
    # (context, warehouse, tenant, rows, stats) -> rows kept; e.g. the CRM phone filter of calls
    keep: Callable[..., pd.DataFrame] | None = None
    # records the provider may still change (a Bolna call-disconnected before completed): re-read
    # by id on every sync until final, for sources that can (`fetch_by_ids`)
    pending_sql: str | None = None
    # a second record type the same source returns for the same windows (CRM deals with leads)
    companion: "SyncSpec | None" = None
    needs: str | None = None  # the source method a companion requires, e.g. "fetch_deals"


def run_sync(
    context: dg.AssetExecutionContext,
    run: TenantRun,
    warehouse: Warehouse,
    source_for: Callable[[Tenant], object],
    spec: SyncSpec,
) -> dg.MaterializeResult:
    incremental = context.run.tags.get(SYNC_MODE_TAG) == "incremental"
    now, frames = utcnow(), []
    stats: dict[str, int] = defaultdict(int, dict.fromkeys(COUNTERS, 0))
    for tenant, days in run.tenants():
        try:
            source = source_for(tenant)
            cursor = _cursor(warehouse, tenant.id, spec.name)
            records, logs, advanced, windows = [], [], False, []
            for day in days:
                start, end = day_window_utc(day, tenant.timezone)
                is_today = day == local_today(tenant.timezone)
                since = cursor - CURSOR_OVERLAP if incremental and is_today and cursor else None
                window = SyncWindow(tenant.id, day, start, end, now, since)
                windows.append(window)
                fetched = spec.fetch(source, window)
                records += fetched
                logs.append(_log_row(tenant.id, day, spec.name, source.provider, len(fetched), now))
                advanced |= is_today
                stats["incremental_windows" if since else "full_windows"] += 1
            if spec.pending_sql and hasattr(source, "fetch_by_ids"):
                pending = warehouse.query(spec.pending_sql, [tenant.id]).iloc[:, 0].tolist()
                if pending:
                    records += source.fetch_by_ids(pending)
                    stats["reread_pending"] += len(pending)
            frame = _rows(tenant, spec, source.provider, records, now)
            if spec.keep:
                frame = spec.keep(context, warehouse, tenant, frame, stats)
            _count_changes(warehouse, spec, tenant.id, frame, stats)
            ops = [
                RowUpsert(spec.table, ("tenant_id", spec.id_column), frame),
                SliceWrite(
                    SYNC_LOG,
                    [(tenant.id, d) for d in days],
                    pd.DataFrame(logs),
                    {"source": spec.name},
                ),
            ]
            if advanced:  # the cursor marks how far "today" has been read
                ops.append(
                    RowUpsert(
                        SYNC_CURSORS,
                        ("tenant_id", "source"),
                        pd.DataFrame(
                            [
                                {
                                    "tenant_id": tenant.id,
                                    "source": spec.name,
                                    "provider": source.provider,
                                    "cursor_utc": now,
                                    "updated_at_utc": now,
                                }
                            ]
                        ),
                    )
                )
            companion = spec.companion
            if companion and hasattr(source, companion.needs or ""):
                extra = [r for w in windows for r in companion.fetch(source, w)]
                extra_rows = _rows(tenant, companion, source.provider, extra, now)
                ops.append(
                    RowUpsert(companion.table, ("tenant_id", companion.id_column), extra_rows)
                )
                stats[companion.name] += len(extra_rows)
            warehouse.write(ops)
            if hasattr(source, "commit"):  # only now may a drop folder move what it took
                source.commit()
            frames.append(frame)
            stats["fetched"] += len(records)
            stats["requests"] += getattr(source, "requests", 0)
        except Exception as exc:  # noqa: BLE001 - isolate the tenant, report below
            run.fail(tenant, f"{spec.name} sync", exc)
    rows = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=spec.table.column_names)
    )
    metadata = {
        "dagster/row_count": len(rows),
        **{k: int(v) for k, v in sorted(stats.items())},
        "mode": "incremental" if incremental else "full",
        "invalid_phones": int((~rows["phone_valid"].astype(bool)).sum()) if len(rows) else 0,
        "phone_issues": counts(rows, "phone_issue"),
        "preview": preview(rows, spec.preview_columns),
    }
    if spec.status_column:
        metadata["by_status"] = counts(rows, spec.status_column)
    run.raise_failures()
    return dg.MaterializeResult(metadata=metadata)


def _rows(
    tenant: Tenant, spec: SyncSpec, provider: str, records: list[dict], now: datetime
) -> pd.DataFrame:
    """Rows grouped by each record's own local day (an overlap re-read may reach yesterday)."""
    by_day: dict[date, list[dict]] = defaultdict(list)
    for record in records:
        by_day[local_date_of(spec.timestamp_of(record), tenant.timezone)].append(record)
    frames = [
        spec.to_rows(tenant.id, day, tenant.default_region, provider, group, now)
        for day, group in sorted(by_day.items())
    ]
    frame = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=spec.table.column_names)
    )
    return dedupe_by_id(frame, spec.id_column)[0]


def _cursor(warehouse: Warehouse, tenant_id: str, source: str) -> datetime | None:
    found = warehouse.query(
        "SELECT cursor_utc FROM raw.sync_cursors WHERE tenant_id = ? AND source = ?",
        [tenant_id, source],
    )
    return None if found.empty else pd.Timestamp(found["cursor_utc"].iloc[0]).to_pydatetime()


def _count_changes(
    warehouse: Warehouse, spec: SyncSpec, tenant_id: str, frame: pd.DataFrame, stats: dict
) -> None:
    """inserted / updated / unchanged, by comparing content hashes with what is stored."""
    known: dict[str, str] = {}
    ids = frame[spec.id_column].tolist()
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        found = warehouse.query(
            f"SELECT {spec.id_column} AS id, record_hash FROM {spec.table.qualified} "
            f"WHERE tenant_id = ? AND {spec.id_column} IN ({', '.join('?' * len(chunk))})",
            [tenant_id, *chunk],
        )
        known.update(zip(found["id"], found["record_hash"], strict=True))
    for record_id, digest in zip(frame[spec.id_column], frame["record_hash"], strict=True):
        previous = known.get(record_id)
        stats[
            "inserted" if previous is None else "unchanged" if previous == digest else "updated"
        ] += 1


def _log_row(
    tenant_id: str, day: date, source: str, provider: str, fetched: int, now: datetime
) -> dict:
    return {
        "tenant_id": tenant_id,
        "partition_date": day,
        "source": source,
        "provider": provider,
        "fetched": fetched,
        "synced_at_utc": now,
    }
