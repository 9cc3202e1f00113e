"""The explorer's Reader: the DuckDB snapshot (made when missing, reopened when replaced, never
the live file's lock) and a PostgreSQL pool; dict rows with `?` placeholders on both."""

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from explorer_rows import TENANTS, filled_reader

from callintel_dagster.explorer.reader import Reader, SnapshotUnavailable
from callintel_dagster.lib.tables import SYNC_LOG
from callintel_dagster.resources.warehouse import RowUpsert, Warehouse, file_lock
from conftest import requires_postgres

COUNT = "SELECT count(*) AS n FROM raw.call_records WHERE tenant_id = ?"
BACKENDS = ["duckdb", pytest.param("postgres", marks=requires_postgres)]


def _sync_row(tenant: str, day: str) -> RowUpsert:
    row = {"tenant_id": tenant, "partition_date": pd.Timestamp(day).date(), "source": "x"}
    row |= {"provider": "p", "fetched": 1, "synced_at_utc": pd.Timestamp("2026-11-21 10:00")}
    return RowUpsert(SYNC_LOG, ("tenant_id", "partition_date", "source"), pd.DataFrame([row]))


def test_duckdb_reads_a_snapshot_it_makes_when_missing(tmp_path):
    with filled_reader("duckdb", tmp_path) as (reader, _home):
        snapshot = Path(reader.warehouse.snapshot_path)
        assert not snapshot.exists()
        assert reader.rows(COUNT, ["acme"]) == [{"n": 3}]
        assert snapshot.exists()


def test_a_fresh_home_gets_an_empty_warehouse_not_an_error(tmp_path):
    reader = Reader(Warehouse(url=f"duckdb:///{tmp_path}/new/warehouse.duckdb"))
    assert reader.rows(COUNT, ["acme"]) == [{"n": 0}]


def test_no_snapshot_and_a_busy_warehouse_is_a_clear_error(tmp_path):
    with filled_reader("duckdb", tmp_path) as (reader, _home):
        busy = Reader(Warehouse(url=reader.warehouse.url, lock_timeout_s=0.2))
        with file_lock(f"{busy.warehouse.duckdb_path}.lock", 1):  # a run holds the warehouse
            with pytest.raises(SnapshotUnavailable, match="try again"):
                busy.rows(COUNT, ["acme"])
        assert busy.rows(COUNT, ["acme"]) == [{"n": 3}]  # the run ended: the snapshot is made


def test_duckdb_sees_a_replaced_snapshot_in_every_thread(tmp_path):
    with filled_reader("duckdb", tmp_path) as (reader, _home):
        days = "SELECT count(*) AS n FROM raw.sync_log WHERE tenant_id = ?"
        with ThreadPoolExecutor(4) as pool:
            before = list(pool.map(lambda _: reader.rows(days, ["acme"])[0]["n"], range(8)))
            reader.warehouse.write([_sync_row("acme", "2026-11-21")])
            assert reader.rows(days, ["acme"])[0]["n"] == 3  # the live file is not read
            reader.warehouse.refresh_snapshot()
            after = list(pool.map(lambda _: reader.rows(days, ["acme"])[0]["n"], range(8)))
        assert before == [3] * 8 and after == [4] * 8


def test_duckdb_never_waits_on_a_process_holding_the_live_file(tmp_path):
    with filled_reader("duckdb", tmp_path) as (reader, _home):
        reader.warehouse.refresh_snapshot()
        holder = subprocess.Popen(  # another process (a run) holds the live file for writing
            [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
             "print('held', flush=True); sys.stdin.read()", reader.warehouse.duckdb_path],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert holder.stdout.readline().strip() == "held"
            assert [reader.rows(COUNT, [t])[0]["n"] for t in TENANTS] == [3, 3]
        finally:
            holder.communicate("", timeout=10)


@pytest.fixture(scope="module", params=BACKENDS)
def reader(request, tmp_path_factory):
    """A reader the tests below only read through (one database per backend for the module)."""
    with filled_reader(request.param, tmp_path_factory.mktemp(request.param)) as (r, _home):
        yield r


def test_rows_are_plain_dicts_and_writes_are_refused(reader):
    got = reader.rows(
        "SELECT 'a%b' AS literal, avg(duration_seconds) AS avg_s, count(*) AS n "
        "FROM raw.call_records WHERE tenant_id = ? AND call_id LIKE ?",
        ["globex", "globex-%"],
    )
    assert got == [{"literal": "a%b", "avg_s": 20.0, "n": 2}]
    assert isinstance(got[0]["avg_s"], float)  # PostgreSQL's numeric arrives as float
    with pytest.raises(Exception, match="(?i)read.only"):
        reader.rows("DELETE FROM raw.call_records WHERE tenant_id = ?", ["acme"])
    assert reader.rows(COUNT, ["acme"]) == [{"n": 3}]


def test_threads_share_a_small_pool(reader):
    small = Reader(reader.warehouse, pool_size=2)  # PostgreSQL: 2 connections for 8 threads
    try:
        with ThreadPoolExecutor(8) as pool:
            counts = list(pool.map(lambda t: small.rows(COUNT, [t])[0]["n"], TENANTS * 10))
        assert counts == [3] * 20
    finally:
        small.close()
