"""The warehouse on real DuckDB and PostgreSQL: slice replacement, atomicity, concurrent writers."""

import multiprocessing
from datetime import date, datetime

import pandas as pd
import pytest

from callintel_dagster.lib.tables import SYNC_LOG
from callintel_dagster.resources.warehouse import Warehouse, file_lock
from conftest import fresh_postgres_db, requires_postgres

D1, D2 = date(2026, 11, 1), date(2026, 11, 2)


def log_rows(tenant, day, n, fetched=1):
    return pd.DataFrame(
        [
            {
                "tenant_id": tenant,
                "partition_date": day,
                "source": f"s{i}",
                "provider": "synthetic",
                "fetched": fetched,
                "synced_at_utc": datetime(2026, 11, 2),
            }
            for i in range(n)
        ]
    )


@pytest.fixture
def warehouse(warehouse_url):
    return Warehouse(url=warehouse_url)


def counts(warehouse):
    frame = warehouse.query(
        "SELECT tenant_id, partition_date, count(*) AS n FROM raw.sync_log "
        "GROUP BY tenant_id, partition_date ORDER BY tenant_id, partition_date"
    )
    return [
        (r["tenant_id"], str(r["partition_date"])[:10], r["n"]) for r in frame.to_dict("records")
    ]


def test_replace_touches_only_its_slices(warehouse):
    warehouse.replace_slices(SYNC_LOG, [("a", D1)], log_rows("a", D1, 3))
    warehouse.replace_slices(SYNC_LOG, [("a", D2)], log_rows("a", D2, 2))
    warehouse.replace_slices(SYNC_LOG, [("b", D1)], log_rows("b", D1, 4))
    warehouse.replace_slices(SYNC_LOG, [("a", D1)], log_rows("a", D1, 1))  # re-run: replaced
    assert counts(warehouse) == [
        ("a", "2026-11-01", 1),
        ("a", "2026-11-02", 2),
        ("b", "2026-11-01", 4),
    ]


def test_replace_with_match_keeps_other_rows_of_the_slice(warehouse):
    warehouse.replace_slices(SYNC_LOG, [("a", D1)], log_rows("a", D1, 2))  # sources s0, s1
    warehouse.replace_slices(
        SYNC_LOG, [("a", D1)], log_rows("a", D1, 1, fetched=9), {"source": "s0"}
    )
    frame = warehouse.query("SELECT source, fetched FROM raw.sync_log ORDER BY source")
    assert frame.to_dict("records") == [
        {"source": "s0", "fetched": 9},
        {"source": "s1", "fetched": 1},
    ]


def test_failed_write_rolls_back_the_delete(warehouse):
    warehouse.replace_slices(SYNC_LOG, [("a", D1)], log_rows("a", D1, 2))
    bad = log_rows("a", D1, 1).assign(source=None)  # NOT NULL violated after the delete ran
    with pytest.raises(Exception):  # noqa: B017 - engines raise different constraint errors
        warehouse.replace_slices(SYNC_LOG, [("a", D1)], bad)
    assert counts(warehouse) == [("a", "2026-11-01", 2)]


def _writer(url, tenant, rounds):
    warehouse = Warehouse(url=url)
    for i in range(rounds):
        day = date(2026, 11, 1 + i % 3)
        warehouse.replace_slices(SYNC_LOG, [(tenant, day)], log_rows(tenant, day, 5))


@pytest.mark.integration  # real writer processes racing for the file: seconds each
def test_concurrent_writer_processes_neither_fail_nor_duplicate(warehouse):
    warehouse.ensure_schema()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(warehouse.url, t, 12)) for t in ("a", "b", "c")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    assert counts(warehouse) == [(t, f"2026-11-0{d}", 5) for t in "abc" for d in (1, 2, 3)]


@pytest.mark.integration  # waits out a real lock timeout
def test_file_lock_times_out_with_a_clear_message(tmp_path):
    path = str(tmp_path / "w.duckdb.lock")
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(path, ready))
    holder.start()
    try:
        assert ready.wait(30)
        with pytest.raises(TimeoutError, match="another callintel process"):
            with file_lock(path, 0.3):
                pass
    finally:
        holder.terminate()
        holder.join()


def _hold_lock(path, ready):
    import time

    with file_lock(path, 5):
        ready.set()
        time.sleep(30)


@requires_postgres
def test_postgres_gets_its_slice_and_call_indexes_once():
    with fresh_postgres_db() as url:
        for _ in range(2):  # a second process (or release) finds them there
            Warehouse(url=url).ensure_schema()
        found = Warehouse(url=url).query(
            "SELECT schemaname, indexname FROM pg_indexes WHERE schemaname IN ('raw', 'core')"
        )
    names = set(zip(found["schemaname"], found["indexname"], strict=True))
    assert {("raw", "call_records_slice"), ("raw", "call_records_pkey")} <= names
    assert {("core", "transcript_turns_call"), ("raw", "call_records_started")} <= names
    # a primary key that starts with the same columns serves those lookups: no second index
    assert ("raw", "call_records_call") not in names
    assert ("core", "transcript_turns_slice") not in names


@requires_postgres
def test_postgres_drops_the_indexes_an_older_release_made_that_the_keys_serve():
    with fresh_postgres_db() as url:
        Warehouse(url=url).ensure_schema()
        older = Warehouse(url=url)  # indexes an older release made beside the keys
        with older.connect() as con, older.cursor(con) as cur:
            cur.execute(
                "CREATE INDEX transcript_turns_slice ON core.transcript_turns "
                "(tenant_id, partition_date)"
            )
            cur.execute("CREATE INDEX call_records_call ON raw.call_records (tenant_id, call_id)")
        Warehouse(url=url).ensure_schema()
        found = Warehouse(url=url).query(
            "SELECT schemaname, indexname FROM pg_indexes WHERE schemaname IN ('raw', 'core')"
        )
    names = set(zip(found["schemaname"], found["indexname"], strict=True))
    assert ("core", "transcript_turns_slice") not in names
    assert ("raw", "call_records_call") not in names
    assert {("raw", "call_records_slice"), ("core", "transcript_turns_call")} <= names
