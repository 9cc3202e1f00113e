"""`make cluster-demo`: the demo tenants' whole graph launched through the running cluster over
their last complete days, into the PostgreSQL warehouse: one calls_job run per tenant, then one
marts_job run for all of them; prints, per run, which worker ran it."""

import time
from datetime import date, timedelta

from callintel_dagster.cluster.launch import TENANT_TAG, ClusterClient, RunOutcome
from callintel_dagster.cluster.processes import running
from callintel_dagster.cluster.services import ClusterError
from callintel_dagster.cluster.settings import ClusterSettings
from callintel_dagster.env import current_env
from callintel_dagster.lib.dayspan import local_today
from callintel_dagster.lib.tenants.registry import Tenant, load_registry
from callintel_dagster.partitions import TENANTS_TAG, tenant_day_key


def last_complete_days(tenants: list[Tenant], days: int) -> tuple[date, date]:
    """The last `days` days complete in every tenant's timezone (as `make demo` picks them)."""
    last = min(local_today(t.timezone) for t in tenants) - timedelta(days=1)
    return last - timedelta(days=days - 1), last


def run_tenants(
    settings: ClusterSettings, tenant_ids: list[str], first: date, last: date, log=None
) -> list[RunOutcome]:
    """The tenants' whole graph over first..last in two halves (jobs.py): one calls_job run per
    tenant, launched together so the workers share them; when all have ended, one marts_job run
    over every tenant's days, so dbt builds the marts once, not once per tenant. Outcomes in that
    order; the marts are not built when a calls run failed."""
    client = ClusterClient("127.0.0.1", settings.port)
    log = log or (lambda line: print(line, flush=True))
    runs = {}
    for tenant in tenant_ids:
        run_id = client.launch_range(
            "calls_job",
            tenant_day_key(tenant, first.isoformat()),
            tenant_day_key(tenant, last.isoformat()),
            # a range run has no dagster/partition/tenant tag: the queue's per-tenant limit
            # (deploy/dagster.cluster.yaml) reads this one
            extra_tags={TENANT_TAG: tenant},
        )
        log(f"  launched calls_job for {tenant}: run {run_id}")
        runs[run_id] = tenant
    outcomes = client.wait(runs)
    if any(o.status != "SUCCESS" for o in outcomes):
        log("  a calls_job run failed: the marts are not built")
        return outcomes
    for group in tenant_ranges(tenant_ids, client.tenant_keys()):
        label = f"marts of {', '.join(group) if len(group) <= 3 else f'{len(group)} tenants'}"
        run_id = client.launch_range(
            "marts_job",
            tenant_day_key(group[0], first.isoformat()),
            tenant_day_key(group[-1], last.isoformat()),
            extra_tags={TENANTS_TAG: ",".join(group)},
        )
        log(f"  launched marts_job ({label}): run {run_id}")
        outcomes += client.wait({run_id: label})  # one at a time: each holds the dbt pool
    return outcomes


def tenant_ranges(tenant_ids: list[str], order: list[str]) -> list[list[str]]:
    """The tenants as runs of neighbours in the instance's key order, each a rectangle that one
    range run can cover without taking in a tenant that was not asked for."""
    missing = sorted(set(tenant_ids) - set(order))
    if missing:
        raise ClusterError(
            f"not registered as partitions yet: {', '.join(missing)} (the daemon's "
            "tenant_registry_sensor adds the registry's tenants; wait a minute after cluster-up)"
        )
    wanted = set(tenant_ids)
    ranges: list[list[str]] = [[]]
    for tenant in order:
        if tenant in wanted:
            ranges[-1].append(tenant)
        elif ranges[-1]:
            ranges.append([])
    return [r for r in ranges if r]


def run_demo(settings: ClusterSettings, days: int) -> int:
    if days < 1:
        raise ValueError("--days must be at least 1")
    missing = {"webserver", "daemon", "worker1"} - set(running(settings))
    if missing:
        raise ClusterError(f"not running: {', '.join(sorted(missing))}; run `make cluster-up`")
    tenants = load_registry(current_env().tenants_path).active
    first, last = last_complete_days(tenants, days)
    print(
        f"cluster demo: calls_job and marts_job for {len(tenants)} tenants x {days} days ({first} .. {last}) "
        f"through {settings.url}, warehouse {settings.warehouse_url}",
        flush=True,
    )
    began = time.perf_counter()
    outcomes = run_tenants(settings, [t.id for t in tenants], first, last)
    for outcome in outcomes:
        print("  " + outcome.line())
    print(f"cluster demo: {len(outcomes)} runs in {time.perf_counter() - began:.0f} s")
    return 0 if all(o.status == "SUCCESS" for o in outcomes) else 1
