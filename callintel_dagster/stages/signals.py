"""Conversation signals of transcribed calls: talk ratio, monologues, questions, interruptions."""

from dataclasses import dataclass

import pandas as pd

from callintel_dagster.lib.tables import CALL_SIGNALS, CALL_TRANSCRIPTS, TRANSCRIPT_TURNS
from callintel_dagster.lib.transcripts.signals import compute_signals
from callintel_dagster.lib.transcripts.turns import records_by
from callintel_dagster.resources.warehouse import PartitionSlice, Warehouse


@dataclass
class Signals:
    rows: pd.DataFrame  # one row per call with speaker turns (core.call_signals)
    calls: int  # transcripts read, with or without turns


def call_signals_of(warehouse: Warehouse, slices: list[PartitionSlice]) -> Signals:
    """Signals of every call with speaker turns in the slices, computed from those turns."""
    calls = warehouse.read_slices(
        CALL_TRANSCRIPTS.qualified, slices, "tenant_id, partition_date, call_id, duration_seconds"
    )
    turns = warehouse.read_slices(
        TRANSCRIPT_TURNS.qualified,
        slices,
        "tenant_id, call_id, turn_index, role, start_s, end_s, text",
        order_by="tenant_id, call_id, turn_index",
    )
    grouped = records_by(turns, "tenant_id", "call_id")
    rows = []
    for call in calls.to_dict("records"):
        call_turns = grouped.get((call["tenant_id"], call["call_id"]), [])
        if not call_turns:
            continue
        signals = compute_signals(call_turns, _number(call["duration_seconds"]))
        rows.append(
            {
                "tenant_id": call["tenant_id"],
                "partition_date": call["partition_date"],
                "call_id": call["call_id"],
                **signals,
            }
        )
    return Signals(pd.DataFrame(rows, columns=CALL_SIGNALS.column_names), len(calls))


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
