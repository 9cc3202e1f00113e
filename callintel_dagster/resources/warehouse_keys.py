"""Primary keys in the warehouse: giving older warehouses theirs, PostgreSQL's upsert statement and
the per-slice locks that let runs for different tenants and days write at the same time.

Plain SQL over a DB-API cursor (DuckDB or psycopg2), used by resources/warehouse.py.
"""

import hashlib
import logging
from collections.abc import Iterable
from datetime import date

import pandas as pd

from callintel_dagster.lib.tables import Table

log = logging.getLogger("callintel.warehouse")

PK_SQL = (
    "SELECT table_schema, table_name FROM information_schema.table_constraints "
    "WHERE constraint_type = 'PRIMARY KEY'"
)


def add_primary_key(cur, table: Table, columns: list[str], is_postgres: bool) -> bool:
    """Give an existing `table` (made by a release without keys) its primary key; `columns`: the
    columns it has. Exact duplicate rows (every column equal: a write that ran twice) are removed
    first and counted in the log. Rows that share a key but differ, or a NULL in a key column,
    need a person to choose: the table is left without its key (writes to it fall back to
    delete-then-insert) and the log says so. True when the key is in place."""
    q, key = table.qualified, ", ".join(table.primary_key)
    nulls = _count(cur, f"SELECT count(*) FROM {q} WHERE " + " OR ".join(
        f"{c} IS NULL" for c in table.primary_key
    ))  # fmt: skip
    if nulls:
        log.warning(f"{q}: {nulls} row(s) have no value in a key column ({key}); no primary key")
        return False
    rowid = "ctid" if is_postgres else "rowid"  # each engine's physical row id
    before = _count(cur, f"SELECT count(*) FROM {q}")
    cur.execute(
        f"DELETE FROM {q} WHERE {rowid} IN (SELECT {rowid} FROM (SELECT {rowid}, row_number() "
        f"OVER (PARTITION BY {', '.join(columns)}) AS n FROM {q}) d WHERE n > 1)"
    )
    removed = before - _count(cur, f"SELECT count(*) FROM {q}")
    clashes = _count(
        cur, f"SELECT count(*) FROM (SELECT 1 FROM {q} GROUP BY {key} HAVING count(*) > 1) d"
    )
    if clashes:
        log.warning(
            f"{q}: {clashes} key(s) ({key}) have rows that differ; no primary key until they are "
            f"resolved ({removed} exact duplicate row(s) removed)"
        )
        return False
    if removed and not is_postgres:
        # DuckDB checks a new key against rows deleted in the same transaction: commit the
        # deletion first (`cur` is the connection; ensure_schema holds the writer lock)
        cur.commit()
        cur.begin()
    cur.execute(f"ALTER TABLE {q} ADD PRIMARY KEY ({key})")
    log.info(f"{q}: primary key ({key}) added; {removed} exact duplicate row(s) removed")
    return True


def _count(cur, sql: str) -> int:
    cur.execute(sql)
    return int(cur.fetchone()[0])


def upsert_suffix(table: Table) -> str:
    """`ON CONFLICT` for an INSERT keyed by the table's primary key (the same SQL on PostgreSQL
    and DuckDB): the incoming row replaces every other column of the stored one, its day
    included (a record may move day)."""
    others = [c for c in table.column_names if c not in table.primary_key]
    action = (
        "DO UPDATE SET " + ", ".join(f"{c} = EXCLUDED.{c}" for c in others)
        if others
        else "DO NOTHING"
    )
    return f" ON CONFLICT ({', '.join(table.primary_key)}) {action}"


def slice_lock_keys(table: Table, slices: Iterable[tuple[str, date]]) -> list[int]:
    """pg_advisory_xact_lock keys, one per (table, tenant, day), sorted: every writer takes its
    locks in the same order, so two writers never wait on each other in a cycle."""
    keys = set()
    for tenant_id, day in slices:
        name = f"{table.qualified}|{tenant_id}|{pd.Timestamp(day).date().isoformat()}"
        digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
        keys.add(int.from_bytes(digest, "big", signed=True))  # PostgreSQL's bigint range
    return sorted(keys)
