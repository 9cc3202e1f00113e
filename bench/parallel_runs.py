"""K runs at once, each over its own group of tenants, on ONE callintel home.

This is how a one-machine deployment puts its second core to work: the run launcher starts every
run in its own process, the runs' per-call work proceeds side by side, and DuckDB's writer lock
(resources/warehouse.py) queues their writes and their dbt builds. bench.throughput --runs K
measures it, with the whole of daily_job in each run and with the day split in two phases (K runs
of the per-call assets, then one run of dbt and what follows it).

Each run is a worker process (`python -m bench.parallel_runs`): it imports, then pays its one-time
loads (the embedding model, dbt's manifest) with an empty day on a scratch home, says it is ready,
and waits; the parent starts the clock when every worker is ready and tells them to go, so the
figures leave out the per-process start-up exactly as the one-run case leaves out its cold start
(printed apart). Each worker prints its run's step times and CPU seconds as one JSON line.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

READY = "ready"


def groups_of(ids: list[str], runs: int) -> list[list[str]]:
    """`ids` in `runs` contiguous groups of (nearly) equal size: contiguous, so each run's range
    of dynamic partition keys covers its tenants only."""
    size, extra = divmod(len(ids), runs)
    groups, start = [], 0
    for n in range(runs):
        end = start + size + (1 if n < extra else 0)
        groups.append(ids[start:end])
        start = end
    return [g for g in groups if g]


def run_groups(
    groups: list[list[str]], calls: int, home: Path, phase: str | None = None
) -> tuple[float, float, list[dict]]:
    """(wall seconds from "go" to the last run's end, the runs' CPU seconds summed, each run's
    {"took", "cpu", "steps"}) of one run per group (daily_job, or the half `phase` names, see
    bench.throughput.PHASE_JOBS), all at once, on `home`."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.parallel_runs", "--home", str(home)]
            + ["--calls", str(calls), "--tenants", ",".join(group)]
            + (["--phase", phase] if phase else []),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for group in groups
    ]
    try:
        for worker in workers:
            while (line := worker.stdout.readline()) and line.strip() != READY:
                pass  # anything a library printed on import
            if not line:
                raise RuntimeError(f"worker {worker.pid} exited before it was ready")
        began = time.perf_counter()
        for worker in workers:
            worker.stdin.write("go\n")
            worker.stdin.flush()
        results = []
        for worker in workers:
            out, _ = worker.communicate()
            if worker.returncode != 0:
                raise RuntimeError(f"worker {worker.pid} failed (exit {worker.returncode})")
            results.append(json.loads(out.strip().splitlines()[-1]))
        wall = time.perf_counter() - began
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    return wall, sum(r["cpu"] for r in results), results


def worker(home: Path, ids: list[str], calls: int, phase: str | None) -> None:
    import dagster as dg

    from bench.throughput import run_tenants

    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("tenants", ids)
    with tempfile.TemporaryDirectory() as scratch:  # one-time loads, not timed
        run_tenants(ids[:1], 0, instance, Path(scratch))
    print(READY, flush=True)
    sys.stdin.readline()
    took, steps, cpu = run_tenants(ids, calls, instance, home, phase)
    print(json.dumps({"took": took, "cpu": cpu, "steps": steps}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--tenants", required=True, help="comma-separated tenant ids")
    parser.add_argument("--calls", type=int, required=True)
    parser.add_argument("--phase", choices=["calls", "day"])
    args = parser.parse_args()
    worker(args.home, args.tenants.split(","), args.calls, args.phase)


if __name__ == "__main__":
    main()
