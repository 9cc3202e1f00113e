"""Benchmark: the dbt marts over millions of calls on DuckDB (goal: 10M calls in <= 60 s).

Builds a DuckDB warehouse in a temp dir with the project's own DDL (Warehouse.ensure_schema),
fills the raw/core tables with synthetic calls generated in DuckDB SQL (100 tenants x 100 days),
and times `dbt build` as Dagster runs it (assets/metrics.py: the same command and `partitions` var):

  baseline  the same build over an empty warehouse: dbt's fixed cost (start-up, parse, DDL, tests)
  full      the first load, every mart built from scratch
  +1 tenant-day / +1 day x all tenants   the daily incremental run after a new day lands
  smaller   the full build at a tenth of the calls, to show how time grows with the data

Prints each figure with its ratio to the baseline and to the 60 s goal, and where the time goes
(per model and the tests, from dbt's run_results.json).

    .venv/bin/python -m bench.dbt_scale                  # 10,000,000 calls (and 1,000,000)
    .venv/bin/python -m bench.dbt_scale --calls 1000000  # (and 100,000)
    .venv/bin/python -m bench.dbt_scale --cache /tmp     # keep the generated data for a re-run
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

from bench.dbt_scale_data import generate_day_range

ROOT = Path(__file__).resolve().parents[1]
PROJECT = Path(os.environ.get("DBT_SCALE_PROJECT", ROOT / "dbt_metrics"))  # to compare a copy
DBT = Path(sys.executable).parent / "dbt"
TENANTS, DAYS = 100, 100
FIRST_DAY = date(2026, 1, 1)
GOAL_S = 60.0


def warehouse(path: Path) -> None:
    """An empty warehouse with the project's schema, as the assets create it."""
    from callintel_dagster.resources.warehouse import Warehouse

    Warehouse(url=f"duckdb:///{path}").ensure_schema()


def dbt_build(path: Path, work: Path, partitions: list[dict] | None = None) -> tuple[float, dict]:
    """`dbt build` as assets/metrics.py runs it; wall seconds and seconds per node."""
    args = [str(DBT), "build", "--profiles-dir", str(PROJECT), "--project-dir", str(PROJECT)]
    # a private target/log dir: the project's target/manifest.json is what Dagster loads
    args += ["--target-path", str(work / "target"), "--log-path", str(work / "logs")]
    args += ["--vars", json.dumps({"partitions": partitions or []})]
    env = {**os.environ, "CALLINTEL_DUCKDB_PATH": str(path), "DBT_SEND_ANONYMOUS_USAGE_STATS": "0"}
    started = time.perf_counter()
    done = subprocess.run(args, env=env, cwd=PROJECT, capture_output=True, text=True)
    took = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"dbt build failed ({done.returncode}):\n{done.stdout[-4000:]}")
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    return took, {r["unique_id"]: r["execution_time"] for r in results}


def new_day(path: Path, calls_per_day: int, day_index: int) -> None:
    with duckdb.connect(str(path)) as con:
        generate_day_range(con, TENANTS, day_index, day_index + 1, calls_per_day, FIRST_DAY)


def fill(path: Path, calls_per_day: int, cache: Path | None) -> float:
    """Generate the calls, or copy them from `cache` (10M calls take minutes to generate)."""
    started = time.perf_counter()
    cached = cache / f"dbt-scale-{TENANTS}x{DAYS}x{calls_per_day}.duckdb" if cache else None
    if cached and cached.exists():
        shutil.copyfile(cached, path)
        return time.perf_counter() - started
    with duckdb.connect(str(path)) as con:
        generate_day_range(con, TENANTS, 0, DAYS, calls_per_day, FIRST_DAY)
    if cached:
        shutil.copyfile(path, cached)
    return time.perf_counter() - started


def by_model(nodes: dict) -> dict[str, float]:
    """Seconds per model; the data tests summed into one line."""
    out: dict[str, float] = {}
    for node, secs in nodes.items():
        kind, name = node.split(".")[0], node.split(".")[2]
        key = (
            name if kind == "model" else f"({kind}s, {sum(1 for n in nodes if n.startswith(kind))})"
        )
        out[key] = out.get(key, 0.0) + secs
    return out


def measure(calls: int, work: Path, cache: Path | None) -> dict:
    per_day = calls // (TENANTS * DAYS)
    empty, path = work / f"empty{calls}.duckdb", work / f"w{calls}.duckdb"
    warehouse(empty)
    base, base_nodes = dbt_build(empty, work)  # empty warehouse: dbt's fixed cost
    warehouse(path)  # its own file: the full build below is a first build (no marts yet)
    print(f"\n{calls:,} calls ({TENANTS} tenants x {DAYS} days x {per_day:,}/day)", flush=True)
    print(f"  generated in {fill(path, per_day, cache):.1f} s", flush=True)
    full, full_nodes = dbt_build(path, work)
    day = FIRST_DAY + timedelta(days=DAYS)
    new_day(path, per_day, DAYS)
    one = [{"tenant_id": "t000", "partition_date": day.isoformat()}]
    inc_one, inc_one_nodes = dbt_build(path, work, one)
    everyone = [
        {"tenant_id": f"t{t:03d}", "partition_date": day.isoformat()} for t in range(TENANTS)
    ]
    inc_all, inc_all_nodes = dbt_build(path, work, everyone)
    size_mb = path.stat().st_size / 1e6
    path.unlink()
    return {
        "calls": calls,
        "size_mb": size_mb,
        "runs": {
            "baseline (empty)": (base, base_nodes),
            "full build": (full, full_nodes),
            "+1 tenant-day": (inc_one, inc_one_nodes),
            f"+1 day x {TENANTS}": (inc_all, inc_all_nodes),
        },
    }


def report(m: dict) -> None:
    runs = m["runs"]
    base = runs["baseline (empty)"][0]
    print(f"\n{m['calls']:,} calls, warehouse {m['size_mb']:,.0f} MB, {os.cpu_count()} cores")
    print(f"{'run':<22}{'wall s':>8}{'x baseline':>12}{'x 60 s goal':>13}")
    for name, (took, _) in runs.items():
        print(f"{name:<22}{took:>8.1f}{took / base:>12.2f}{took / GOAL_S:>13.2f}")
    names = list(runs)
    table = {name: by_model(nodes) for name, (_, nodes) in runs.items()}
    keys = sorted({k for t in table.values() for k in t}, key=lambda k: -table[names[1]].get(k, 0))
    print("\nper model (s, dbt's execution_time):")
    print(f"{'model':<28}" + "".join(f"{n[:16]:>18}" for n in names))
    for key in keys:
        print(f"{key:<28}" + "".join(f"{table[n].get(key, 0):>18.2f}" for n in names))
    full_nodes = runs[names[1]][1]
    tests = sorted((s, n) for n, s in full_nodes.items() if n.startswith("test."))[::-1]
    print(
        f"\nslowest data tests of the {names[1]} (s; all {len(tests)}: {sum(s for s, _ in tests):.1f}):"
    )
    for secs, node in tests[:12]:
        print(f"  {secs:>8.2f}  {node.split('.')[2]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000_000, help="calls in the full build")
    parser.add_argument("--no-smaller", action="store_true", help="skip the 1/10 size run")
    parser.add_argument("--cache", type=Path, help="keep (and reuse) the generated data here")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dbt-scale-") as tmp:
        sizes = [opts.calls] if opts.no_smaller else [opts.calls // 10, opts.calls]
        measured = [measure(calls, Path(tmp), opts.cache) for calls in sizes]
    for m in measured:
        report(m)
    if len(measured) == 2:
        small, big = (m["runs"]["full build"][0] for m in measured)
        small_base, big_base = (m["runs"]["baseline (empty)"][0] for m in measured)
        print(
            f"\nlinearity: 10x the calls took {big / small:.1f}x the time "
            f"({(big - big_base) / max(small - small_base, 1e-9):.1f}x above the baseline)"
        )


if __name__ == "__main__":
    main()
