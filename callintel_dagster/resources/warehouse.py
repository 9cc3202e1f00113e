"""The warehouse: a DuckDB file by default, PostgreSQL when the URL says so.

Schemas: raw (as ingested), core (transcripts, signals, analyses), marts (dbt), delivery.
A partitioned write replaces exactly its (tenant, day) slices in one transaction, so
re-materializing a partition yields identical rows and never duplicates.

Concurrency. DuckDB admits one writing process per file: callintel's processes queue on a file
lock (`exclusive`), one writer at a time. PostgreSQL has no global lock; runs for different
tenants and days write at the same time, and every table's primary key (lib/tables.py) makes a
duplicate impossible whatever the interleaving:
- A slice replacement (delete the slice, insert its rows) first takes a transaction-scoped
  advisory lock on (table, tenant, day). Replacements of different slices take different locks
  and touch disjoint rows (the slice is in the delete's WHERE and in the key), so they never wait
  on each other. Two runs replacing the SAME slice queue on its lock: the second one's delete
  runs after the first commits, sees its rows and removes them, so the slice ends up as exactly
  one run's rows (the last to commit). Row locks alone would not do: the second delete does not
  see rows inserted by a transaction still open, and on an empty slice it locks nothing.
- A row upsert keyed by the table's primary key is INSERT ... ON CONFLICT DO UPDATE (on DuckDB
  too, where it is the faster statement): two runs upserting the same key serialise on that
  key's index entry and the later one updates the row. Rows are sent in key order, so two
  upserts of overlapping keys lock them in the same order.
"""

import fcntl
import logging
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pandas as pd
from pydantic import PrivateAttr
from tenacity import retry, retry_if_exception, stop_after_delay, wait_random_exponential

from callintel_dagster.lib.tables import ALL_TABLES, RETIRED_TABLES, SCHEMAS, Table
from callintel_dagster.resources.warehouse_keys import (
    PK_SQL,
    add_primary_key,
    slice_lock_keys,
    upsert_suffix,
)

PartitionSlice = tuple[str, date]  # (tenant_id, partition_date)
log = logging.getLogger("callintel.warehouse")
# pg_advisory_xact_lock's key for schema setup (two processes adding one primary key would fail)
SCHEMA_LOCK_KEY = 7_412_554


@contextmanager
def file_lock(path: str, timeout_s: float) -> Iterator[None]:
    """An exclusive advisory lock (flock) on `path`, waiting up to `timeout_s`."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"{path}: another callintel process held the warehouse for more than "
                        f"{timeout_s:.0f} s"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _is_lock_error(exc: BaseException) -> bool:
    # A process outside callintel (an analyst's shell) may hold the DuckDB file; DuckDB then
    # raises an IOException mentioning the lock. Waiting is the right answer.
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


class Warehouse(dg.ConfigurableResource):
    """`url`: `duckdb:///abs/path/warehouse.duckdb` or `postgresql://user@host:5432/db`."""

    url: str
    lock_timeout_s: float = 120.0
    _ready: bool = PrivateAttr(default=False)
    # tables whose primary key is in place (an older warehouse may still lack one: see
    # ensure_schema); only these take PostgreSQL's ON CONFLICT upsert
    _keyed: frozenset[str] = PrivateAttr(default=frozenset())

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith(("postgresql://", "postgresql+psycopg2://", "postgres://"))

    @property
    def duckdb_path(self) -> str:
        return self.url.removeprefix("duckdb:///").removeprefix("duckdb://")

    @contextmanager
    def connect(self, timeout_s: float | None = None) -> Iterator[Any]:
        """A DB-API connection; committed on success, rolled back on error, always closed."""
        with self.exclusive(timeout_s):
            con = self._open()
            try:
                yield con
                con.commit()
            except BaseException:
                con.rollback()
                raise
            finally:
                con.close()

    @contextmanager
    def exclusive(self, timeout_s: float | None = None) -> Iterator[None]:
        """Serialise DuckDB users across processes (runs, sensors, the dbt subprocess).

        DuckDB admits one writing process per file and fails the others at once; callintel's
        processes queue on an advisory lock beside the file instead. PostgreSQL needs none.
        """
        if self.is_postgres:
            yield
            return
        with file_lock(f"{self.duckdb_path}.lock", timeout_s or self.lock_timeout_s):
            yield

    def _open(self) -> Any:
        if self.is_postgres:
            import psycopg2

            return psycopg2.connect(
                self.url.replace("+psycopg2", "").replace("postgres://", "postgresql://")
            )
        opener = retry(
            retry=retry_if_exception(_is_lock_error),
            wait=wait_random_exponential(multiplier=0.05, max=2),
            stop=stop_after_delay(self.lock_timeout_s),
            reraise=True,
        )(self._open_duckdb)
        return opener()

    def _open_duckdb(self) -> Any:
        con = duckdb.connect(self.duckdb_path)
        con.begin()
        return con

    @property
    def snapshot_path(self) -> str:
        """A read-only copy of the DuckDB file for tools outside callintel (refreshed after each
        successful run): they read it freely while runs write the live file."""
        return str(Path(self.duckdb_path).with_suffix(".snapshot.duckdb"))

    def refresh_snapshot(self) -> str | None:
        """Copy the DuckDB file, checkpointed, to `snapshot_path` atomically; None on PostgreSQL
        (its readers never conflict with writers)."""
        if self.is_postgres or not Path(self.duckdb_path).exists():
            return None
        with self.exclusive():
            con = duckdb.connect(self.duckdb_path)
            try:
                con.execute("CHECKPOINT")  # everything in the file, nothing left in the WAL
            finally:
                con.close()
            tmp = f"{self.snapshot_path}.tmp"
            shutil.copyfile(self.duckdb_path, tmp)
            os.replace(tmp, self.snapshot_path)  # open readers keep the copy they opened
        return self.snapshot_path

    def ensure_schema(self) -> None:
        """Create schemas and tables if missing, and give tables made by older releases the
        columns and primary keys added since (idempotent, cheap once done)."""
        if self._ready:
            return
        with self.connect() as con:
            cur = self.cursor(con)
            if self.is_postgres:  # processes starting together set the schema up one at a time
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_KEY,))
            for schema in SCHEMAS:
                cur.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            for table in ALL_TABLES:
                cur.execute(table.ddl())
            for qualified in RETIRED_TABLES:
                cur.execute(f"DROP TABLE IF EXISTS {qualified}")
            # a warehouse made by an older release gains the columns added since (nullable)
            cur.execute(
                "SELECT table_schema, table_name, column_name FROM information_schema.columns"
            )
            have = {tuple(r) for r in cur.fetchall()}
            for table in ALL_TABLES:
                for column, sql_type in table.columns:
                    if (table.schema, table.name, column) not in have:
                        cur.execute(
                            f"ALTER TABLE {table.qualified} ADD COLUMN {column} "
                            + sql_type.replace(" NOT NULL", "")
                        )
            cur.execute(PK_SQL)
            keyed = {f"{schema}.{name}" for schema, name in cur.fetchall()}
            for table in ALL_TABLES:
                if table.primary_key and table.qualified not in keyed:
                    columns = [
                        c for s, n, c in sorted(have) if (s, n) == (table.schema, table.name)
                    ]
                    columns += [c for c in table.column_names if c not in columns]
                    if add_primary_key(cur, table, columns, self.is_postgres):
                        keyed.add(table.qualified)
            if self.is_postgres:
                for statement in pg_retired_indexes() + pg_indexes():
                    cur.execute(statement)
        self._keyed = frozenset(keyed)
        self._ready = True

    def replace_slices(
        self,
        table: Table,
        slices: Sequence[PartitionSlice],
        rows: pd.DataFrame,
        match: dict[str, str] | None = None,
    ) -> int:
        """Replace `slices` of `table` with `rows` in one transaction; returns rows written."""
        return self.write([SliceWrite(table, slices, rows, match or {})])[0]

    def write(self, writes: Sequence["SliceWrite | RowUpsert | RowDelete"]) -> list[int]:
        """Apply slice replacements, row upserts and deletions atomically (all or none)."""
        self.ensure_schema()
        with self.connect() as con:
            return self.write_in(con, writes)

    def write_in(
        self, con: Any, writes: Sequence["SliceWrite | RowUpsert | RowDelete"]
    ) -> list[int]:
        """`write` inside the caller's transaction (`con` from `connect()`, after
        `ensure_schema()`): for work that must commit together with other statements."""
        if not self._ready:
            raise RuntimeError("Warehouse.write_in: call ensure_schema() before connect()")
        if self.is_postgres:  # see the module docstring: the same slice, one writer at a time
            locks = [
                k
                for w in writes
                if isinstance(w, SliceWrite)
                for k in slice_lock_keys(w.table, w.slices)
            ]
            if locks:  # one round trip; unnest yields the sorted keys in order
                con.cursor().execute(
                    "SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k",
                    (sorted(set(locks)),),
                )
        written = []
        for w in writes:
            if isinstance(w, RowDelete):
                self._delete_keys(con, w)
                written.append(0)
            elif isinstance(w, RowUpsert):
                written.append(self._upsert(con, w))
            else:
                written.append(self._replace(con, w))
        return written

    def _replace(self, con: Any, w: "SliceWrite") -> int:
        extra = "".join(f" AND {col} = ?" for col in w.match)
        for tenant_id, day in w.slices:
            self.cursor(con).execute(
                self.sql(
                    f"DELETE FROM {w.table.qualified} WHERE tenant_id = ? "
                    f"AND partition_date = ?{extra}"
                ),
                (tenant_id, day, *w.match.values()),
            )
        frame = _inside(w)
        if not frame.empty:
            self.insert(con, w.table, frame)
        return len(frame)

    def _upsert(self, con: Any, w: "RowUpsert") -> int:
        frame = w.rows.reindex(columns=w.table.column_names)
        if frame.empty:
            return 0
        by_pk = set(w.keys) == set(w.table.primary_key)
        if by_pk:  # a key given twice: the last row wins, as if upserted one by one (one
            # INSERT ... ON CONFLICT may not touch a row twice; the key refuses a second row)
            frame = frame.drop_duplicates(subset=list(w.keys), keep="last")
        if by_pk and w.table.qualified in self._keyed:
            # PostgreSQL: rows in key order (see the module docstring). DuckDB: one writer, and
            # ON CONFLICT costs a quarter of delete-then-insert there (bench/warehouse_keys.py)
            if self.is_postgres:
                frame = frame.sort_values(list(w.table.primary_key))
            self.insert(con, w.table, frame, upsert=True)
        else:  # a key that is not the table's primary key, or a table still without its key
            self._delete_keys(con, RowUpsert(w.table, w.keys, frame))
            self.insert(con, w.table, frame)
        return len(frame)

    def _delete_keys(self, con: Any, upsert: "RowUpsert | RowDelete") -> None:
        """Delete the rows whose keys are being upserted (wherever they are: a record may move
        to another day when the provider changes its date)."""
        keys = upsert.rows[list(upsert.keys)].drop_duplicates()
        if keys.empty:
            return
        match = " AND ".join(f"t.{k} = k.{k}" for k in upsert.keys)
        if self.is_postgres:
            from psycopg2.extras import execute_values

            cols = ", ".join(upsert.keys)
            execute_values(
                con.cursor(),
                f"DELETE FROM {upsert.table.qualified} t USING (VALUES %s) AS k({cols}) "
                f"WHERE {match}",
                [tuple(_pg_value(v) for v in row) for row in keys.itertuples(index=False)],
                page_size=1000,
            )
        else:
            con.register("_keys", keys)
            con.execute(f"DELETE FROM {upsert.table.qualified} t USING _keys k WHERE {match}")
            con.unregister("_keys")

    def read_slices(
        self,
        qualified: str,
        slices: Sequence[PartitionSlice],
        columns: str = "*",
        order_by: str | None = None,
    ) -> pd.DataFrame:
        """Rows of `qualified` in the given (tenant, day) slices."""
        if not slices:
            return pd.DataFrame()
        return self.query(*slices_sql(qualified, slices, columns, order_by))

    def insert(self, con: Any, table: Table, frame: pd.DataFrame, upsert: bool = False) -> None:
        """Insert `frame`; `upsert`: a row whose primary key is stored replaces that row."""
        cols = ", ".join(table.column_names)
        on_conflict = upsert_suffix(table) if upsert else ""
        if self.is_postgres:
            from psycopg2.extras import execute_values

            values = [
                tuple(_pg_value(v) for v in row) for row in frame.itertuples(index=False, name=None)
            ]
            execute_values(
                con.cursor(),
                f"INSERT INTO {table.qualified} ({cols}) VALUES %s{on_conflict}",
                values,
                page_size=1000,
            )
        else:
            con.register("_incoming", frame)
            con.execute(
                f"INSERT INTO {table.qualified} ({cols}) SELECT {cols} FROM _incoming{on_conflict}"
            )
            con.unregister("_incoming")

    def query(
        self, sql: str, params: Sequence[Any] = (), timeout_s: float | None = None
    ) -> pd.DataFrame:
        """Run a read query written with `?` placeholders; returns a DataFrame. `timeout_s`: how
        long to wait for another process's hold on a DuckDB file (default `lock_timeout_s`)."""
        self.ensure_schema()
        with self.connect(timeout_s) as con:
            return self.query_in(con, sql, params)

    def query_in(self, con: Any, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """`query` on an open connection (`con` from `connect()`)."""
        cur = self.cursor(con)
        cur.execute(self.sql(sql), tuple(params))
        names = [d[0] for d in cur.description]
        return pd.DataFrame(cur.fetchall(), columns=names)

    def table_exists(self, qualified: str) -> bool:
        return bool(self.query(TABLE_EXISTS_SQL, qualified.split("."))["n"].iloc[0])

    def cursor(self, con: Any) -> Any:
        # A DuckDB cursor() is a second connection with its own transaction: use the connection.
        return con.cursor() if self.is_postgres else con

    def sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.is_postgres else sql


# whether a table exists (params: schema, name)
TABLE_EXISTS_SQL = (
    "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = ? AND table_name = ?"
)


def slices_sql(
    qualified: str,
    slices: Sequence[PartitionSlice],
    columns: str = "*",
    order_by: str | None = None,
) -> tuple[str, list]:
    """The SELECT of `Warehouse.read_slices` and the values it binds, in qmark style (one `?`
    per value; `Warehouse.sql` turns them into PostgreSQL's `%s`)."""
    where = " OR ".join(["(tenant_id = ? AND partition_date = ?)"] * len(slices))
    params = [v for tenant_id, day in slices for v in (tenant_id, day)]
    order = f" ORDER BY {order_by}" if order_by else ""
    return f"SELECT {columns} FROM {qualified} WHERE {where}{order}", params


def pg_indexes() -> list[str]:
    """PostgreSQL indexes for what every write and read filters on: a tenant-day slice (slice
    replacement, the marts) and a tenant's call (the explorer, upserts), plus the call list's
    default order and lead lookup by phone. At 100k calls they took the explorer's call page from
    0.9 s to 0.18 s and its list from 3.0 s to 0.47 s (bench/explorer.py). None where the
    table's primary key starts with the same columns: its index serves those lookups, and each
    index more slows every write. DuckDB has only its primary keys: its zone maps prune on
    partition_date, and each ART index slows its bulk writes."""
    out = [
        _index(table, suffix, ", ".join(columns))
        for table, suffix, columns, served in _lookups()
        if not served
    ]
    out.append(_index_on("raw.call_records", "started", "tenant_id, started_at_utc DESC, call_id"))
    out.append(_index_on("raw.crm_leads", "phone", "tenant_id, phone_e164"))
    return out


def pg_retired_indexes() -> list[str]:
    """Slice and call indexes that older releases made on every table: where the table's primary
    key starts with the same columns they serve no lookup and slow each write, so they go."""
    return [
        f"DROP INDEX IF EXISTS {table.schema}.{table.name}_{suffix}"
        for table, suffix, _, served in _lookups()
        if served
    ]


LOOKUPS = (("slice", ("tenant_id", "partition_date")), ("call", ("tenant_id", "call_id")))


def _lookups() -> list[tuple[Table, str, tuple[str, ...], bool]]:
    """(table, suffix, columns, served) of each slice or call lookup a table has the columns
    for; `served`: its primary key starts with those columns, so no index of its own is needed."""
    return [
        (table, suffix, columns, table.primary_key[: len(columns)] == columns)
        for table in ALL_TABLES
        for suffix, columns in LOOKUPS
        if set(columns) <= {name for name, _ in table.columns}
    ]


def _index(table: Table, suffix: str, columns: str) -> str:
    return _index_on(table.qualified, suffix, columns)


def _index_on(qualified: str, suffix: str, columns: str) -> str:
    schema, name = qualified.split(".")
    return f"CREATE INDEX IF NOT EXISTS {name}_{suffix} ON {schema}.{name} ({columns})"


@dataclass(frozen=True)
class SliceWrite:
    table: Table
    slices: Sequence[PartitionSlice]
    rows: pd.DataFrame
    match: dict[str, str] = field(default_factory=dict)  # extra equality filter on the delete


@dataclass(frozen=True)
class RowUpsert:
    """Replace rows by key (e.g. tenant_id + call_id); rows not in `rows` are never touched.
    When `keys` is the table's primary key and `rows` gives a key twice, the last row wins."""

    table: Table
    keys: tuple[str, ...]
    rows: pd.DataFrame


@dataclass(frozen=True)
class RowDelete:
    """Delete rows by key (e.g. tenant_id + call_id); `rows` holds at least the key columns."""

    table: Table
    keys: tuple[str, ...]
    rows: pd.DataFrame


def _inside(w: SliceWrite) -> pd.DataFrame:
    """`w`'s rows that lie in its slices (and match its filter). A row outside them would land
    in a slice this write did not clear (a duplicate, or a key clash): such rows are dropped and
    logged; e.g. a tenant that failed half-way through a run's days is not in the run's slices."""
    frame = w.rows.reindex(columns=w.table.column_names)
    if frame.empty:
        return frame
    wanted = {(t, pd.Timestamp(d).date()) for t, d in w.slices}
    pairs = frame[["tenant_id", "partition_date"]].drop_duplicates()
    outside = {
        (t, d)
        for t, d in pairs.itertuples(index=False, name=None)
        if (t, None if pd.isna(d) else pd.Timestamp(d).date()) not in wanted
    }
    inside = pd.Series(True, index=frame.index)
    if outside:
        keys = zip(frame["tenant_id"], frame["partition_date"], strict=True)
        inside = pd.Series([k not in outside for k in keys], index=frame.index)
    for column, value in w.match.items():
        inside &= frame[column] == value
    if not inside.all():
        log.warning(
            f"{w.table.qualified}: {int((~inside).sum())} row(s) outside the slices written "
            f"({len(w.slices)} slice(s)) were not written"
        )
    return frame[inside]


def _pg_value(value: Any) -> Any:
    """pandas NA/NaT/numpy scalars → plain Python values psycopg2 can adapt."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value
