"""Partitions: the tenant's local calendar day × the dynamic set of tenants."""

import os
from datetime import date

import dagster as dg

TENANT_DIM = "tenant"
DATE_DIM = "date"
# The first local day the partition grid shows. A recent default keeps the UI's grid to the days
# that can have data; a deployment with older history sets CALLINTEL_FIRST_DAY (YYYY-MM-DD).
DEFAULT_FIRST_DAY = "2026-09-01"


def first_day() -> str:
    """CALLINTEL_FIRST_DAY, checked. Read when this module loads (the one exception to reading the
    environment at call time): Dagster needs the partitions when the assets are declared."""
    value = os.environ.get("CALLINTEL_FIRST_DAY") or DEFAULT_FIRST_DAY
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise ValueError(f"CALLINTEL_FIRST_DAY={value!r} is not a date like 2026-09-01") from None


tenants_partitions = dg.DynamicPartitionsDefinition(name="tenants")
# end_offset=2: a tenant east of UTC (up to UTC+14) already lives in the next UTC day, and its
# local "today" must be a partition the 5-minute sync can materialize.
daily_partitions = dg.DailyPartitionsDefinition(start_date=first_day(), end_offset=2)
tenant_day_partitions = dg.MultiPartitionsDefinition(
    {DATE_DIM: daily_partitions, TENANT_DIM: tenants_partitions}
)


def tenant_day_key(tenant_id: str, day: str) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({TENANT_DIM: tenant_id, DATE_DIM: day})


# Dagster's tags for ONE run over a range of partitions (a single-run backfill)
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


TENANTS_TAG = "callintel/tenants"  # which tenants a range run over many covers, for the UI


def range_tags(first: object, last: object) -> dict[str, str]:
    """Tags for one run over the tenant × day rectangle from `first` to `last` (keys or
    `date|tenant` strings; the rectangle follows the instance's order of the tenant keys): how
    the sync schedule, the demo, the cluster and backfills run many tenant-days at once."""
    return {RANGE_START: str(first), RANGE_END: str(last)}


def partition_slices(context: dg.AssetExecutionContext) -> list[tuple[str, date]]:
    """The (tenant_id, local day) pairs a run materializes: one, or many in a single-run backfill."""
    slices = []
    for key in context.partition_keys:
        day, tenant_id = str(key).split("|")  # dimensions are ordered by name: date|tenant
        slices.append((tenant_id, date.fromisoformat(day)))
    return sorted(slices)
