"""The exactly-once ledger: one row per thing sent to an outside service that cannot be taken
back, so that no run ever sends it twice. Used by the CRM write-back (delivery.crm_writebacks:
one note per call and agent version) and by the WhatsApp digest (delivery.whatsapp_ledger: one
message per tenant, day, recipient and part).

The same rule for both:
1. `claim`: a row with status "sending" is committed BEFORE the service is asked;
2. `settle`: the outcome replaces it after the answer;
3. `step`: a later run reads the row first and decides:
   - DONE: the service has it (a note id, a message sid): never sent again;
   - HELD: a recorded failure a run must not retry by itself (given up, or permanent);
   - IN_DOUBT: still "sending": the process died between the call and the update, or the
     answer was lost. The service is asked whether it holds the item before sending again;
   - SEND: never tried, or a failure worth another try.
   `force` (an explicit resend) sends whatever the row says.
What counts as done or held is each ledger's policy; the storage and the order are shared.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import pandas as pd

from callintel_dagster.lib.tables import Table
from callintel_dagster.resources.warehouse import PartitionSlice, RowUpsert, Warehouse

SENDING = "sending"  # committed before the call: the outcome is not known yet


class Step(StrEnum):
    DONE = "done"
    HELD = "held"
    IN_DOUBT = "in_doubt"
    SEND = "send"


@dataclass(frozen=True)
class Ledger:
    """`key`: the columns that name one item; `stamp`: the column each save sets to now;
    `done` / `held`: this ledger's policy on a row read back (see the module docstring)."""

    warehouse: Warehouse
    table: Table
    key: tuple[str, ...]
    stamp: str
    done: Callable[[dict], bool]
    held: Callable[[dict], bool]

    def rows(self, where: str, params: Sequence[Any] = ()) -> list[dict]:
        """The ledger's rows matching `where` (`?` placeholders), as plain values."""
        found = self.warehouse.query(f"SELECT * FROM {self.table.qualified} WHERE {where}", params)
        return [plain_row(r) for r in found.to_dict("records")]

    def rows_in(self, slices: Sequence[PartitionSlice]) -> list[dict]:
        """The ledger's rows of these (tenant, day) slices, as plain values."""
        found = self.warehouse.read_slices(self.table.qualified, slices)
        return [plain_row(r) for r in found.to_dict("records")]

    def step(self, row: dict | None, force: bool = False) -> Step:
        """What to do for an item whose ledger row is `row` (None: never tried)."""
        if row is None or force:
            return Step.SEND
        if self.done(row):
            return Step.DONE
        if self.held(row):
            return Step.HELD
        if row["status"] == SENDING:
            return Step.IN_DOUBT
        return Step.SEND

    def claim(self, row: dict) -> dict:
        """Commit `row` as "sending" before the call: a crash after it is detectable."""
        return self.save({**row, "status": SENDING})

    def settle(self, claimed: dict, **outcome: Any) -> dict:
        """Replace the claimed row with the call's outcome."""
        return self.save({**claimed, **outcome})

    def save(self, row: dict, *also: RowUpsert) -> dict:
        """Upsert `row` by key, stamped now, with `also` in the same transaction."""
        row = {**row, self.stamp: utcnow()}
        frame = pd.DataFrame([row], columns=self.table.column_names)
        self.warehouse.write([RowUpsert(self.table, self.key, frame), *also])
        return row


def plain_row(row: dict) -> dict:
    """A row read back from the warehouse, as values it takes again: NULL integers come back as
    NaN (which a BIGINT refuses), timestamps as pandas'."""
    out = {}
    for k, v in row.items():
        if v is not None and not isinstance(v, str) and pd.isna(v):
            v = None
        elif isinstance(v, pd.Timestamp):
            v = v.to_pydatetime()
        elif hasattr(v, "item"):
            v = v.item()
        out[k] = v
    return out


def utcnow() -> datetime:
    """Naive UTC, the warehouse's timestamp convention."""
    return datetime.now(UTC).replace(tzinfo=None)
