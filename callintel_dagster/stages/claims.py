"""Claims: two runs that overlap on a tenant-day (a backfill and the sensor's run, two cluster
workers) must not both analyse - and pay for - its calls.

A stage claims the tenant-days it is about to work on, in one transaction: days another live run
holds are left to that run (this run skips them and writes nothing there, so neither result is
overwritten), the rest are claimed. The claim unit is the tenant-day because that is the unit a
stage's write replaces; calls are claimed with their day. On DuckDB the warehouse's writer lock
makes the claim atomic; on PostgreSQL a transaction-scoped advisory lock does. A claim is released
when the step ends. A killed run's claims stop counting as soon as its run is no longer live
(`live(run_id)`: run monitoring marks a dead worker's run failed), and lapse after `ttl` anyway.
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta

import pandas as pd

from callintel_dagster.lib.tables import WORK_CLAIMS
from callintel_dagster.resources.warehouse import Warehouse

DEFAULT_TTL = timedelta(hours=2)
_LOCK_KEY = 7_412_553  # pg_advisory_xact_lock's key for claims (any constant of ours)


def claim(
    warehouse: Warehouse,
    stage: str,
    slices: Sequence[tuple[str, date]],
    run_id: str,
    now: datetime,
    ttl: timedelta = DEFAULT_TTL,
    live: Callable[[str], bool] = lambda run_id: True,
) -> dict[tuple[str, date], str]:
    """Claim `slices` for `run_id`; returns the ones another live run holds, with its run id."""
    if not slices:
        return {}
    warehouse.ensure_schema()
    with warehouse.connect() as con:
        cur = warehouse.cursor(con)
        if warehouse.is_postgres:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        where, params = _where(stage, slices)
        cur.execute(
            warehouse.sql(
                f"SELECT tenant_id, partition_date, run_id FROM {WORK_CLAIMS.qualified} "
                f"WHERE {where} AND run_id <> ? AND expires_at_utc > ?"
            ),
            (*params, run_id, now),
        )
        held = {(t, _day(d)): r for t, d, r in cur.fetchall() if live(r)}
        free = [s for s in slices if (s[0], s[1]) not in held]
        if free:
            where, params = _where(stage, free)
            cur.execute(warehouse.sql(f"DELETE FROM {WORK_CLAIMS.qualified} WHERE {where}"), params)
            rows = pd.DataFrame(
                [(t, d, stage, run_id, now, now + ttl) for t, d in free],
                columns=WORK_CLAIMS.column_names,
            )
            warehouse.insert(con, WORK_CLAIMS, rows)
    return held


def release(warehouse: Warehouse, stage: str, run_id: str) -> None:
    with warehouse.connect() as con:
        warehouse.cursor(con).execute(
            warehouse.sql(f"DELETE FROM {WORK_CLAIMS.qualified} WHERE stage = ? AND run_id = ?"),
            (stage, run_id),
        )


@contextmanager
def claimed(
    warehouse: Warehouse, stage: str, slices, run_id: str, now: datetime, **kwargs
) -> Iterator[dict[tuple[str, date], str]]:
    """`claim` for the block, released after it (also when it fails)."""
    try:
        yield claim(warehouse, stage, slices, run_id, now, **kwargs)
    finally:
        release(warehouse, stage, run_id)


def _where(stage: str, slices) -> tuple[str, list]:
    pairs = " OR ".join("(tenant_id = ? AND partition_date = ?)" for _ in slices)
    return f"stage = ? AND ({pairs})", [stage, *(v for s in slices for v in (s[0], s[1]))]


def _day(value) -> date:
    return value if isinstance(value, date) and not isinstance(value, datetime) else value.date()
