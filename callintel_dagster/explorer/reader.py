"""The explorer's read layer: `Reader(warehouse).rows(sql, params)` with `?` placeholders.

DuckDB admits one writing process per file, so the explorer never opens the live file: it reads
the snapshot copy (`Warehouse.snapshot_path`) that the snapshot sensor refreshes after each run.
Each thread keeps its own read-only connection and reopens it when the snapshot was replaced
(inode or mtime changed). The file is ATTACHed to a private in-memory database rather than opened
with `duckdb.connect(path)`: DuckDB caches database instances by path inside a process, so a plain
reconnect could hand back the replaced file while another thread still holds it.
On PostgreSQL, readers never conflict with writers: a small pool of read-only connections.
"""

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from callintel_dagster.resources.warehouse import Warehouse

PG_POOL_SIZE = 8  # enough for the server's worker threads; PostgreSQL's default allows 100


class Reader:
    """Read-only queries against the warehouse, safe to share between threads."""

    def __init__(self, warehouse: Warehouse, pool_size: int = PG_POOL_SIZE):
        self.warehouse = warehouse
        self._local = threading.local()
        self._pool_size = pool_size
        self._pool: Any = None
        self._pool_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(pool_size)

    @property
    def is_postgres(self) -> bool:
        return self.warehouse.is_postgres

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict]:
        """The result rows as dicts; numeric values as float (PostgreSQL returns Decimal)."""
        if self.is_postgres:
            with self._pg_connection() as con:
                cur = con.cursor()
                # psycopg2 formats with %: a literal % in the SQL must be doubled
                cur.execute(sql.replace("%", "%%").replace("?", "%s"), tuple(params))
                return _dicts(cur)
        # the thread's own connection (a DuckDB cursor() would be a new connection without USE)
        return _dicts(self._duckdb().execute(sql, list(params)))

    # -- DuckDB: the snapshot, one connection per thread -------------------------------------

    def _duckdb(self) -> Any:
        path = Path(self.warehouse.snapshot_path)
        if not path.exists():
            self._make_snapshot()
        stat = path.stat()
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        con = getattr(self._local, "con", None)
        if con is None or self._local.stamp != stamp:
            if con is not None:
                con.close()
            con = duckdb.connect(":memory:")
            quoted = str(path).replace("'", "''")  # ATTACH takes no parameters
            con.execute(f"ATTACH '{quoted}' AS snapshot (READ_ONLY)")
            con.execute("USE snapshot")
            self._local.con, self._local.stamp = con, stamp
        return con

    def _make_snapshot(self) -> None:
        """The first read on a machine: the live file (with its tables) copied once."""
        with self._pool_lock:
            if Path(self.warehouse.snapshot_path).exists():
                return
            self.warehouse.ensure_schema()
            self.warehouse.refresh_snapshot()

    # -- PostgreSQL: a small pool -------------------------------------------------------------

    @contextmanager
    def _pg_connection(self) -> Iterator[Any]:
        with self._slots:  # wait for a free connection instead of failing with PoolError
            pool = self._pg_pool()
            con = pool.getconn()
            con.autocommit = True  # a read leaves no transaction open on a pooled connection
            broken = False
            try:
                yield con
            except Exception:
                broken = bool(con.closed)
                raise
            finally:
                pool.putconn(con, close=broken or bool(con.closed))

    def _pg_pool(self) -> Any:
        with self._pool_lock:
            if self._pool is None:
                from psycopg2.pool import ThreadedConnectionPool

                url = self.warehouse.url.replace("+psycopg2", "").replace(
                    "postgres://", "postgresql://"
                )
                self._pool = ThreadedConnectionPool(
                    0, self._pool_size, url, options="-c default_transaction_read_only=on"
                )
            return self._pool

    def close(self) -> None:
        """Close the PostgreSQL pool and this thread's DuckDB connection."""
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None
        with self._pool_lock:
            if self._pool is not None:
                self._pool.closeall()
                self._pool = None


def _dicts(cur: Any) -> list[dict]:
    names = [d[0] for d in cur.description]
    return [
        {k: float(v) if isinstance(v, Decimal) else v for k, v in zip(names, row, strict=True)}
        for row in cur.fetchall()
    ]
