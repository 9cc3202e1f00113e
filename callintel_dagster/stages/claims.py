"""Claims: two runs that overlap on a call (a backfill and the sensor's run, two cluster workers)
must not both analyse - and pay for - it.

A stage claims the calls it is about to work on, per tenant, in one transaction: calls another
live run holds are left to that run (this run neither works on them nor writes their rows), the
rest become this run's. So two runs over the same tenant-day split its calls: the first takes
what it saw, the second only what came after (a new call) or what the first let go. The claim
is atomic: on DuckDB the warehouse's writer lock serialises it, on PostgreSQL a
transaction-scoped advisory lock per (stage, tenant) does. Claims are released when the step
ends. A killed run's claims stop counting as soon as its run is no longer live (`live(run_id)`:
run monitoring marks a dead worker's run failed), and lapse after `ttl` anyway.
"""

import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

from callintel_dagster.lib.tables import CALL_CLAIMS, Table
from callintel_dagster.resources.warehouse import RowDelete, RowUpsert, Warehouse

DEFAULT_TTL = timedelta(hours=2)
CallRef = tuple[date, str]  # (partition_date, call_id) of one tenant's call
CALL_KEY = ("tenant_id", "partition_date", "call_id")


def claim(
    warehouse: Warehouse,
    stage: str,
    tenant_id: str,
    calls: Sequence[CallRef],
    run_id: str,
    now: datetime,
    ttl: timedelta = DEFAULT_TTL,
    live: Callable[[str], bool] = lambda run_id: True,
) -> dict[str, str]:
    """Claim `calls` of `tenant_id` for `run_id`; returns the call ids another live run holds,
    each with that run's id (those are not claimed)."""
    if not calls:
        return {}
    warehouse.ensure_schema()
    with warehouse.connect() as con:
        cur = warehouse.cursor(con)
        if warehouse.is_postgres:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key(stage, tenant_id),))
        where = "stage = ? AND tenant_id = ?"
        # lapsed claims (a killed run's) go, so the table holds only what may still count
        cur.execute(
            warehouse.sql(
                f"DELETE FROM {CALL_CLAIMS.qualified} WHERE {where} AND expires_at_utc <= ?"
            ),
            (stage, tenant_id, now),
        )
        cur.execute(
            warehouse.sql(
                f"SELECT call_id, run_id FROM {CALL_CLAIMS.qualified} WHERE {where} AND run_id <> ?"
            ),
            (stage, tenant_id, run_id),
        )
        others = dict(cur.fetchall())
        alive = {other: live(other) for other in set(others.values())}  # one lookup per run
        held = {c: r for c, r in others.items() if alive[r]}
        mine = [(day, call_id) for day, call_id in calls if call_id not in held]
        rows = pd.DataFrame(
            [(tenant_id, day, call_id, stage, run_id, now, now + ttl) for day, call_id in mine],
            columns=CALL_CLAIMS.column_names,
        )
        # a dead run's claim on the same call is taken over (the key is the call's)
        warehouse.write_in(con, [RowUpsert(CALL_CLAIMS, CALL_CLAIMS.primary_key, rows)])
    wanted = {call_id for _, call_id in calls}
    return {c: r for c, r in held.items() if c in wanted}


def release(warehouse: Warehouse, stage: str, run_id: str) -> None:
    """Let go of every claim of `run_id` in `stage`."""
    warehouse.ensure_schema()
    with warehouse.connect() as con:
        warehouse.cursor(con).execute(
            warehouse.sql(f"DELETE FROM {CALL_CLAIMS.qualified} WHERE stage = ? AND run_id = ?"),
            (stage, run_id),
        )


@dataclass(frozen=True)
class Claimer:
    """One run's claims in one stage, to hand to a stage function: `take(tenant_id, calls)`."""

    warehouse: Warehouse
    stage: str
    run_id: str
    now: datetime
    live: Callable[[str], bool] = lambda run_id: True

    def take(self, tenant_id: str, calls: Sequence[CallRef]) -> dict[str, str]:
        return claim(
            self.warehouse, self.stage, tenant_id, calls, self.run_id, self.now, live=self.live
        )

    def release(self) -> None:
        release(self.warehouse, self.stage, self.run_id)


@contextmanager
def claiming(claimer: Claimer) -> Iterator[Claimer]:
    """`claimer` for the block; every claim it took is released after it (also on failure)."""
    try:
        yield claimer
    finally:
        claimer.release()


def call_refs(calls: list[dict]) -> list[CallRef]:
    """(day, call id) of each call row, for `claim`."""
    return [(pd.Timestamp(c["partition_date"]).date(), c["call_id"]) for c in calls]


def gone(stored: pd.DataFrame, refs: list[CallRef]) -> list[tuple]:
    """CALL_KEY of the stored rows whose call is no longer among `refs` on that day (removed at
    the source, or moved to another day): a stage's per-call write drops them, as a slice
    replacement would."""
    if stored.empty:
        return []
    now = set(refs)
    keys = stored[list(CALL_KEY)].drop_duplicates().itertuples(index=False, name=None)
    return [(t, d, c) for t, d, c in keys if (pd.Timestamp(d).date(), c) not in now]


def replace_calls(replaced: list[tuple], *tables: tuple[Table, list[dict]]) -> list:
    """Writes that replace the rows of the calls in `replaced` (CALL_KEY tuples) in each table
    with `rows`, leaving every other call's rows alone (another run's, held by its claims)."""
    keys = pd.DataFrame(replaced, columns=list(CALL_KEY))
    return [
        *(RowDelete(table, CALL_KEY, keys) for table, _ in tables),
        *(
            RowUpsert(table, table.primary_key, pd.DataFrame(rows, columns=table.column_names))
            for table, rows in tables
        ),
    ]


def _lock_key(stage: str, tenant_id: str) -> int:
    """A pg_advisory_xact_lock key per (stage, tenant): claims of different tenants never wait
    on each other."""
    digest = hashlib.blake2b(f"{CALL_CLAIMS.qualified}|{stage}|{tenant_id}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)
