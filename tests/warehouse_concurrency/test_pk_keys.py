"""Primary keys on both engines: declared for every table, enforced, added to older warehouses."""

import dataclasses
import logging
from datetime import date, datetime

import pandas as pd
import pytest
from pk_rows import cursor_row, duplicate_keys, transcripts

from callintel_dagster.lib.tables import ALL_TABLES, CALL_TRANSCRIPTS, SYNC_CURSORS, SYNC_LOG
from callintel_dagster.resources.warehouse import RowUpsert, SliceWrite, Warehouse

DAY = date(2026, 11, 20)
AT = datetime(2026, 11, 20, 9)


def test_every_table_has_a_key_of_required_columns_tenant_first():
    for table in ALL_TABLES:
        types = dict(table.columns)
        assert table.primary_key[0] == "tenant_id", table.qualified
        assert all("NOT NULL" in types[c] for c in table.primary_key), table.qualified
        assert f"PRIMARY KEY ({', '.join(table.primary_key)})" in table.ddl()


def test_a_duplicate_key_is_refused(warehouse_url):
    warehouse = Warehouse(url=warehouse_url)
    warehouse.replace_slices(
        CALL_TRANSCRIPTS, [("acme", DAY)], transcripts("acme", DAY, ["c1"], "a")
    )
    with pytest.raises(Exception, match="(?i)duplicate key"):
        with warehouse.connect() as con:
            warehouse.insert(con, CALL_TRANSCRIPTS, transcripts("acme", DAY, ["c1"], "b"))
    assert len(warehouse.read_slices(CALL_TRANSCRIPTS.qualified, [("acme", DAY)])) == 1


def test_an_upsert_giving_a_key_twice_keeps_the_last_row(warehouse_url):
    warehouse = Warehouse(url=warehouse_url)
    rows = pd.concat(
        [cursor_row("acme", "calls", "first", AT), cursor_row("acme", "calls", "last", AT)]
    )
    for _ in range(2):  # an insert, then an update of the stored row
        warehouse.write([RowUpsert(SYNC_CURSORS, ("tenant_id", "source"), rows)])
    stored = warehouse.query(f"SELECT provider FROM {SYNC_CURSORS.qualified}")
    assert list(stored["provider"]) == ["last"]


def test_rows_outside_the_slices_written_are_not_inserted(warehouse_url, caplog):
    warehouse = Warehouse(url=warehouse_url)
    rows = pd.concat(
        [
            transcripts("acme", DAY, ["c1"], "a"),
            transcripts("acme", date(2026, 11, 21), ["c2"], "a"),
        ]
    )
    with caplog.at_level(logging.WARNING, logger="callintel.warehouse"):
        assert warehouse.replace_slices(CALL_TRANSCRIPTS, [("acme", DAY)], rows) == 1
    assert "1 row(s) outside the slices" in caplog.text
    assert warehouse.query(f"SELECT call_id FROM {CALL_TRANSCRIPTS.qualified}")[
        "call_id"
    ].tolist() == ["c1"]


def test_an_older_warehouse_gains_its_keys_once(warehouse_url, caplog):
    """Tables made without keys: exact duplicates are removed (and counted), the keys added;
    a table whose rows differ under one key keeps working without its key, and says so."""
    old = Warehouse(url=warehouse_url)
    with old.connect() as con:
        cur = old.cursor(con)
        for schema in ("raw", "core"):
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for table in (CALL_TRANSCRIPTS, SYNC_LOG, SYNC_CURSORS):
            cur.execute(dataclasses.replace(table, primary_key=()).ddl())
        twice = transcripts("acme", DAY, ["c1", "c2"], "a")
        old.insert(con, CALL_TRANSCRIPTS, pd.concat([twice, twice.iloc[:1]]))
        clash = pd.concat(
            [cursor_row("acme", "calls", "p1", AT), cursor_row("acme", "calls", "p2", AT)]
        )
        old.insert(con, SYNC_CURSORS, clash)

    with caplog.at_level(logging.INFO, logger="callintel.warehouse"):
        Warehouse(url=warehouse_url).ensure_schema()
    assert (
        "core.call_transcripts: primary key (tenant_id, partition_date, call_id) added; 1 exact"
        in caplog.text
    )
    assert "raw.sync_cursors: 1 key(s) (tenant_id, source) have rows that differ" in caplog.text

    caplog.clear()
    warehouse = Warehouse(url=warehouse_url)
    with caplog.at_level(logging.INFO, logger="callintel.warehouse"):
        warehouse.ensure_schema()  # the second time: only the unresolved table is looked at again
    assert "call_transcripts" not in caplog.text and "sync_log" not in caplog.text
    assert duplicate_keys(warehouse, CALL_TRANSCRIPTS) == 0
    with pytest.raises(Exception, match="(?i)duplicate key"):
        with warehouse.connect() as con:
            warehouse.insert(con, CALL_TRANSCRIPTS, transcripts("acme", DAY, ["c1"], "b"))
    # the keyless table: the upsert falls back to delete-then-insert, which also ends the clash
    warehouse.write(
        [RowUpsert(SYNC_CURSORS, ("tenant_id", "source"), cursor_row("acme", "calls", "p3", AT))]
    )
    assert warehouse.query(f"SELECT provider FROM {SYNC_CURSORS.qualified}")[
        "provider"
    ].tolist() == ["p3"]
    warehouse.write(
        [SliceWrite(CALL_TRANSCRIPTS, [("acme", DAY)], transcripts("acme", DAY, ["c3"], "b"))]
    )
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="callintel.warehouse"):
        Warehouse(
            url=warehouse_url
        ).ensure_schema()  # a later start finds the clash gone: the key is added
    assert "raw.sync_cursors: primary key (tenant_id, source) added; 0 exact" in caplog.text
