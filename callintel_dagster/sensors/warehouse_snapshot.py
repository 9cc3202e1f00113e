"""After every successful run, refresh the warehouse's read-only snapshot (DuckDB only).

DuckDB admits one writing process per file, and a reader outside callintel (an analyst's shell, a
BI tool) would either fail on the lock or hold up the next run. They read the snapshot instead:
`make sql`, or any DuckDB of the project's version with `read_only=True` on
`$CALLINTEL_HOME/warehouse.snapshot.duckdb`.
"""

import dagster as dg

from callintel_dagster.resources.warehouse import Warehouse


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def warehouse_snapshot_sensor(context: dg.RunStatusSensorContext, warehouse: Warehouse):
    path = warehouse.refresh_snapshot()
    if path:
        context.log.info(f"snapshot refreshed after run {context.dagster_run.run_id}: {path}")
