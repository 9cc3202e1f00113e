"""PostgreSQL under concurrency: runs for different tenant-days write at the same time, runs for
the same tenant-day queue, and nothing is ever duplicated (the primary keys hold)."""

import threading
import time
from datetime import date, datetime

import pytest
from pk_rows import cursor_row, duplicate_keys, slice_writes

from callintel_dagster.lib.tables import CALL_TRANSCRIPTS, SYNC_CURSORS, TRANSCRIPT_TURNS
from callintel_dagster.resources.warehouse import RowUpsert, Warehouse
from conftest import fresh_postgres_db, requires_postgres

pytestmark = [requires_postgres, pytest.mark.integration]
DAY = date(2026, 11, 20)


@pytest.fixture
def warehouse():
    with fresh_postgres_db() as url:
        warehouse = Warehouse(url=url)
        warehouse.ensure_schema()
        yield warehouse


def run_threads(target, n: int) -> list:
    """`target(i)` in `n` threads at once; returns their results, raising the first error."""
    results, errors = [None] * n, []

    def work(i):
        try:
            results[i] = target(i)
        except BaseException as exc:  # noqa: BLE001 - re-raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    if errors:
        raise errors[0]
    return results


def slice_rows(warehouse, table, tenant, day):
    return warehouse.read_slices(table.qualified, [(tenant, day)])


def test_eight_runs_replace_their_own_slices_at_the_same_time(warehouse):
    """Each writer applies its slice replacement and then waits, transaction open, until all
    eight have: under any global lock the barrier would break. All rows land, none twice."""
    slices = [(f"tenant{i % 4}", date(2026, 11, 20 + i // 4)) for i in range(8)]
    for tenant, day in slices:  # yesterday's rows, which the replacement must remove
        warehouse.write(slice_writes(tenant, day, ["old-1", "old-2"], "old"))
    all_in = threading.Barrier(8, timeout=15)
    calls = [f"c{n:03d}" for n in range(200)]

    def replace(i):
        tenant, day = slices[i]
        with warehouse.connect() as con:
            start = time.monotonic()
            warehouse.write_in(con, slice_writes(tenant, day, calls, f"writer{i}"))
            all_in.wait()  # every writer is inside its transaction, its rows written
            end = time.monotonic()
        return start, end

    spans = run_threads(replace, 8)

    assert max(s for s, _ in spans) < min(e for _, e in spans)  # all eight overlapped
    for i, (tenant, day) in enumerate(slices):
        rows = slice_rows(warehouse, CALL_TRANSCRIPTS, tenant, day)
        assert sorted(rows["call_id"]) == calls
        assert set(rows["model"]) == {f"writer{i}"}
        assert len(slice_rows(warehouse, TRANSCRIPT_TURNS, tenant, day)) == 3 * len(calls)
    assert duplicate_keys(warehouse, CALL_TRANSCRIPTS) == 0
    assert duplicate_keys(warehouse, TRANSCRIPT_TURNS) == 0


def test_four_runs_replacing_the_same_slice_leave_exactly_one_runs_rows(warehouse):
    warehouse.write(slice_writes("acme", DAY, ["old-1", "shared"], "old"))
    start = threading.Barrier(4, timeout=15)
    # different row sets that share one call id: a key clash if two were ever both inserted
    sets = [["shared", *(f"w{i}-c{n}" for n in range(5 + 10 * i))] for i in range(4)]

    def replace(i):
        writes = slice_writes("acme", DAY, sets[i], f"writer{i}")
        start.wait()  # half of them name the two tables in the other order: no deadlock either
        return warehouse.write(writes if i % 2 else writes[::-1])

    run_threads(replace, 4)

    rows = slice_rows(warehouse, CALL_TRANSCRIPTS, "acme", DAY)
    (winner,) = set(rows["model"])  # one writer's rows, nobody else's
    i = int(winner.removeprefix("writer"))
    assert sorted(rows["call_id"]) == sorted(sets[i])
    turns = slice_rows(warehouse, TRANSCRIPT_TURNS, "acme", DAY)
    assert set(turns["text"].str.split().str[0]) == {winner}  # both tables: the same run
    assert len(turns) == 3 * len(sets[i])


def test_a_slice_being_replaced_holds_back_only_writers_of_that_slice(warehouse):
    with warehouse.connect() as con:
        warehouse.write_in(con, slice_writes("acme", DAY, ["a1", "a2"], "first"))
        other = threading.Thread(
            target=warehouse.write, args=(slice_writes("acme", date(2026, 11, 21), ["x"], "o"),)
        )
        same = threading.Thread(
            target=warehouse.write, args=(slice_writes("acme", DAY, ["b1"], "second"),)
        )
        other.start()
        same.start()
        other.join(15)
        assert not other.is_alive()  # another day of the same tenant: not held back
        same.join(0.5)
        assert same.is_alive()  # the same slice waits for this transaction
    same.join(15)
    rows = slice_rows(warehouse, CALL_TRANSCRIPTS, "acme", DAY)
    assert list(rows["call_id"]) == ["b1"]  # it replaced the first writer's rows once committed


def test_concurrent_upserts_of_the_same_keys_update_instead_of_clashing(warehouse):
    """Delete-then-insert would raise a unique violation in the later writer here; ON CONFLICT
    makes it update the row the earlier writer inserted."""
    start = threading.Barrier(6, timeout=15)

    def upsert(i):
        at = datetime(2026, 11, 20, 10, i)
        start.wait()
        for tenant in ("acme", "globex"):
            warehouse.write([RowUpsert(SYNC_CURSORS, ("tenant_id", "source"), cursor_row(
                tenant, "call_records", f"p{i}", at
            ))])  # fmt: skip

    run_threads(upsert, 6)

    cursors = warehouse.query(f"SELECT tenant_id, provider FROM {SYNC_CURSORS.qualified}")
    assert sorted(cursors["tenant_id"]) == ["acme", "globex"]


def test_processes_starting_together_on_an_older_warehouse_each_find_the_keys(warehouse):
    with warehouse.connect() as con:  # the tables as a release without keys left them
        for table in (CALL_TRANSCRIPTS, TRANSCRIPT_TURNS):
            con.cursor().execute(f"ALTER TABLE {table.qualified} DROP CONSTRAINT {table.name}_pkey")
    warehouse.write(slice_writes("acme", DAY, ["c1", "c2"], "old"))
    start = threading.Barrier(3, timeout=15)

    def starting(i):
        fresh = Warehouse(url=warehouse.url)
        start.wait()
        fresh.ensure_schema()
        return fresh.write(slice_writes("acme", DAY, ["c1", "c2"], f"run{i}"))

    run_threads(starting, 3)

    keys = warehouse.query(
        "SELECT table_name FROM information_schema.table_constraints "
        "WHERE constraint_type = 'PRIMARY KEY' AND table_schema = 'core'"
    )
    assert {"call_transcripts", "transcript_turns"} <= set(keys["table_name"])
    assert len(slice_rows(warehouse, CALL_TRANSCRIPTS, "acme", DAY)) == 2
