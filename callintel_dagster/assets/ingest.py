"""Ingest: CRM leads and call records per tenant-local day, phones normalised to E.164.

A run tagged `callintel/sync=incremental` (the 5-minute schedule) reads only what changed since
each tenant's cursor; any other run refetches its days in full (stages/sync.py). One tenant's
failure never blocks the others.
"""

from collections.abc import Callable

import dagster as dg
import pandas as pd

from callintel_dagster.assets.common import PROVIDER_FACING, SYNC_FRESHNESS, utcnow
from callintel_dagster.assets.metadata import (
    counts,
    per_partition,
    per_tenant,
    preview,
    run_totals,
)
from callintel_dagster.assets.tenant_loop import TenantRun
from callintel_dagster.lib.tables import QUARANTINED_RECORDS
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.sources import CallSources, LeadSources
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.sync import (
    COUNTERS,
    SYNC_MODE_TAG,
    InTransaction,
    SyncSpec,
    fetch,
    finish,
    own_transaction,
    read_state,
    write,
)
from callintel_dagster.stages.sync_specs import CALLS, LEADS


@dg.asset(group_name="ingest", kinds={"python"}, freshness_policy=SYNC_FRESHNESS, **PROVIDER_FACING)
def crm_leads(
    context: dg.AssetExecutionContext,
    registry: TenantRegistry,
    lead_sources: LeadSources,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """One row per CRM lead, on the tenant-local day it was last modified (raw.crm_leads);
    upserted by lead id. CRMs with a deal pipeline (Zoho) also fill raw.crm_deals."""
    return _sync(
        context, registry, warehouse, lead_sources.for_tenant, LEADS, lambda t: t.crm.provider
    )


@dg.asset(group_name="ingest", kinds={"python"}, freshness_policy=SYNC_FRESHNESS, **PROVIDER_FACING)
def call_records(
    context: dg.AssetExecutionContext,
    registry: TenantRegistry,
    call_sources: CallSources,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """One row per call, on the tenant-local day it started (raw.call_records); upserted by
    call id."""
    return _sync(
        context, registry, warehouse, call_sources.for_tenant, CALLS, lambda t: t.calls.provider
    )


def _sync(
    context: dg.AssetExecutionContext,
    registry: TenantRegistry,
    warehouse: Warehouse,
    source_for: Callable,
    spec: SyncSpec,
    provider_of: Callable,
) -> dg.MaterializeResult:
    run, now = TenantRun(context, registry), utcnow()
    incremental = context.run.tags.get(SYNC_MODE_TAG) == "incremental"
    frames, held, stats = [], [], dict.fromkeys(COUNTERS, 0)
    stage = f"{spec.name} sync"
    warehouse.ensure_schema()
    # In phases, so the warehouse is opened twice per run rather than twice per tenant: every
    # tenant's state on one connection, the provider requests with none open, then each tenant's
    # own transaction on one connection (sync_tenant is the same for a single tenant).
    sources = run.each(stage, lambda tenant, days: (days, source_for(tenant)))
    with warehouse.connect() as con:
        db = InTransaction(warehouse, con)

        def state_of(tenant, got):
            days, source = got
            return days, source, read_state(db, tenant, source, spec)

        states = run.each_of(stage, sources, own_transaction(warehouse, con, state_of))

    def fetch_one(tenant, got):
        days, source, state = got
        return fetch(tenant, days, source, spec, now, state if incremental else state.full())

    fetched = run.each_of(stage, states, fetch_one)
    with warehouse.connect() as con:

        def write_one(tenant, got):
            write(warehouse, con, got, spec, now, context.log)
            return got

        written = run.each_of(stage, fetched, own_transaction(warehouse, con, write_one))
    synced = run.each_of(stage, written, lambda tenant, got: finish(got))
    for _, done in synced:
        frames.append(done.rows)
        held += done.quarantined
        for key, value in done.counts.items():
            stats[key] = stats.get(key, 0) + value
    run.raise_failures()
    empty = pd.DataFrame(columns=spec.table.column_names)
    frames = [f for f in frames if len(f)]  # concat of empty frames would guess dtypes
    rows = pd.concat(frames, ignore_index=True) if frames else empty
    quarantined = pd.DataFrame(held, columns=QUARANTINED_RECORDS.column_names)
    _partition_metadata(context, rows, quarantined, spec)
    totals = {k: int(v) for k, v in sorted(stats.items()) if not k.startswith("quarantined: ")}
    # where the sync loop's time went (per provider, the slowest tenant): what to look at when
    # the 5-minute tick runs long
    totals["tenant_seconds"] = dg.MetadataValue.json(run.timing(provider_of))
    return dg.MaterializeResult(
        metadata={"mode": "incremental" if incremental else "full", **run_totals(context, totals)}
    )


def _partition_metadata(
    context: dg.AssetExecutionContext,
    rows: pd.DataFrame,
    quarantined: pd.DataFrame,
    spec: SyncSpec,
) -> None:
    """Each partition's own figures, rows and quarantine together, as `by_partition` would give
    them, in ONE `add_asset_metadata` call per partition: Dagster reads the run's partition range
    from the instance on every call (a dynamic-partitions query), and the rows are grouped once
    instead of filtered once per partition. Over more than PER_PARTITION_MAX partitions, the
    run's rows and quarantined records per tenant instead."""
    if not per_partition(context):
        context.add_asset_metadata(
            {
                "run_rows_per_tenant": per_tenant(rows),
                "run_quarantined_per_tenant": per_tenant(quarantined),
            }
        )
        return
    rows_of, held_of = _by_slice(rows), _by_slice(quarantined)
    for key in context.partition_keys:
        day, tenant_id = str(key).split("|")  # dimensions are ordered by name: date|tenant
        own_rows = rows_of.get((tenant_id, day), rows.iloc[0:0])
        own_held = held_of.get((tenant_id, day), quarantined.iloc[0:0])
        context.add_asset_metadata(
            {**_metadata(own_rows, spec), **_quarantine_metadata(own_held)}, partition_key=key
        )


def _by_slice(frame: pd.DataFrame) -> dict[tuple[str, str], pd.DataFrame]:
    """The frame's rows by (tenant_id, local day as YYYY-MM-DD), in their order."""
    if frame.empty:
        return {}
    days = frame["partition_date"].astype(str).str[:10]
    return {
        (tenant_id, day): group
        for (tenant_id, day), group in frame.groupby([frame["tenant_id"], days], sort=False)
    }


def _metadata(rows: pd.DataFrame, spec: SyncSpec) -> dict:
    metadata = {
        "dagster/row_count": len(rows),
        "invalid_phones": int((~rows["phone_valid"].astype(bool)).sum()) if len(rows) else 0,
        "phone_issues": counts(rows, "phone_issue"),
        "repaired_rows": int(rows["repairs"].notna().sum()) if len(rows) else 0,
        "preview": preview(rows, spec.preview_columns),
    }
    if spec.status_column:
        metadata["by_status"] = counts(rows, spec.status_column)
    return metadata


def _quarantine_metadata(quarantined: pd.DataFrame) -> dict:
    return {
        "quarantined": len(quarantined),
        "quarantine_reasons": counts(quarantined, "reason"),
    }
