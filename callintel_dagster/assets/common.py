"""Settings shared by every tenant × day asset."""

from datetime import UTC, datetime, timedelta

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


# Provider-facing steps: a failure that can pass (a provider's 429/5xx/timeouts still failing after
# the HTTP layer's own retries, a pool wait that timed out) is tried again twice, after ~5 s and
# ~10 s (±jitter); a refused key or bad data is not (TenantRun.raise_failures disallows it).
PROVIDER_RETRY = dg.RetryPolicy(
    max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
PROVIDER_FACING = dict(**PARTITIONED, retry_policy=PROVIDER_RETRY)
# The dbt step's pool: cluster mode limits it to 1 (callintel_dagster/cluster/processes.py), one
# dbt build at a time against the shared warehouse.
DBT_POOL = "dbt_warehouse"


# What "fresh" means, shown on the asset pages and the UI's freshness view: the 5-minute sync has
# missed three ticks (warn) or six (fail); the digest has not gone out for a day (+ slack for
# send times across timezones). Per-tenant staleness alerts: callintel_dagster/alerts.
SYNC_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(minutes=30), warn_window=timedelta(minutes=15)
)
DIGEST_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=26), warn_window=timedelta(hours=24, minutes=45)
)


def utcnow() -> datetime:
    """Naive UTC, the warehouse's timestamp convention."""
    return datetime.now(UTC).replace(tzinfo=None)
