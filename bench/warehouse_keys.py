"""Benchmark: what the primary keys cost the warehouse's writes, and what PostgreSQL gains by
writing tenant-days concurrently.

For each engine (a DuckDB file; a fresh PostgreSQL database on 127.0.0.1:5432) two warehouses
are filled the same way: one as callintel makes it now (primary keys; upserts by INSERT ... ON
CONFLICT) and the baseline, its tables made without keys (the release before: slice replacement
and delete-then-insert upserts, no key to maintain; PostgreSQL's slice and call indexes). Timed, best of `--repeat`:
- slices: `--days` tenant-days of core.transcript_turns, `--turns` rows each, written once
  (insert) then again (replace: delete + insert);
- upsert: `--cache` core.llm_cache rows upserted once (insert) then again (every key updated).
PostgreSQL also writes its `--days` slices from 4 threads at once against one at a time (the
keyed warehouse): the ratio is what the absence of a global lock buys on this machine.

    .venv/bin/python -m bench.warehouse_keys
    .venv/bin/python -m bench.warehouse_keys --days 40 --turns 5000 --cache 50000
"""

import argparse
import dataclasses
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta

import pandas as pd

from callintel_dagster.lib.tables import ALL_TABLES, LLM_CACHE, SCHEMAS, TRANSCRIPT_TURNS
from callintel_dagster.resources.warehouse import RowUpsert, SliceWrite, Warehouse, pg_indexes

PG = "postgresql://postgres@127.0.0.1:5432"
DAY0 = date(2026, 10, 1)


def turns(day: date, n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "tenant_id": "acme",
            "partition_date": day,
            "call_id": [f"c{i // 40:05d}" for i in range(n)],
            "turn_index": [i % 40 for i in range(n)],
            "role": "agent",
            "start_s": 0.0,
            "end_s": 1.0,
            "text": "a line of the call, as transcribed, long enough to be realistic",
            "confidence": 0.9,
        },
        columns=TRANSCRIPT_TURNS.column_names,
    )


def cache_rows(n: int, version: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "tenant_id": "acme",
            "cache_key": [f"k{i:07d}" for i in range(n)],
            "provider": "synthetic",
            "model": version,
            "response_json": '{"summary": "short"}',
            "prompt_tokens": 100,
            "completion_tokens": 20,
            "created_at_utc": datetime(2026, 11, 1),
        },
        columns=LLM_CACHE.column_names,
    )


def keyless(url: str) -> Warehouse:
    """A warehouse whose tables were made without keys (the baseline). ensure_schema would add
    the keys, so the tables are made here and the warehouse told its schema is ready."""
    warehouse = Warehouse(url=url)
    with warehouse.connect() as con:
        cur = warehouse.cursor(con)
        for schema in SCHEMAS:
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for table in ALL_TABLES:
            cur.execute(dataclasses.replace(table, primary_key=()).ddl())
        if warehouse.is_postgres:  # the release before had these (slice and call lookups)
            for statement in pg_indexes():
                cur.execute(statement)
    warehouse._ready = True  # noqa: SLF001 - the baseline must stay keyless
    return warehouse


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def write_slices(warehouse: Warehouse, days: list[date], frames: dict) -> None:
    for day in days:
        warehouse.write([SliceWrite(TRANSCRIPT_TURNS, [("acme", day)], frames[day])])


def measure(url: str, keyed: bool, args) -> dict[str, float]:
    warehouse = Warehouse(url=url) if keyed else keyless(url)
    warehouse.ensure_schema()
    days = [DAY0 + timedelta(days=i) for i in range(args.days)]
    frames = {d: turns(d, args.turns) for d in days}
    return {
        "slices insert": timed(lambda: write_slices(warehouse, days, frames)),
        "slices replace": timed(lambda: write_slices(warehouse, days, frames)),
        "upsert insert": timed(lambda: upsert(warehouse, cache_rows(args.cache, "v1"))),
        "upsert update": timed(lambda: upsert(warehouse, cache_rows(args.cache, "v2"))),
    }


def upsert(warehouse: Warehouse, rows: pd.DataFrame) -> None:
    warehouse.write([RowUpsert(LLM_CACHE, ("tenant_id", "cache_key"), rows)])


def concurrent(url: str, args) -> dict[str, float]:
    warehouse = Warehouse(url=url)
    warehouse.ensure_schema()
    days = [DAY0 + timedelta(days=i) for i in range(args.days)]
    frames = {d: turns(d, args.turns) for d in days}
    one = timed(lambda: write_slices(warehouse, days, frames))
    with ThreadPoolExecutor(4) as pool:
        four = timed(lambda: list(pool.map(lambda d: write_slices(warehouse, [d], frames), days)))
    return {"1 writer": one, "4 writers": four}


def best(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: min(r[k] for r in runs) for k in runs[0]}


def fresh_pg() -> tuple[str, callable]:
    import psycopg2

    name = f"callintel_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(f"{PG}/postgres")
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {name}")

    def drop():
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()

    return f"{PG}/{name}", drop


def engine_runs(engine: str, keyed: bool, args, tmp: str) -> dict[str, float]:
    runs = []
    for i in range(args.repeat):
        if engine == "duckdb":
            runs.append(measure(f"duckdb:///{tmp}/{keyed}-{i}.duckdb", keyed, args))
        else:
            url, drop = fresh_pg()
            try:
                runs.append(measure(url, keyed, args))
            finally:
                drop()
    return best(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--turns", type=int, default=2000)
    parser.add_argument("--cache", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    print(
        f"{args.days} tenant-days x {args.turns:,} turns; {args.cache:,} cache rows; "
        f"best of {args.repeat}"
    )
    engines = ["duckdb"] + ([] if args.no_postgres else ["postgres"])
    with tempfile.TemporaryDirectory() as tmp:
        for engine in engines:
            base = engine_runs(engine, False, args, tmp)
            keys = engine_runs(engine, True, args, tmp)
            print(f"\n== {engine} ==  {'case':<16}{'no keys':>10}{'keys':>10}{'ratio':>8}")
            for case in base:
                ratio = keys[case] / base[case]
                print(f"{'':12}{case:<16}{base[case]:>9.2f}s{keys[case]:>9.2f}s{ratio:>7.2f}x")
        if "postgres" in engines:
            url, drop = fresh_pg()
            try:
                found = concurrent(url, args)
            finally:
                drop()
            ratio = found["1 writer"] / found["4 writers"]
            print(
                f"\n== postgres, {args.days} slices ==  one writer {found['1 writer']:.2f}s, "
                f"4 concurrent writers {found['4 writers']:.2f}s: {ratio:.2f}x faster"
            )


if __name__ == "__main__":
    main()
