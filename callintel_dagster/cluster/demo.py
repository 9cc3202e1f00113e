"""`make cluster-demo`: the demo tenants' whole graph (daily_job) launched through the running
cluster, one run per tenant over its last complete days, into the PostgreSQL warehouse; prints,
per run, which worker ran it."""

import time
from datetime import date, timedelta

import psycopg2

from callintel_dagster.cluster.launch import TENANT_TAG, ClusterClient, RunOutcome
from callintel_dagster.cluster.processes import running
from callintel_dagster.cluster.services import ClusterError
from callintel_dagster.cluster.settings import ClusterSettings
from callintel_dagster.env import current_env
from callintel_dagster.lib.dayspan import local_today
from callintel_dagster.lib.tenants.registry import Tenant, load_registry
from callintel_dagster.partitions import tenant_day_key


def last_complete_days(tenants: list[Tenant], days: int) -> tuple[date, date]:
    """The last `days` days complete in every tenant's timezone (as `make demo` picks them)."""
    last = min(local_today(t.timezone) for t in tenants) - timedelta(days=1)
    return last - timedelta(days=days - 1), last


def warehouse_has_marts(url: str) -> bool:
    with psycopg2.connect(url, connect_timeout=5) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM information_schema.tables WHERE table_name = 'fct_calls'")
        return cur.fetchone() is not None


def run_tenants(
    settings: ClusterSettings, tenant_ids: list[str], first: date, last: date, log=None
) -> list[RunOutcome]:
    """One daily_job run per tenant over first..last, launched together; on a new warehouse
    the first tenant's run goes alone, because dbt's first build of a mart is a CREATE TABLE
    that two concurrent runs would both attempt (docs/cluster.md#known-limits)."""
    client = ClusterClient("127.0.0.1", settings.port)
    log = log or (lambda line: print(line, flush=True))

    def launch(ids: list[str]) -> dict[str, str]:
        runs = {}
        for tenant in ids:
            run_id = client.launch_range(
                "daily_job",
                tenant_day_key(tenant, first.isoformat()),
                tenant_day_key(tenant, last.isoformat()),
                # a range run has no dagster/partition/tenant tag: the queue's per-tenant limit
                # (deploy/dagster.cluster.yaml) reads this one
                extra_tags={TENANT_TAG: tenant},
            )
            log(f"  launched {tenant}: run {run_id}")
            runs[run_id] = tenant
        return runs

    outcomes: list[RunOutcome] = []
    todo = list(tenant_ids)
    if todo and not warehouse_has_marts(settings.warehouse_url):
        log("  new warehouse: the first run builds the marts alone")
        outcomes += client.wait(launch(todo[:1]))
        todo = todo[1:]
    return outcomes + client.wait(launch(todo))


def run_demo(settings: ClusterSettings, days: int) -> int:
    if days < 1:
        raise ValueError("--days must be at least 1")
    missing = {"webserver", "daemon", "worker1"} - set(running(settings))
    if missing:
        raise ClusterError(f"not running: {', '.join(sorted(missing))}; run `make cluster-up`")
    tenants = load_registry(current_env().tenants_path).active
    first, last = last_complete_days(tenants, days)
    print(
        f"cluster demo: daily_job for {len(tenants)} tenants x {days} days ({first} .. {last}) "
        f"through {settings.url}, warehouse {settings.warehouse_url}",
        flush=True,
    )
    began = time.perf_counter()
    outcomes = run_tenants(settings, [t.id for t in tenants], first, last)
    for outcome in outcomes:
        print("  " + outcome.line())
    print(f"cluster demo: {len(outcomes)} runs in {time.perf_counter() - began:.0f} s")
    return 0 if all(o.status == "SUCCESS" for o in outcomes) else 1
