"""One tenant's day-by-day reads on a few warehouse connections instead of one per query.

Stages that work day by day (search chunks, daily summaries) read each day's slices as
`Warehouse.read_slices` would, but a connection per query (~50 ms on DuckDB: the file lock, the
catalog) was most of their time in a 90-day backfill. Here a connection serves `DAYS_PER_CONNECTION`
days of reads, the frames are the same queries' results, and it is closed before the caller's
work on those days (embedding, an LLM request) begins.
"""

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any, TypeVar

from callintel_dagster.resources.warehouse import TABLE_EXISTS_SQL, Warehouse, slices_sql

T = TypeVar("T")
# A week of one tenant's rows in memory at a time (its turns, for the search chunks), and a
# week's reads per connection: ~13 connections for a 90-day backfill instead of ~360.
DAYS_PER_CONNECTION = 7


class DayReader:
    """One tenant-day's reads on an open connection."""

    def __init__(self, warehouse: Warehouse, con: Any, tenant_id: str, day: date):
        self.warehouse, self.con, self.tenant_id, self.day = warehouse, con, tenant_id, day

    def slice(self, qualified: str, columns: str = "*", order_by: str | None = None):
        """`read_slices(qualified, [(tenant_id, day)], columns, order_by)`, same SQL."""
        slices = [(self.tenant_id, self.day)]
        return self.warehouse.query_in(self.con, *slices_sql(qualified, slices, columns, order_by))

    def table_exists(self, qualified: str) -> bool:
        found = self.warehouse.query_in(self.con, TABLE_EXISTS_SQL, qualified.split("."))
        return bool(found["n"].iloc[0])


def read_by_day(
    warehouse: Warehouse, tenant_id: str, days: list[date], read: Callable[[DayReader], T]
) -> Iterator[tuple[date, T]]:
    """(day, read(reader of that day)) for each day in order; each connection is closed before
    its days are handed out."""
    warehouse.ensure_schema()
    for start in range(0, len(days), DAYS_PER_CONNECTION):
        with warehouse.connect() as con:
            found = [
                (day, read(DayReader(warehouse, con, tenant_id, day)))
                for day in days[start : start + DAYS_PER_CONNECTION]
            ]
        yield from found
