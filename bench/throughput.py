"""Benchmark: end-to-end throughput, T tenants × N calls of one day in ONE single-run backfill.

The real Dagster graph (daily_job: ingest to WhatsApp digest, dbt included), in-process, on a
fresh DuckDB warehouse and LanceDB index per case. Transcripts come with the synthetic calls (no
speech-to-text), the analyser is the offline rules, the embeddings the default (static model2vec).
Prints calls per minute, wall time per step (from the run's step stats), the same graph on an
empty day for the same tenants (the fixed cost, measured in this run) and the ratio to the goal
of 10,000 calls per minute. A first untimed-for-ratios run on an empty day pays the process's
one-time loads (imports, the embedding model, dbt's manifest) so that no case below pays them.

    .venv/bin/python -m bench.throughput                      # 10 tenants × 1,000 calls
    .venv/bin/python -m bench.throughput --tenants 2 --calls 500
    .venv/bin/python -m bench.throughput --runs 2             # ... and as 2 runs at once
    .venv/bin/python -m bench.throughput --scale              # one tenant, 1k and 10k calls/day
    .venv/bin/python -m bench.throughput --scale --big        # ... and 100k (long: ~30+ min here)
    .venv/bin/python -m bench.throughput --scale --big --big-calls 50000   # ... or another size

`--scale` prints each step's cost per 1,000 calls (its time minus its time on the empty day,
divided by the thousands of calls) at each volume: equal figures across volumes mean linear.
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
GOAL_PER_MIN = 10_000
TENANT = """
  - id: {id}
    name: Bench {id}
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: {calls}, seed: {seed}}}
    crm: {{provider: synthetic, leads_per_day: {leads}}}
    digest: {{provider: outbox, recipients: ["+919812345678"]}}
"""


def tenant_ids(count: int) -> list[str]:
    return [f"t{i:02d}" for i in range(count)]


def tenants_yaml(ids: list[str], calls: int) -> str:
    """The bench tenants; a tenant's seed follows its number, so a group of them run apart makes
    the same calls as in one run."""
    return "tenants:" + "".join(
        TENANT.format(id=t, calls=calls, seed=int(t[1:]) + 1, leads=max(1, calls // 10))
        for t in ids
    )


def run_day(tenants: int, calls: int, instance: dg.DagsterInstance) -> tuple[float, dict]:
    """(wall seconds, {step: seconds}) of daily_job over `tenants` × DAY as one run, each tenant
    with `calls` synthetic calls, on a fresh home (warehouse, index, outbox)."""
    with tempfile.TemporaryDirectory() as tmp:
        took, steps, cpu = run_tenants(tenant_ids(tenants), calls, instance, Path(tmp))
    CPU[(tenants, calls)] = cpu
    return took, steps


# daily_job, or one of its two halves (callintel_dagster/jobs.py)
PHASE_JOBS = {None: "daily_job", "calls": "calls_job", "day": "marts_job"}


def run_tenants(
    ids: list[str],
    calls: int,
    instance: dg.DagsterInstance,
    home: Path,
    phase: str | None = None,
) -> tuple[float, dict, float]:
    """(wall seconds, {step: seconds}, CPU seconds) of daily_job over the tenants `ids` × DAY as
    one run on the callintel home `home` (its warehouse, index and outbox); `phase` "calls" or
    "day": calls_job (the per-call assets) or marts_job (dbt, summaries, digests, write-back)."""
    from callintel_dagster.definitions import build_defs
    from callintel_dagster.env import current_env
    from callintel_dagster.partitions import range_tags

    tenants_file = home / f"tenants_{ids[0]}.yaml"
    tenants_file.write_text(tenants_yaml(ids, calls))
    os.environ.update(CALLINTEL_HOME=str(home), CALLINTEL_TENANTS=str(tenants_file))
    defs = build_defs(current_env())
    job = defs.resolve_job_def(PHASE_JOBS[phase])
    began, cpu = time.perf_counter(), cpu_seconds()
    with contextlib.redirect_stdout(io.StringIO()):  # dbt's log echo
        result = job.execute_in_process(
            instance=instance,
            # a rectangle over the tenants' dynamic keys: one run, as backfills run
            tags=range_tags(f"{DAY}|{ids[0]}", f"{DAY}|{ids[-1]}"),
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )
    took, cpu = time.perf_counter() - began, cpu_seconds() - cpu
    assert result.success, f"run {result.run_id} failed"
    steps = {
        s.step_key: s.end_time - s.start_time for s in instance.get_run_step_stats(result.run_id)
    }
    return took, steps, cpu


# CPU seconds of each case (this process and its dbt subprocesses): on a shared, busy machine the
# wall time says how long others let us run, the CPU time what the work costs.
CPU: dict[tuple[int, int], float] = {}


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def per_min(calls: int, seconds: float) -> float:
    return calls / seconds * 60 if seconds > 0 else float("inf")


def print_steps(cases: list[tuple[str, float, dict]]) -> None:
    print("\nwall time per step (s):")
    names = sorted({k for *_, steps in cases for k in steps}, key=lambda k: -cases[-1][2].get(k, 0))
    print(f"{'step':<46}" + "".join(f"{name[:20]:>22}" for name, *_ in cases))
    for step in names:
        print(f"{step:<46}" + "".join(f"{steps.get(step, 0):>22.1f}" for *_, steps in cases))
    print(f"{'(run wall time)':<46}" + "".join(f"{took:>22.1f}" for _, took, _ in cases))


def throughput(tenants: int, calls: int, instance: dg.DagsterInstance) -> None:
    total = tenants * calls
    empty, empty_steps = run_day(tenants, 0, instance)
    took, steps = run_day(tenants, calls, instance)
    rate, marginal = per_min(total, took), per_min(total, took - empty)
    print(f"\n{tenants} tenants × {calls:,} calls ({total:,}) of {DAY}, one single-run backfill")
    print(
        f"in-process executor, DuckDB, offline analyser, static embeddings, {os.cpu_count()} cores"
    )
    print(f"{'case':<36}{'wall s':>9}{'calls/min':>12}{'× goal':>9}")
    print(f"{'empty day (fixed cost, baseline)':<36}{empty:>9.1f}{'-':>12}{'-':>9}")
    print(f"{f'{total:,} calls':<36}{took:>9.1f}{rate:>12,.0f}{rate / GOAL_PER_MIN:>9.2f}")
    print(
        f"{'  minus the fixed cost':<36}{took - empty:>9.1f}{marginal:>12,.0f}"
        f"{marginal / GOAL_PER_MIN:>9.2f}"
    )
    print(f"run / empty day: {took / empty:.2f}×; goal {GOAL_PER_MIN:,} calls/min")
    cpu_empty, cpu_run = CPU[(tenants, 0)], CPU[(tenants, calls)]
    print(
        f"CPU seconds: empty day {cpu_empty:.1f}, {total:,} calls {cpu_run:.1f} "
        f"({per_min(total, cpu_run):,.0f} calls per CPU-minute; net of the empty day "
        f"{per_min(total, cpu_run - cpu_empty):,.0f})"
    )
    print_steps([("empty day", empty, empty_steps), (f"{total:,} calls", took, steps)])
    net = {k: steps.get(k, 0) - empty_steps.get(k, 0) for k in steps}
    grown = sum(v for v in net.values() if v > 0)
    print("\nwhere the calls' time goes (step minus its empty-day time; share of the growth):")
    for step, extra in sorted(net.items(), key=lambda kv: -kv[1])[:8]:
        per_1k = extra / (total / 1000)
        print(f"{step:<46}{extra:>8.1f} s{per_1k:>8.2f} s/1k calls{extra / grown:>7.0%}")


def parallel_throughput(tenants: int, calls: int, runs: int, instance: dg.DagsterInstance) -> None:
    """The same day as `runs` runs at once over groups of the tenants (bench/parallel_runs.py),
    in two layouts: each run the whole daily_job; or each run the per-call assets, then ONE run of
    dbt and what follows for all tenants. Each against the same layout on an empty day."""
    from bench.parallel_runs import groups_of, run_groups

    total, ids = tenants * calls, tenant_ids(tenants)
    groups = groups_of(ids, runs)

    def whole(n: int, home: Path) -> tuple[float, float, list]:
        return run_groups(groups, n, home)

    def two_phases(n: int, home: Path) -> tuple[float, float, list]:
        wall, cpu, results = run_groups(groups, n, home, phase="calls")
        took, steps, day_cpu = run_tenants(ids, n, instance, home, phase="day")
        return wall + took, cpu + day_cpu, [*results, {"took": took, "steps": steps}]

    print(f"\n{tenants} tenants × {calls:,} calls ({total:,}) of {DAY}, {len(groups)} runs at once")
    print(f"(groups of {[len(g) for g in groups]} tenants; DuckDB, {os.cpu_count()} cores)")
    print(f"{'layout':<44}{'empty s':>9}{'calls s':>9}{'calls/min':>11}{'× goal':>8}{'CPU s':>8}")
    detail: list = []
    layouts = (
        (f"{len(groups)} runs of daily_job", whole),
        (f"{len(groups)} runs of the calls, then 1 of the day", two_phases),
    )
    for name, layout in layouts:
        figures = []
        for n in (0, calls):
            with tempfile.TemporaryDirectory() as tmp:
                figures.append(layout(n, Path(tmp)))
        (empty, _, _), (took, cpu, results) = figures
        rate = per_min(total, took)
        print(
            f"{name:<44}{empty:>9.1f}{took:>9.1f}{rate:>11,.0f}{rate / GOAL_PER_MIN:>8.2f}"
            f"{cpu:>8.1f}"
        )
        labels = [f"run {n + 1} ({len(g)} tenants)" for n, g in enumerate(groups)]
        if len(results) > len(groups):
            labels.append("then: the day, all tenants")
        detail.append(
            (
                name,
                [(label, r["took"], r["steps"]) for label, r in zip(labels, results, strict=True)],
            )
        )
    for name, cases in detail:
        print(f"\n{name}, {total:,} calls:", end="")
        print_steps(cases)


def scale(sizes: list[int], instance: dg.DagsterInstance) -> None:
    empty, empty_steps = run_day(1, 0, instance)
    cases = [("empty day", empty, empty_steps)]
    for calls in sizes:
        cases.append((f"{calls:,} calls", *run_day(1, calls, instance)))
    print(f"\none tenant, {DAY}, daily_job in-process, {os.cpu_count()} cores")
    print(f"{'case':<16}{'wall s':>9}{'calls/min':>12}{'× goal':>9}{'net s/1k':>10}")
    print(f"{'empty day':<16}{empty:>9.1f}{'-':>12}{'-':>9}{'-':>10}")
    for (name, took, _), calls in zip(cases[1:], sizes, strict=True):
        rate = per_min(calls, took)
        net = (took - empty) / (calls / 1000)
        print(f"{name:<16}{took:>9.1f}{rate:>12,.0f}{rate / GOAL_PER_MIN:>9.2f}{net:>10.2f}")
    cpus = [CPU[(1, 0)]] + [CPU[(1, calls)] for calls in sizes]
    print(
        "CPU s (process + dbt): "
        + ", ".join(f"{n} {c:.1f}" for (n, *_), c in zip(cases, cpus, strict=True))
    )
    print_steps(cases)
    print("\nper step, seconds per 1,000 calls net of the empty day (equal across sizes = linear):")
    names = sorted({k for *_, steps in cases for k in steps}, key=lambda k: -cases[-1][2].get(k, 0))
    print(f"{'step':<46}" + "".join(f"{name[:14]:>16}" for name, *_ in cases[1:]))
    for step in names:
        base = empty_steps.get(step, 0)
        print(
            f"{step:<46}"
            + "".join(
                f"{(steps.get(step, 0) - base) / (calls / 1000):>16.2f}"
                for (_, _, steps), calls in zip(cases[1:], sizes, strict=True)
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--calls", type=int, default=1000, help="calls per tenant-day")
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="K > 1: also the same day as K runs at once over groups of the tenants",
    )
    parser.add_argument("--scale", action="store_true", help="one tenant at 1k and 10k calls")
    parser.add_argument("--big", action="store_true", help="with --scale: 100k calls too")
    parser.add_argument(
        "--big-calls",
        type=int,
        default=100_000,
        help="the size --big adds (smaller if short of time)",
    )
    args = parser.parse_args()
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("tenants", tenant_ids(max(args.tenants, 1)))
    cold, _ = run_day(1, 0, instance)
    print(
        f"cold start (imports, embedding model, dbt manifest; one tenant, empty day): {cold:.1f} s"
    )
    if args.scale:
        scale([1000, 10_000] + ([args.big_calls] if args.big else []), instance)
    else:
        throughput(args.tenants, args.calls, instance)
        if args.runs > 1:
            parallel_throughput(args.tenants, args.calls, args.runs, instance)


if __name__ == "__main__":
    main()
