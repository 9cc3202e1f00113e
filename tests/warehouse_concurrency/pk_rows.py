"""Rows for the warehouse concurrency tests: a tenant-day's transcripts and speaker turns."""

from datetime import date

import pandas as pd

from callintel_dagster.lib.tables import CALL_TRANSCRIPTS, SYNC_CURSORS, TRANSCRIPT_TURNS
from callintel_dagster.resources.warehouse import SliceWrite


def transcripts(tenant: str, day: date, call_ids: list[str], writer: str) -> pd.DataFrame:
    """One transcript per call; `writer` goes in `model`, so a test can tell whose row it is."""
    return pd.DataFrame(
        [
            {
                "tenant_id": tenant,
                "partition_date": day,
                "call_id": call_id,
                "transcript_status": "ok",
                "text": f"transcript of {call_id}",
                "provider": "synthetic",
                "model": writer,
                "turn_count": 3,
            }
            for call_id in call_ids
        ],
        columns=CALL_TRANSCRIPTS.column_names,
    )


def turns(tenant: str, day: date, call_ids: list[str], writer: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "tenant_id": tenant,
                "partition_date": day,
                "call_id": call_id,
                "turn_index": i,
                "role": "agent" if i % 2 == 0 else "customer",
                "text": f"{writer} turn {i}",
            }
            for call_id in call_ids
            for i in range(3)
        ],
        columns=TRANSCRIPT_TURNS.column_names,
    )


def slice_writes(tenant: str, day: date, call_ids: list[str], writer: str) -> list[SliceWrite]:
    """What the transcription stage writes for one tenant-day, in one transaction."""
    return [
        SliceWrite(CALL_TRANSCRIPTS, [(tenant, day)], transcripts(tenant, day, call_ids, writer)),
        SliceWrite(TRANSCRIPT_TURNS, [(tenant, day)], turns(tenant, day, call_ids, writer)),
    ]


def cursor_row(tenant: str, source: str, provider: str, at) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "tenant_id": tenant,
                "source": source,
                "provider": provider,
                "cursor_utc": at,
                "updated_at_utc": at,
            }
        ],
        columns=SYNC_CURSORS.column_names,
    )


def duplicate_keys(warehouse, table) -> int:
    """Keys of `table` held by more than one row (0 when the key holds)."""
    key = ", ".join(table.primary_key)
    found = warehouse.query(
        f"SELECT count(*) AS n FROM (SELECT {key} FROM {table.qualified} "
        f"GROUP BY {key} HAVING count(*) > 1) d"
    )
    return int(found["n"].iloc[0])
