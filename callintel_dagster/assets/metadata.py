"""Materialization metadata in one shape for every asset: counts, reasons, a preview."""

import dagster as dg
import pandas as pd


def preview(frame: pd.DataFrame, columns: list[str], rows: int = 5) -> dg.MetadataValue:
    if frame.empty:
        return dg.MetadataValue.md("_no rows_")
    shown = frame[columns].head(rows).astype(str).map(lambda v: v if len(v) <= 60 else v[:57] + "…")
    return dg.MetadataValue.md(shown.to_markdown(index=False))


def counts(frame: pd.DataFrame, column: str) -> dg.MetadataValue:
    if frame.empty:
        return dg.MetadataValue.json({})
    return dg.MetadataValue.json({str(k): int(v) for k, v in frame[column].value_counts().items()})
