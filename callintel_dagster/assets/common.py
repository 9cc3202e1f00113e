"""Settings shared by every tenant × day asset."""

from datetime import UTC, datetime

import dagster as dg

from callintel_dagster.partitions import tenant_day_partitions

# One run may cover many tenant-days (backfills, the 5-minute sync): each asset loops over them.
# Who answers for the data in the UI (the catalog's Owner column); a deployment names its team.
OWNERS = ["team:callintel"]
PARTITIONED = dict(
    partitions_def=tenant_day_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    owners=OWNERS,
)


def utcnow() -> datetime:
    """Naive UTC, the warehouse's timestamp convention."""
    return datetime.now(UTC).replace(tzinfo=None)
