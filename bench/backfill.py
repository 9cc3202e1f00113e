"""Benchmark: a 90-day backfill of 10 tenants as ONE run (issue 14's goal: ≤ 15 minutes).

The whole graph (`daily_job`: ingest → transcripts → signals → offline analyses → local embeddings
→ dbt marts → summaries → digests) over the tenant × day partition range, executed in process as a
single-run backfill (every asset declares `BackfillPolicy.single_run()`). Offline: synthetic calls
with their transcripts (passthrough STT), the offline analyser, the default local embeddings, the
outbox digest; `--calls` a tenant-day (default 36, the demo's second tenant). Baseline in the same
run: 1 tenant × 1 day (the fixed cost of a run). When `--tenants`/`--days` are smaller than
10 × 90, the full size is extrapolated from the measured per tenant-day cost, and says so.

    .venv/bin/python -m bench.backfill                       # 10 tenants × 90 days
    .venv/bin/python -m bench.backfill --tenants 2 --days 7  # smaller, extrapolated to 10 × 90
"""

import argparse
import contextlib
import contextvars
import io
import os
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

# the partition grid must reach back 90 days before LAST_DAY; read when partitions.py loads
os.environ.setdefault("CALLINTEL_FIRST_DAY", "2026-08-01")

import dagster as dg  # noqa: E402

LAST_DAY = date(2026, 11, 18)
GOAL_S = 15 * 60.0
FULL = (10, 90)
TENANT = """  - id: {id}
    name: Backfill {id}
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: {calls}, seed: {seed}}}
    crm: {{provider: synthetic, leads_per_day: {leads}}}
    stt: {{provider: passthrough}}
    llm: {{provider: offline}}
    embeddings: {{provider: local}}
    digest: {{provider: outbox, recipients: ["+919812345678"]}}
"""


def run_once(
    tenants: int, days: int, calls: int, keep: Path | None = None
) -> tuple[float, dict, int]:
    """Seconds for the one run, seconds per step, calls landed. `keep`: the callintel home to
    use and leave behind (warehouse, LanceDB, outbox), to compare two versions' outputs."""
    from callintel_dagster.definitions import build_defs
    from callintel_dagster.env import current_env
    from callintel_dagster.partitions import range_tags, tenant_day_key

    ids = [f"b{i:02d}" for i in range(tenants)]
    first = LAST_DAY - timedelta(days=days - 1)
    with tempfile.TemporaryDirectory() as tmp, dg.DagsterInstance.ephemeral() as instance:
        home = keep or Path(tmp)
        home.mkdir(parents=True, exist_ok=True)
        (home / "tenants.yaml").write_text(
            "tenants:\n"
            + "".join(
                TENANT.format(id=t, calls=calls, seed=i, leads=max(1, calls // 4))
                for i, t in enumerate(ids)
            )
        )
        os.environ.update(CALLINTEL_HOME=str(home), CALLINTEL_TENANTS=str(home / "tenants.yaml"))
        defs = build_defs(current_env())
        instance.add_dynamic_partitions("tenants", ids)
        began = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):  # dbt's log echo
            result = defs.resolve_job_def("daily_job").execute_in_process(
                instance=instance,
                tags=range_tags(
                    tenant_day_key(ids[0], first.isoformat()),
                    tenant_day_key(ids[-1], LAST_DAY.isoformat()),
                ),
                run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            )
        took = time.perf_counter() - began
        assert result.success, f"run {result.run_id} failed"
        steps = {
            s.step_key: s.end_time - s.start_time
            for s in instance.get_run_step_stats(result.run_id)
        }
        landed = _calls_landed(defs)
    return took, steps, landed


def _calls_landed(defs: dg.Definitions) -> int:
    from callintel_dagster.definitions import resolved_resource

    warehouse = resolved_resource(defs, "warehouse")
    return int(warehouse.query("SELECT count(*) AS n FROM raw.call_records")["n"].iloc[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=FULL[0])
    parser.add_argument("--days", type=int, default=FULL[1])
    parser.add_argument("--calls", type=int, default=36, help="calls a tenant-day")
    parser.add_argument(
        "--keep", type=Path, help="leave the backfill's callintel home here (an empty directory)"
    )
    args = parser.parse_args()
    # each run in its own context: a disposed instance must not stay Dagster's current
    # defs-state storage for the next run's definitions (see tests/conftest.py)
    base_s, base_steps, base_calls = contextvars.copy_context().run(run_once, 1, 1, args.calls)
    took, steps, landed = contextvars.copy_context().run(
        run_once, args.tenants, args.days, args.calls, args.keep
    )
    slices = args.tenants * args.days
    marginal = (took - base_s) / max(slices - 1, 1)
    print(
        f"\nsingle-run backfill of daily_job, offline (synthetic calls with transcripts, "
        f"passthrough STT, offline analyser, local embeddings), {args.calls} calls a tenant-day, "
        f"in-process executor, {os.cpu_count()} cores"
    )
    print(f"{'case':<26}{'tenant-days':>12}{'calls':>8}{'wall s':>9}{'s/tenant-day':>14}")
    print(f"{'baseline 1 × 1 day':<26}{1:>12}{base_calls:>8}{base_s:>9.1f}{base_s:>14.2f}")
    name = f"{args.tenants} × {args.days} days"
    print(f"{name:<26}{slices:>12}{landed:>8}{took:>9.1f}{took / slices:>14.2f}")
    print(f"marginal cost: {marginal:.2f} s a tenant-day beyond the run's fixed cost")
    full = FULL[0] * FULL[1]
    if slices == full:
        print(f"10 × 90 days: {took / 60:.1f} min, {took / GOAL_S:.2f} × the 15-minute goal")
    else:
        estimate = base_s + marginal * (full - 1)
        print(
            f"EXTRAPOLATED, not measured: 10 × 90 days ≈ {base_s:.0f} s fixed + {full - 1} × "
            f"{marginal:.2f} s = {estimate / 60:.1f} min, {estimate / GOAL_S:.2f} × the 15-minute "
            "goal (linear in tenant-days)"
        )
    print("\nper step (s), baseline → backfill, slowest first:")
    for step in sorted(steps, key=steps.get, reverse=True):
        print(f"  {step:<52}{base_steps.get(step, 0):>8.1f}{steps[step]:>9.1f}")


if __name__ == "__main__":
    main()
