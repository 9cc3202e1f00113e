"""Materialization metadata in one shape for every asset: counts, reasons, a preview, per partition.

One run may materialize many tenant-days (a backfill, the 5-minute sync). Dagster gives every
partition of such a run the metadata the asset returns, so each partition would show the whole
run's figures and preview. `by_partition` records each partition's own figures from its own rows;
what only the whole run knows goes under `run_*` keys.

Each partition's own figures cost Dagster a pass over the run's whole partition range per call
(it checks that the key is targeted), so they are recorded only up to `PER_PARTITION_MAX`
partitions; a larger run (a backfill) records per-tenant figures once, for the whole run.
"""

from collections.abc import Callable

import dagster as dg
import pandas as pd

# Up to this many partitions in a run, each partition gets its own figures. Dagster's
# `add_asset_metadata(partition_key=...)` rebuilds the run's partition key list on every call
# (~55 us a key), so one call per partition costs the square of the run's partitions: 10 tenants
# x 90 days spent minutes in it. 200 keeps every scheduled run's per-partition figures (the daily
# run and the 5-minute sync of 100 tenants over a two-day-wide range) at ~2 s per asset. Above
# it the run gives every partition the same `run_*` figures, per tenant (`per_tenant`), and each
# partition still shows its own materialization; its rows are in the warehouse.
PER_PARTITION_MAX = 200


def preview(frame: pd.DataFrame, columns: list[str], rows: int = 5) -> dg.MetadataValue:
    """The most informative rows first (fewest empty cells), empty cells shown as a dash."""
    if frame.empty:
        return dg.MetadataValue.md("_no rows_")
    shown = frame[columns]
    filled = shown.notna().sum(axis=1)
    shown = shown.loc[filled.sort_values(ascending=False, kind="stable").index].head(rows)
    text = shown.astype(object).where(shown.notna(), "—").astype(str)
    text = text.map(lambda v: v if len(v) <= 60 else v[:57] + "…")
    return dg.MetadataValue.md(text.to_markdown(index=False))


def reason_code(reason: object) -> str | None:
    """`no_transcript: recording not archived yet` → `no_transcript`: counted, reasons group."""
    if reason is None or (isinstance(reason, float) and pd.isna(reason)):
        return None
    return str(reason).split(":", 1)[0].strip() or None


def counts(frame: pd.DataFrame, column: str) -> dg.MetadataValue:
    if frame.empty:
        return dg.MetadataValue.json({})
    return dg.MetadataValue.json({str(k): int(v) for k, v in frame[column].value_counts().items()})


def reason_counts(frame: pd.DataFrame, column: str = "reason") -> dg.MetadataValue:
    """How many rows per reason code (not one entry per call)."""
    if frame.empty:
        return dg.MetadataValue.json({})
    codes = frame[column].map(reason_code).dropna()
    return dg.MetadataValue.json({str(k): int(v) for k, v in codes.value_counts().items()})


def per_partition(context: dg.AssetExecutionContext) -> bool:
    """Whether this run records each partition's own figures (see PER_PARTITION_MAX)."""
    return len(context.partition_keys) <= PER_PARTITION_MAX


def per_tenant(frame: pd.DataFrame, value: str | None = None) -> dg.MetadataValue:
    """{tenant_id: rows} of the run, or the sum of `value` per tenant: what a run over more than
    PER_PARTITION_MAX partitions records instead of each partition's own count."""
    if frame.empty:
        return dg.MetadataValue.json({})
    found = frame.groupby("tenant_id")[value].sum() if value else frame["tenant_id"].value_counts()
    return dg.MetadataValue.json({str(k): int(v) for k, v in sorted(found.items())})


def by_partition(
    context: dg.AssetExecutionContext,
    frame: pd.DataFrame,
    describe: Callable[[pd.DataFrame], dict],
    rows: str | None = None,
) -> None:
    """Each partition of the run gets `describe` of its own rows (tenant_id, partition_date).
    The rows are grouped once: filtering the whole frame per partition grew with the square of a
    backfill's partitions. Over more than PER_PARTITION_MAX partitions, the run's rows per tenant
    instead (`run_rows_per_tenant`; `rows`: the column that counts them, else one per row)."""
    if not per_partition(context):
        context.add_asset_metadata({"run_rows_per_tenant": per_tenant(frame, rows)})
        return
    groups: dict[tuple[str, str], pd.DataFrame] = {}
    if len(frame):
        days = frame["partition_date"].astype(str).str[:10].rename("day")
        groups = dict(list(frame.groupby([frame["tenant_id"], days], sort=False)))
    nothing = frame.iloc[0:0]
    for key in context.partition_keys:
        day, tenant_id = str(key).split("|")  # dimensions are ordered by name: date|tenant
        own = groups.get((tenant_id, day), nothing)
        context.add_asset_metadata(describe(own), partition_key=key)


def run_totals(context: dg.AssetExecutionContext, totals: dict) -> dict:
    """The whole run's figures: a one-partition run's are that partition's own; over many
    partitions they are named as the run's (`run_*`), so no partition claims them."""
    partitions = len(context.partition_keys)
    if partitions == 1:
        return {"run_partitions": 1, **totals}
    return {"run_partitions": partitions} | {f"run_{key}": value for key, value in totals.items()}
