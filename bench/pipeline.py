"""Benchmark: the whole graph for one tenant-day at growing call volumes.

Prints wall time per step and calls per second. Baselines measured in the same run: the same graph
on an empty day (fixed cost: imports aside, Dagster and dbt start-up) and a re-run of the largest
day (everything already processed once: reuse of analyses and vectors).

    make bench                      # 0, 100 and 1,000 calls
    .venv/bin/python -m bench.pipeline --calls 0 100 1000 5000
"""

import argparse
import contextlib
import io
import os
import tempfile
import time
from pathlib import Path

import dagster as dg

DAY = "2026-11-18"
TENANTS = """
tenants:
  - id: bench
    name: Bench Co
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: {calls}, seed: 1}}
    crm: {{provider: synthetic, leads_per_day: {leads}}}
    digest: {{provider: outbox, recipients: ["+919812345678"]}}
"""


def run_once(calls: int, home: Path, instance: dg.DagsterInstance) -> tuple[float, dict]:
    from callintel_dagster.definitions import build_defs
    from callintel_dagster.env import current_env
    from callintel_dagster.partitions import tenant_day_key

    (home / "tenants.yaml").write_text(TENANTS.format(calls=calls, leads=max(1, calls // 10)))
    os.environ.update(CALLINTEL_HOME=str(home), CALLINTEL_TENANTS=str(home / "tenants.yaml"))
    defs = build_defs(current_env())
    job = defs.resolve_job_def("daily_job")
    began = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # dbt's log echo
        result = job.execute_in_process(
            instance=instance,
            partition_key=str(tenant_day_key("bench", DAY)),
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )
    took = time.perf_counter() - began
    assert result.success, f"run {result.run_id} failed"
    steps = {
        s.step_key: s.end_time - s.start_time for s in instance.get_run_step_stats(result.run_id)
    }
    return took, steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[0, 100, 1000])
    args = parser.parse_args()
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("tenants", ["bench"])
    rows = []
    for calls in args.calls:
        with tempfile.TemporaryDirectory() as tmp:
            took, steps = run_once(calls, Path(tmp), instance)
            rows.append((f"{calls} calls", calls, took, steps))
            if calls == max(args.calls):
                again, steps2 = run_once(calls, Path(tmp), instance)
                rows.append((f"{calls} calls, re-run", calls, again, steps2))
    base = rows[0][2]
    print(f"\nwhole graph, one tenant-day ({DAY}), in-process executor, {os.cpu_count()} cores")
    print(f"{'case':<24}{'wall s':>8}{'calls/s':>9}{'× empty day':>13}")
    for name, calls, took, _ in rows:
        rate = f"{calls / took:.1f}" if calls else "-"
        print(f"{name:<24}{took:>8.1f}{rate:>9}{took / base:>13.2f}")
    print("\nper step (s):")
    names = sorted({k for *_, steps in rows for k in steps})
    print(f"{'step':<44}" + "".join(f"{r[0][:16]:>18}" for r in rows))
    for step in names:
        print(f"{step:<44}" + "".join(f"{r[3].get(step, 0):>18.1f}" for r in rows))


if __name__ == "__main__":
    main()
