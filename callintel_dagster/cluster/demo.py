"""`make cluster-demo`: the demo tenants' whole graph (daily_job) launched through the running
cluster, one run per tenant over its last complete days, into the PostgreSQL warehouse; prints,
per run, which worker ran it."""

import time
from datetime import timedelta

from callintel_dagster.cluster.launch import ClusterClient
from callintel_dagster.cluster.processes import ClusterError, running
from callintel_dagster.cluster.settings import ClusterSettings
from callintel_dagster.env import current_env
from callintel_dagster.lib.dayspan import local_today
from callintel_dagster.lib.tenants.registry import load_registry
from callintel_dagster.partitions import tenant_day_key


def run_demo(settings: ClusterSettings, days: int) -> int:
    if days < 1:
        raise ValueError("--days must be at least 1")
    missing = {"webserver", "daemon", "worker1"} - set(running(settings))
    if missing:
        raise ClusterError(f"not running: {', '.join(sorted(missing))}; run `make cluster-up`")
    tenants = load_registry(current_env().tenants_path).active
    last = min(local_today(t.timezone) for t in tenants) - timedelta(days=1)
    first = last - timedelta(days=days - 1)
    client = ClusterClient("127.0.0.1", settings.port)
    print(
        f"cluster demo: daily_job for {len(tenants)} tenants x {days} days ({first} .. {last}) "
        f"through {settings.url}, warehouse {settings.warehouse_url}",
        flush=True,
    )
    began = time.perf_counter()
    runs = {
        client.launch_range(
            "daily_job",
            tenant_day_key(t.id, first.isoformat()),
            tenant_day_key(t.id, last.isoformat()),
        ): t.id
        for t in tenants
    }
    for run_id, tenant in runs.items():
        print(f"  launched {tenant}: run {run_id}", flush=True)
    outcomes = client.wait(runs)
    for outcome in outcomes:
        print("  " + outcome.line())
    print(f"cluster demo: {len(outcomes)} runs in {time.perf_counter() - began:.0f} s")
    return 0 if all(o.status == "SUCCESS" for o in outcomes) else 1
