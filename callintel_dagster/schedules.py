"""Schedules for deadlines: the 5-minute sync and each tenant's daily digest at its local time."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from callintel_dagster.jobs import daily_job, sync_job
from callintel_dagster.lib.dayspan import local_today, send_instant
from callintel_dagster.partitions import TENANTS_TAG, range_tags, tenant_day_key, tenants_partitions
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.stages.sync import SYNC_MODE_TAG

DIGEST_TICK_MINUTES = 15


@dg.schedule(job=sync_job, cron_schedule="*/5 * * * *", execution_timezone="UTC")
def sync_schedule(context: dg.ScheduleEvaluationContext, registry: TenantRegistry):
    """ONE run for all active tenants: their local today, as a single-run partition range."""
    now = _tick_time(context)
    known = context.instance.get_dynamic_partitions(tenants_partitions.name)
    active = [t for t in registry.load().active if t.id in known]
    if not active:
        return dg.SkipReason("no active tenant is registered as a partition yet")
    todays = {local_today(t.timezone, now) for t in active}
    # A range is a rectangle over dynamic keys in the instance's order; tenants inside it that are
    # inactive and days that have not begun locally are skipped by the assets themselves.
    order = sorted(known.index(t.id) for t in active)
    start = tenant_day_key(known[order[0]], min(todays).isoformat())
    end = tenant_day_key(known[order[-1]], max(todays).isoformat())
    return dg.RunRequest(
        run_key=None,  # every tick syncs: the sources are incremental and the writes idempotent
        tags={
            **range_tags(start, end),
            TENANTS_TAG: ",".join(sorted(t.id for t in active)),
            SYNC_MODE_TAG: "incremental",  # only what changed since each tenant's cursor
        },
    )


@dg.schedule(
    job=daily_job, cron_schedule=f"*/{DIGEST_TICK_MINUTES} * * * *", execution_timezone="UTC"
)
def digest_schedule(context: dg.ScheduleEvaluationContext, registry: TenantRegistry):
    """Each tenant's yesterday, end to end, when its local send time falls in this tick."""
    now = _tick_time(context)
    known = set(context.instance.get_dynamic_partitions(tenants_partitions.name))
    requests = []
    for tenant in registry.load().active:
        if tenant.id in known and send_time_in_tick(tenant.digest.send_time, tenant.timezone, now):
            day = local_today(tenant.timezone, now) - timedelta(days=1)
            requests.append(
                dg.RunRequest(
                    run_key=f"digest:{tenant.id}:{day.isoformat()}",
                    partition_key=str(tenant_day_key(tenant.id, day.isoformat())),
                )
            )
    return requests or dg.SkipReason("no tenant's send time falls in this tick")


def send_time_in_tick(
    send_time, tz: str, tick_utc: datetime, minutes: int = DIGEST_TICK_MINUTES
) -> bool:
    """True when the tenant's send instant lies in (tick - minutes, tick]: exactly one tick a day.

    Compared as UTC instants, never as wall-clock times (Python compares two datetimes of the same
    zone by their wall clocks, which a DST change breaks). A send time in the spring-forward gap
    (01:30 on a day London skips from 01:00 to 02:00) goes out as many minutes after the gap's
    start as it names; one that occurs twice in the autumn goes out at its first occurrence.
    """
    return any(
        tick_utc - timedelta(minutes=minutes) < instant <= tick_utc
        for instant in _send_instants(send_time, tz, tick_utc, minutes)
    )


def _send_instants(send_time, tz: str, tick_utc: datetime, minutes: int) -> set[datetime]:
    """The UTC send instants of the local days the tick window touches."""
    zone = ZoneInfo(tz)
    days = {
        (tick_utc - timedelta(minutes=minutes)).astimezone(zone).date(),
        tick_utc.astimezone(zone).date(),
    }
    return {send_instant(send_time, tz, d) for d in days}


def _tick_time(context: dg.ScheduleEvaluationContext) -> datetime:
    when = context.scheduled_execution_time or datetime.now(UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)
