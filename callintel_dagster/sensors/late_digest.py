"""A digest that missed its send time goes out late, once, rather than never.

The digest schedule asks for yesterday's run at each tenant's send time; when that tick was
missed (the daemon was down) or the run failed before the digest step, nothing would ever send
it. This sensor looks for tenants whose send time passed more than `GRACE` ago with no digest
recorded for yesterday and no run of it still going, and requests that tenant-day's run once
(run key `digest-late:<tenant>:<day>`), tagged so the digest says it is late. Only yesterday: a
digest several days old is news no manager wants at 9 a.m.
"""

from datetime import UTC, datetime, timedelta

import dagster as dg
import duckdb

from callintel_dagster.jobs import daily_job
from callintel_dagster.lib.dayspan import local_today, send_instant
from callintel_dagster.lib.tables import DIGESTS
from callintel_dagster.lib.tenants.registry import RegistryError
from callintel_dagster.partitions import tenant_day_key, tenants_partitions
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.digest import LATE_TAG

GRACE = timedelta(minutes=30)
SENT_SQL = f"SELECT DISTINCT tenant_id FROM {DIGESTS.qualified} WHERE partition_date = ?"


@dg.sensor(
    job=daily_job, minimum_interval_seconds=600, default_status=dg.DefaultSensorStatus.RUNNING
)
def late_digest_sensor(
    context: dg.SensorEvaluationContext, registry: TenantRegistry, warehouse: Warehouse
):
    try:
        tenants = registry.load().active
        requests = late_requests(context.instance, tenants, warehouse, datetime.now(UTC))
    except RegistryError as exc:
        return dg.SkipReason(f"tenant registry invalid: {exc}")
    except (TimeoutError, duckdb.IOException) as exc:  # a run holds the DuckDB file: next tick
        return dg.SkipReason(f"warehouse busy: {exc}")
    for request in requests:
        context.log.warning(f"{request.partition_key}: the digest missed its send time; late")
    return requests or dg.SkipReason("every digest due went out (or is on its way)")


def late_requests(instance: dg.DagsterInstance, tenants, warehouse: Warehouse, now: datetime):
    """Run requests for yesterday's digests whose send time + GRACE has passed unsent."""
    known = set(instance.get_dynamic_partitions(tenants_partitions.name))
    requests, sent_by_day = [], {}
    for tenant in (t for t in tenants if t.id in known):
        today = local_today(tenant.timezone, now)
        due = send_instant(tenant.digest.send_time, tenant.timezone, today)
        if now < due + GRACE:
            continue
        day = today - timedelta(days=1)
        if day not in sent_by_day:
            sent = warehouse.query(SENT_SQL, [day], timeout_s=15)
            sent_by_day[day] = set(sent["tenant_id"])
        key = str(tenant_day_key(tenant.id, day.isoformat()))
        if tenant.id in sent_by_day[day] or _in_flight(instance, key):
            continue
        requests.append(
            dg.RunRequest(
                run_key=f"digest-late:{tenant.id}:{day.isoformat()}",
                partition_key=key,
                tags={LATE_TAG: due.isoformat(timespec="minutes")},
            )
        )
    return requests


IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def _in_flight(instance: dg.DagsterInstance, partition_key: str) -> bool:
    runs = instance.get_run_records(
        dg.RunsFilter(
            job_name=daily_job.name,
            tags={"dagster/partition": partition_key},
            statuses=IN_FLIGHT,
        ),
        limit=1,
    )
    return bool(runs)
