"""Reading never fails: `make sql` reads the snapshot with the project's DuckDB while the live
file is held by a writer, and `--live` waits for the writer instead of failing on its lock."""

import os
import subprocess
import sys
import threading
import time
from datetime import date, datetime

import dagster as dg
import pandas as pd

from callintel_dagster.env import REPO_ROOT
from callintel_dagster.lib.tables import SYNC_LOG
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.sensors.warehouse_snapshot import warehouse_snapshot_sensor

D1 = date(2026, 11, 1)


def log_rows(tenant, day, n):
    return pd.DataFrame(
        [
            {
                "tenant_id": tenant,
                "partition_date": day,
                "source": f"s{i}",
                "provider": "synthetic",
                "fetched": 1,
                "synced_at_utc": datetime(2026, 11, 2),
            }
            for i in range(n)
        ]
    )


def shell(home, *args, stdin=None):
    env = {**os.environ, "CALLINTEL_HOME": str(home)}
    env.pop("CALLINTEL_WAREHOUSE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "callintel_dagster.cli.sql", *args],
        cwd=REPO_ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_snapshot_reads_while_a_writer_holds_the_file(tmp_path):
    warehouse = Warehouse(url=f"duckdb:///{tmp_path}/warehouse.duckdb")
    warehouse.replace_slices(SYNC_LOG, [("acme", D1)], log_rows("acme", D1, 3))
    warehouse.refresh_snapshot()
    warehouse.replace_slices(SYNC_LOG, [("acme", D1)], log_rows("acme", D1, 5))
    with warehouse.connect():  # a run writing: the live file is locked
        done = shell(tmp_path, "-c", "SELECT count(*) AS n FROM raw.sync_log")
    assert done.returncode == 0, done.stderr
    assert "3" in done.stdout  # the snapshot: as of the last refresh


def test_live_read_waits_for_the_writer(tmp_path):
    warehouse = Warehouse(url=f"duckdb:///{tmp_path}/warehouse.duckdb")
    warehouse.replace_slices(SYNC_LOG, [("acme", D1)], log_rows("acme", D1, 4))
    held = threading.Event()

    def write_for_a_while():
        with warehouse.connect():
            held.set()
            time.sleep(2)

    writer = threading.Thread(target=write_for_a_while)
    writer.start()
    held.wait()
    began = time.monotonic()
    done = shell(tmp_path, "--live", stdin="SELECT count(*) AS n\nFROM raw.sync_log;\n")
    writer.join()
    assert done.returncode == 0, done.stderr
    assert "4" in done.stdout
    assert time.monotonic() - began >= 1.0  # it waited rather than failing on the lock


def test_bad_sql_is_one_line_and_no_warehouse_is_clear(tmp_path):
    Warehouse(url=f"duckdb:///{tmp_path}/warehouse.duckdb").ensure_schema()
    done = shell(tmp_path, "-c", "SELECT * FROM nowhere")
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "nowhere" in done.stderr
    missing = shell(tmp_path / "empty", "-c", "SELECT 1")
    assert missing.returncode == 2 and "make demo" in missing.stderr


def test_snapshot_sensor_refreshes_after_a_successful_run(tmp_path):
    warehouse = Warehouse(url=f"duckdb:///{tmp_path}/warehouse.duckdb")
    warehouse.replace_slices(SYNC_LOG, [("acme", D1)], log_rows("acme", D1, 2))
    with dg.instance_for_test() as instance:

        @dg.op
        def noop():
            return 1

        @dg.job
        def a_job():
            noop()

        result = a_job.execute_in_process(instance=instance)
        ctx = dg.build_run_status_sensor_context(
            sensor_name=warehouse_snapshot_sensor.name,
            dagster_instance=instance,
            dagster_run=result.dagster_run,
            dagster_event=result.get_run_success_event(),
            resources={"warehouse": warehouse},
        )
        warehouse_snapshot_sensor(ctx)
    assert os.path.exists(warehouse.snapshot_path)
