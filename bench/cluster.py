"""Benchmark: cluster mode with one Celery worker against two, on a PostgreSQL warehouse.

For each worker count: a fresh Dagster instance database, a fresh warehouse database and a queue
of its own; `cluster up` (daemon, webserver, workers); a warm-up (a tenant-day per worker: each
worker imports the code, dbt builds the marts); then the timed part, as `make cluster-demo` runs
it: one calls_job run per tenant over its days, all launched at once through the webserver and
shared by the workers, then one marts_job run (one dbt build) for every tenant's days. Prints wall
time, tenant-days per second, the two halves' times, the marts run's steps and the ratio two
workers / one.

    .venv/bin/python -m bench.cluster                       # 20 tenants x 7 days (long)
    .venv/bin/python -m bench.cluster --tenants 4 --days 2  # a few minutes
    .venv/bin/python -m bench.cluster --calls 10            # 20 x 7, fewer calls per day

Both workers share this machine's cores: the ratio says what a second worker on the same host
buys; on separate hosts each worker brings its own cores.
"""

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path

import psycopg2

from callintel_dagster.cluster.demo import last_complete_days, run_tenants
from callintel_dagster.cluster.launch import ClusterClient
from callintel_dagster.cluster.processes import down, up
from callintel_dagster.cluster.services import forget_queue
from callintel_dagster.cluster.settings import cluster_settings
from callintel_dagster.lib.tenants.registry import load_registry

TENANT = """
  - id: bench_{n:02d}
    name: Bench {n:02d}
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: {calls}, seed: {n}}}
    crm: {{provider: synthetic, leads_per_day: {leads}}}
    stt: {{provider: passthrough}}
    llm: {{provider: offline}}
    embeddings: {{provider: local}}
    digest: {{provider: outbox, recipients: ["+919812345678"]}}
"""
PG = "postgresql://postgres@127.0.0.1:5432"


def drop(db: str) -> None:
    admin = psycopg2.connect(f"{PG}/postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    admin.close()


def measure(workers: int, tenants: list[str], days: int, home: Path) -> float:
    tag = uuid.uuid4().hex[:8]
    dagster_db, warehouse_db = f"bench_cluster_dagster_{tag}", f"bench_cluster_wh_{tag}"
    os.environ.update(
        CALLINTEL_HOME=str(home / f"w{workers}"),
        CALLINTEL_CLUSTER_DAGSTER_DB=dagster_db,
        CALLINTEL_WAREHOUSE_URL=f"{PG}/{warehouse_db}",
        CALLINTEL_CELERY_QUEUE=f"bench_{tag}",
        CALLINTEL_CLUSTER_WORKERS=str(workers),
    )
    settings = cluster_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    registry = load_registry(os.environ["CALLINTEL_TENANTS"])
    first, last = last_complete_days(registry.active, days)
    quiet = lambda line: None  # noqa: E731
    try:
        # the webserver first, to switch the sensors off before the daemon would tick them
        up(settings, only={"webserver"}, log=quiet)
        ClusterClient("127.0.0.1", settings.port).stop_sensors()
        up(settings, log=quiet)
        run_tenants(settings, tenants[:workers], last, last, log=quiet)  # warm-up, each worker
        began = time.perf_counter()
        outcomes = run_tenants(settings, tenants, first, last, log=quiet)
        wall = time.perf_counter() - began
        client = ClusterClient("127.0.0.1", settings.port)
        marts_steps = [client.step_seconds(o.run_id) for o in outcomes if is_marts(o)]
    finally:
        down(settings, log=quiet)
        forget_queue(settings)
        drop(dagster_db)
        drop(warehouse_db)
    failed = [o.label for o in outcomes if o.status != "SUCCESS"]
    marts = [o for o in outcomes if is_marts(o)]
    marts_s = sum(o.seconds or 0 for o in marts)  # each marts run from its start to its end
    ran_on = sorted({o.celery_worker.split("@")[0] for o in outcomes})
    print(
        f"{workers} worker(s): {len(outcomes)} runs, {len(tenants) * days} tenant-days in "
        f"{wall:.0f} s ({len(tenants) * days / wall:.3f} tenant-days/s), ran on {ran_on}; "
        f"calls_job half {wall - marts_s:.0f} s, marts_job half {marts_s:.0f} s"
        + (f", FAILED: {failed}" if failed else ""),
        flush=True,
    )
    for steps in marts_steps:  # where the half that does not spread over workers spends its time
        print("  marts_job steps: " + ", ".join(f"{k} {v:.0f} s" for k, v in steps.items()))
    return wall


def is_marts(outcome) -> bool:
    return outcome.job_name == "marts_job"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, default=20)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--calls", type=int, default=40, help="calls per tenant-day")
    parser.add_argument(
        "--workers", default="1,2", help="the worker counts to measure, in order (default 1,2)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_cluster_") as tmp:
        home = Path(tmp)
        tenants_file = home / "tenants.yaml"
        tenants_file.write_text(
            "tenants:"
            + "".join(
                TENANT.format(n=n, calls=args.calls, leads=max(1, args.calls // 4))
                for n in range(1, args.tenants + 1)
            )
        )
        os.environ["CALLINTEL_TENANTS"] = str(tenants_file)
        ids = [f"bench_{n:02d}" for n in range(1, args.tenants + 1)]
        print(
            f"bench.cluster: {args.tenants} tenants x {args.days} days x {args.calls} calls, "
            "PostgreSQL warehouse"
        )
        walls = {n: measure(n, ids, args.days, home) for n in map(int, args.workers.split(","))}
        if {1, 2} <= set(walls):
            one, two = walls[1], walls[2]
            print(
                f"two workers / one worker: {one / two:.2f}x faster "
                f"(wall {one:.0f} s -> {two:.0f} s)"
            )


if __name__ == "__main__":
    main()
