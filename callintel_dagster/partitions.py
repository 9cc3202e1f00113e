"""Partitions: the tenant's local calendar day × the dynamic set of tenants."""

from datetime import date

import dagster as dg

TENANT_DIM = "tenant"
DATE_DIM = "date"

tenants_partitions = dg.DynamicPartitionsDefinition(name="tenants")
# end_offset=2: a tenant east of UTC (up to UTC+14) already lives in the next UTC day, and its
# local "today" must be a partition the 5-minute sync can materialize.
daily_partitions = dg.DailyPartitionsDefinition(start_date="2025-01-01", end_offset=2)
tenant_day_partitions = dg.MultiPartitionsDefinition(
    {DATE_DIM: daily_partitions, TENANT_DIM: tenants_partitions}
)


def tenant_day_key(tenant_id: str, day: str) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({TENANT_DIM: tenant_id, DATE_DIM: day})


def partition_slices(context: dg.AssetExecutionContext) -> list[tuple[str, date]]:
    """The (tenant_id, local day) pairs a run materializes: one, or many in a single-run backfill."""
    slices = []
    for key in context.partition_keys:
        day, tenant_id = str(key).split("|")  # dimensions are ordered by name: date|tenant
        slices.append((tenant_id, date.fromisoformat(day)))
    return sorted(slices)
