"""The explorer's read layer: `Reader(warehouse).rows(sql, params)` with `?` placeholders.

DuckDB admits one writing process per file, so the explorer never opens the live file: it reads
the snapshot copy (`Warehouse.snapshot_path`) that the snapshot sensor refreshes after each run.
One in-memory DuckDB database per snapshot file ATTACHes it read-only (one buffer pool for all
threads); each thread queries through its own cursor of it, and moves to a new database when the
snapshot was replaced (inode, mtime or size changed). ATTACH rather than `duckdb.connect(path)`:
DuckDB caches database instances by path inside a process, so a plain reconnect could hand back
the replaced file while another thread still holds it.
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


class SnapshotUnavailable(RuntimeError):
    """No snapshot yet, and the live file could not be copied (a run held it too long):
    the app answers 503, try again shortly."""


class Reader:
    """Read-only queries against the warehouse, safe to share between threads."""

    def __init__(self, warehouse: Warehouse, pool_size: int = PG_POOL_SIZE):
        self.warehouse = warehouse
        self._local = threading.local()
        self._pool_size = pool_size
        self._pool: Any = None
        self._pool_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(pool_size)
        self._snapshot: tuple[Any, Any] = (None, None)  # (stamp, the database attaching it)

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
        return _dicts(self._duckdb().execute(sql, list(params)))

    # -- DuckDB: the snapshot, one connection per thread -------------------------------------

    def _duckdb(self) -> Any:
        """This thread's cursor on the current snapshot."""
        path = Path(self.warehouse.snapshot_path)
        if not path.exists():
            self._make_snapshot()
        stat = path.stat()
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if self._snapshot[0] != stamp:
            with self._pool_lock:
                if self._snapshot[0] != stamp:
                    base = duckdb.connect(":memory:")
                    quoted = str(path).replace("'", "''")  # ATTACH takes no parameters
                    base.execute(f"ATTACH '{quoted}' AS snapshot (READ_ONLY)")
                    # the old database stays open while a thread's cursor may still be using it
                    self._snapshot = (stamp, base)
        base = self._snapshot[1]
        if getattr(self._local, "base", None) is not base:
            cursor = base.cursor()
            cursor.execute("USE snapshot")  # a cursor starts in the in-memory database
            self._local.cursor, self._local.base = cursor, base
        return self._local.cursor

    def _make_snapshot(self) -> None:
        """The first read on a machine: the live file (with its tables) copied once."""
        with self._pool_lock:
            if Path(self.warehouse.snapshot_path).exists():
                return
            try:
                self.warehouse.ensure_schema()
                self.warehouse.refresh_snapshot()
            except (TimeoutError, duckdb.IOException) as exc:
                raise SnapshotUnavailable(
                    f"no warehouse snapshot yet at {self.warehouse.snapshot_path}, and the "
                    f"warehouse is busy ({type(exc).__name__}); try again in a minute"
                ) from None

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
        """Close the PostgreSQL pool and the DuckDB database (and so every cursor of it)."""
        with self._pool_lock:
            if self._snapshot[1] is not None:
                self._snapshot[1].close()
                self._snapshot = (None, None)
            if self._pool is not None:
                self._pool.closeall()
                self._pool = None


def _dicts(cur: Any) -> list[dict]:
    names = [d[0] for d in cur.description]
    return [
        {k: float(v) if isinstance(v, Decimal) else v for k, v in zip(names, row, strict=True)}
        for row in cur.fetchall()
    ]
