"""Metrics: the dbt project's staging views and marts (fct_calls, kpi_tenant_daily, ...).

A run passes its tenant-days to dbt (macros/partitions.sql; assets/dbt_parse_state.py says how),
so the incremental marts recompute exactly those (tenant, day) slices.
"""

import os
import shutil
import subprocess
from collections import Counter
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtCliRuntimeError,
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from callintel_dagster.assets.common import DBT_POOL, OWNERS
from callintel_dagster.assets.dbt_parse_state import keep_parse_state, partitions_in_env, run_target
from callintel_dagster.assets.metadata import per_partition
from callintel_dagster.dbt_project import dbt_project
from callintel_dagster.partitions import partition_slices, tenant_day_partitions
from callintel_dagster.resources.warehouse import Warehouse

ONE_DAY = timedelta(days=1)


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
    partitions = dbt_partitions(partition_slices(context))
    warehouse.ensure_schema()  # sources must exist even before the first ingest
    # dbt runs as a subprocess that inherits this environment; profiles.yml reads the target's
    # connection from these variables, derived from the one warehouse setting.
    connection = dbt_env(warehouse)
    os.environ.update(connection)
    project_dir = Path(dbt.project_dir)
    target = run_target(project_dir, connection)  # with this warehouse's last parse state
    # dbt-duckdb would fail at once if another process held the file
    events, failure = [], None
    with warehouse.exclusive(), partitions_in_env(partitions):
        invocation = dbt.cli(["build"], context=context, target_path=target)
        try:
            for event in invocation.stream():
                events.append(event)
        except DagsterDbtCliRuntimeError as error:  # dbt exited non-zero, after its last event
            failure = error
        finally:
            stop(invocation)
    keep_parse_state(project_dir, connection, target)
    if failure is None:
        shutil.rmtree(target, ignore_errors=True)  # a failed build keeps its files to read
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
    # a failing test or model fails the step, and what did build and every test's result
    # (the failing one's included) are recorded above: the UI shows which check failed
    if failure is not None:
        raise failure


def dbt_partitions(slices: list[tuple[str, date]]) -> list[dict[str, str]]:
    """The run's (tenant, day) slices as dbt reads them (macros/partitions.sql): each tenant's
    consecutive days as one item from first_date to last_date, which the macro expands. One item
    per tenant-day would make a backfill of 30 tenants × 90 days a 150 kB string, over Linux's
    128 kB limit on one argument or environment variable: dbt would not start (E2BIG)."""
    items: list[dict[str, str]] = []
    for tenant, day in sorted(slices):
        last = items[-1] if items else None
        follows = last and last["tenant_id"] == tenant and last["last_date"] == str(day - ONE_DAY)
        if follows:
            last["last_date"] = day.isoformat()
        else:
            items.append(
                {"tenant_id": tenant, "first_date": day.isoformat(), "last_date": day.isoformat()}
            )
    return items


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
