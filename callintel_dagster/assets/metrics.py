"""Metrics: the dbt project's staging views and marts (fct_calls, kpi_tenant_daily, ...).

A run passes its tenant-days as the `partitions` var, so the incremental marts recompute exactly
those (tenant, day) slices.
"""

import json
import os
import subprocess
from collections import Counter
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from callintel_dagster.assets.common import DBT_POOL, OWNERS
from callintel_dagster.assets.metadata import per_partition
from callintel_dagster.dbt_project import dbt_project
from callintel_dagster.partitions import partition_slices, tenant_day_partitions
from callintel_dagster.resources.warehouse import Warehouse


class MetricsTranslator(DagsterDbtTranslator):
    """Models keep their bare names (`fct_calls`, `kpi_tenant_daily`), grouped as metrics."""

    def __init__(self):
        # raw.sync_log is written by call_records and core.transcript_turns by call_transcripts:
        # two dbt sources legitimately map to one Dagster asset.
        super().__init__(DagsterDbtTranslatorSettings(enable_duplicate_source_asset_keys=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "model":
            return dg.AssetKey(dbt_resource_props["name"])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return "metrics"

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return OWNERS


@dbt_assets(
    pool=DBT_POOL,
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=MetricsTranslator(),
    name="dbt_metrics",
    partitions_def=tenant_day_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def dbt_metrics(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
    partitions = [
        {"tenant_id": t, "partition_date": d.isoformat()} for t, d in partition_slices(context)
    ]
    warehouse.ensure_schema()  # sources must exist even before the first ingest
    # dbt runs as a subprocess that inherits this environment; profiles.yml reads the target's
    # connection from these variables, derived from the one warehouse setting.
    os.environ.update(dbt_env(warehouse))
    args = ["build", "--vars", json.dumps({"partitions": partitions})]
    with warehouse.exclusive():  # dbt-duckdb would fail at once if another process held the file
        invocation = dbt.cli(args, context=context)
        try:
            events = list(invocation.stream())
        finally:
            stop(invocation)
    # the lock is free again: count each built model's rows per partition of the run, so every
    # tenant-day shows its own row count (not the whole run's)
    slices, tables = partition_slices(context), partitioned_tables(warehouse)
    for event in events:
        if isinstance(event, dg.Output):
            key = context.asset_key_for_output(event.output_name)
            if key.path[-1] in tables:
                found = rows_per_partition(warehouse, tables[key.path[-1]], slices)
                record_rows(context, key, found)
        yield event


def record_rows(context: dg.AssetExecutionContext, key: dg.AssetKey, found: dict) -> None:
    """Each partition's own row count, or over more than PER_PARTITION_MAX partitions the run's
    rows per tenant (one Dagster call instead of one per partition: assets/metadata.py)."""
    if not per_partition(context):
        tenants = Counter()
        for partition_key, rows in found.items():
            tenants[partition_key.split("|")[1]] += rows  # date|tenant
        totals = dg.MetadataValue.json(dict(sorted(tenants.items())))
        context.add_asset_metadata({"run_rows_per_tenant": totals}, asset_key=key)
        return
    for partition_key, rows in found.items():
        context.add_asset_metadata(
            {"dagster/row_count": rows}, asset_key=key, partition_key=partition_key
        )


PARTITIONED_TABLES_SQL = (
    "SELECT table_schema, table_name FROM information_schema.columns "
    "WHERE column_name = 'partition_date' AND table_schema IN ('marts', 'staging')"
)


def partitioned_tables(warehouse: Warehouse) -> dict[str, str]:
    """dbt models with a partition_date column: model name -> schema.name."""
    found = warehouse.query(PARTITIONED_TABLES_SQL)
    return {n: f"{s}.{n}" for s, n in zip(found["table_schema"], found["table_name"], strict=True)}


def stop(invocation, grace_s: float = 30.0) -> None:
    """End a dbt process that outlived its stream. dagster-dbt's stdout reader swallows the
    generator's close (a bare `except` around its `yield`), so when reading the events fails part
    way the process lives on, blocked on a full stdout pipe and holding the DuckDB file: every
    later step would then wait on the warehouse lock. A finished process is left alone."""
    process = invocation.process
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def rows_per_partition(warehouse: Warehouse, table: str, slices: list) -> dict[str, int]:
    """Rows of `table` in each (tenant, day) of the run, keyed by partition key (date|tenant)."""
    tenants, days = sorted({t for t, _ in slices}), [d for _, d in slices]
    counted = warehouse.query(  # one range query, whatever the number of slices
        f"SELECT tenant_id, partition_date, count(*) AS n_rows FROM {table} "
        f"WHERE tenant_id IN ({', '.join('?' * len(tenants))}) "
        "AND partition_date BETWEEN ? AND ? GROUP BY tenant_id, partition_date",
        [*tenants, min(days), max(days)],
    )
    got = {
        (t, str(d)[:10]): int(n)
        for t, d, n in zip(
            counted["tenant_id"], counted["partition_date"], counted["n_rows"], strict=True
        )
    }
    return {f"{d.isoformat()}|{t}": got.get((t, d.isoformat()), 0) for t, d in slices}


def dbt_env(warehouse: Warehouse) -> dict[str, str]:
    if not warehouse.is_postgres:
        return {"CALLINTEL_DUCKDB_PATH": warehouse.duckdb_path}
    from sqlalchemy.engine import make_url

    url = make_url(warehouse.url)
    return {
        "CALLINTEL_PG_HOST": url.host or "127.0.0.1",
        "CALLINTEL_PG_PORT": str(url.port or 5432),
        "CALLINTEL_PG_USER": url.username or "postgres",
        "CALLINTEL_PG_PASSWORD": url.password or "",
        "CALLINTEL_PG_DBNAME": url.database or "",
    }
