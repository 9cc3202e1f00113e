"""Deliver: each analysed call's contact tag and one-line summary written on its lead in the
tenant's CRM, once per call and agent version (the work: stages/writeback.py)."""

from collections import Counter

import dagster as dg
import pandas as pd

from callintel_dagster.assets.common import PROVIDER_FACING
from callintel_dagster.assets.metadata import by_partition, per_partition, preview, run_totals
from callintel_dagster.assets.metadata import counts as by_status
from callintel_dagster.assets.tenant_loop import TenantRun
from callintel_dagster.lib.tables import CRM_WRITEBACKS
from callintel_dagster.resources.crm_writeback import CrmWriters, writeback_enabled
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.writeback import COUNTS, write_back


@dg.asset(
    group_name="deliver", deps=["call_analyses", "fct_calls"], kinds={"python"}, **PROVIDER_FACING
)
def crm_writeback(
    context: dg.AssetExecutionContext,
    registry: TenantRegistry,
    crm_writers: CrmWriters,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """One row per analysed call and agent version of tenants with `crm.writeback: true`
    (delivery.crm_writebacks): the note or activity written on its lead (written), no lead
    matched (no_lead), a CRM without a write API (no_crm_api), or the failure and attempts."""
    run, rows, counts, off, requests = TenantRun(context, registry), [], Counter(), [], 0
    per_day: dict[str, Counter] = {}
    for tenant, days in run.tenants():
        if not writeback_enabled(tenant):
            off.append(tenant.id)
            continue
        tenant_rows, errors = [], []
        try:
            writer = crm_writers.for_tenant(tenant)
            try:
                for day in days:  # day by day, so each tenant-day records its own counts
                    done = write_back(tenant, [day], writer, warehouse)
                    per_day[f"{day.isoformat()}|{tenant.id}"] = done.counts
                    tenant_rows += done.rows
                    errors += done.errors
                    counts.update(done.counts)
            finally:
                requests += writer.requests
                writer.close()
        except Exception as exc:  # a bad key or a missing mart fails this tenant, not the others
            run.fail(tenant, "crm write-back", exc)
            continue
        rows += tenant_rows
        if errors:  # recorded in the ledger and retried later, but never a green run
            n, first = len(errors), errors[0]
            run.fail(tenant, "crm write-back", RuntimeError(f"{n} write(s) failed: {first}"))
    if off:
        context.log.info(f"crm write-back is off for {', '.join(off)} (crm.writeback: false)")
    frame = pd.DataFrame(rows, columns=CRM_WRITEBACKS.column_names)
    run.raise_failures()
    by_partition(
        context,
        frame,
        lambda own: {
            "dagster/row_count": len(own),
            "by_status": by_status(own, "status"),
            "preview": preview(own, ["tenant_id", "call_id", "status", "lead_id", "remote_id"]),
        },
    )
    # each tenant-day's own outcomes; over more partitions, the run's (run_totals)
    if per_partition(context):
        for key, own in per_day.items():
            context.add_asset_metadata(
                {name: own.get(name, 0) for name in COUNTS}, partition_key=key
            )
    totals = {**{name: counts.get(name, 0) for name in COUNTS}, "requests": requests}
    return dg.MaterializeResult(metadata={"writeback_off": off, **run_totals(context, totals)})
