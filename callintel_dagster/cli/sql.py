"""`make sql`: a SQL shell on the warehouse with the project's own DuckDB (or psql on PostgreSQL).

DuckDB files are read with the DuckDB version that wrote them (a DuckDB CLI of another version
may refuse the file's storage format). By default the shell reads the read-only snapshot that is
refreshed after each successful run, so it never waits for, nor holds up, a run; `--live` reads
the live file instead, taking the warehouse lock for each statement only (it waits for a writer,
never fails on its lock).

    make sql                                  # interactive; end a statement with ;
    make sql ARGS='-c "SELECT count(*) FROM raw.call_records"'
    make sql ARGS=--live
"""

import argparse
import os
import sys
import time
from pathlib import Path

import duckdb

from callintel_dagster.env import current_env
from callintel_dagster.resources.warehouse import Warehouse

PROMPT, MORE = "callintel> ", "       ..> "


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make sql", description=__doc__.split("\n\n")[0])
    parser.add_argument("-c", "--command", help="run this SQL and exit")
    parser.add_argument("--live", action="store_true", help="read the live file, not the snapshot")
    args = parser.parse_args(argv)
    env = current_env()
    if env.warehouse_url:
        os.execvp(
            "psql", ["psql", env.warehouse_url, *(["-c", args.command] if args.command else [])]
        )
    warehouse = Warehouse(url=f"duckdb:///{env.duckdb_path}")
    if not Path(warehouse.duckdb_path).exists():
        print(
            f"no warehouse at {warehouse.duckdb_path} yet: run `make demo` first", file=sys.stderr
        )
        return 2
    if not args.live and not Path(warehouse.snapshot_path).exists():
        warehouse.refresh_snapshot()  # the first time: make one now
    run = _live(warehouse) if args.live else _snapshot(warehouse)
    if args.command:
        return run(args.command)
    if sys.stdin.isatty():
        source = "live file" if args.live else f"snapshot of {_age(warehouse.snapshot_path)}"
        print(f"callintel SQL on {warehouse.duckdb_path} ({source}); end statements with ;")
    return _repl(run)


def _snapshot(warehouse: Warehouse):
    con = duckdb.connect(warehouse.snapshot_path, read_only=True)
    return lambda sql: _show(con, sql)


def _live(warehouse: Warehouse):
    def run(sql: str) -> int:
        with warehouse.exclusive():  # waits for a run's write to finish
            con = duckdb.connect(warehouse.duckdb_path, read_only=True)
            try:
                return _show(con, sql)
            finally:
                con.close()

    return run


def _show(con, sql: str) -> int:
    try:
        relation = con.sql(sql)
    except duckdb.Error as exc:
        print(f"error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    if relation is not None:
        relation.show(max_width=200, max_rows=200)
    return 0


def _repl(run) -> int:
    buffer: list[str] = []
    status = 0
    while True:
        try:
            line = input(MORE if buffer else PROMPT) if sys.stdin.isatty() else sys.stdin.readline()
        except (EOFError, KeyboardInterrupt):
            print()
            break
        if not sys.stdin.isatty() and line == "":
            break
        buffer.append(line.rstrip("\n"))
        if "".join(buffer).strip().endswith(";"):
            status = run("\n".join(buffer)) or status
            buffer = []
    if "".join(buffer).strip():
        status = run("\n".join(buffer)) or status
    return status


def _age(path: str) -> str:
    minutes = (time.time() - os.path.getmtime(path)) / 60
    return f"{minutes:.0f} min ago" if minutes >= 1 else "just now"


if __name__ == "__main__":
    sys.exit(main())
