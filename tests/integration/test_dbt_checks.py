"""A model's promised non-NULL columns are one dbt test per model (tests/generic/
not_null_columns.sql): a NULL in any of them fails that model's check in Dagster with the count of
bad rows, and a stored failure names each row's NULL columns. The failed build still records
every check's result, the failing one's included, so the UI shows which failed."""

import re
import shutil
from pathlib import Path

import dagster as dg
from test_dbt_partitions import records

from callintel_dagster.assets.metrics import dbt_env
from callintel_dagster.dbt_project import DBT_PROJECT_DIR
from callintel_dagster.definitions import resolved_resource
from callintel_dagster.lib import tables as t
from callintel_dagster.partitions import tenant_day_key
from callintel_dagster.resources.warehouse import SliceWrite
from conftest import DAY, register_tenants

CHECK = "not_null_stg_call_records"


def test_a_null_in_a_promised_column_fails_its_models_check(defs, instance, monkeypatch, tmp_path):
    warehouse = resolved_resource(defs, "warehouse")
    warehouse.ensure_schema()
    with warehouse.connect() as con:  # as in a warehouse made before raw had these constraints
        for column in ("call_status", "started_at_utc"):
            con.execute(f"ALTER TABLE raw.call_records ALTER COLUMN {column} DROP NOT NULL")
    rows = records("acme", ["c1", "c2", "c3"])
    rows.loc[1, "call_status"] = None
    rows.loc[2, ["call_status", "started_at_utc"]] = None
    warehouse.write([SliceWrite(t.CALL_RECORDS, [("acme", DAY)], rows)])
    register_tenants(instance)

    job = defs.resolve_job_def("daily_job").get_subset(
        asset_selection={dg.AssetKey("stg_call_records")}
    )
    result = job.execute_in_process(
        instance=instance,
        partition_key=str(tenant_day_key("acme", DAY.isoformat())),
        raise_on_error=False,
    )
    assert not result.success  # an error-severity test fails the dbt step
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert not checks[CHECK].passed
    assert checks[CHECK].metadata["dagster_dbt/failed_row_count"].value == 2
    assert all(c.passed for name, c in checks.items() if name != CHECK)
    # the step's error points at the failed build's dbt.log, kept for reading (its target
    # directory; the other xdist worker's builds have theirs beside it, so found by the message)
    (failure,) = result.get_step_failure_events()
    log = re.search(r"(\S+/target/run-\w+)/dbt\.log", failure.step_failure_data.error.message)
    kept = Path(log.group(1))
    assert kept.parent == DBT_PROJECT_DIR / "target"
    assert CHECK in (kept / "dbt.log").read_text()
    shutil.rmtree(kept)

    # what a user reading the failure with --store-failures sees: each row's NULL columns
    for key, value in dbt_env(warehouse).items():
        monkeypatch.setenv(key, value)
    dbt = resolved_resource(defs, "dbt")
    args = ["test", "--select", CHECK, "--store-failures"]
    dbt.cli(args, raise_on_error=False, target_path=tmp_path / "dbt").wait()
    stored = warehouse.query(f"SELECT call_id, null_columns FROM dbt_test__audit.{CHECK}")
    assert dict(zip(stored["call_id"], stored["null_columns"], strict=True)) == {
        "c2": "call_status",
        "c3": "call_status, started_at_utc",
    }
