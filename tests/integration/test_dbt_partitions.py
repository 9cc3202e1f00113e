"""The dbt step recomputes its run's tenant-days and no others, with the partitions passed as
dbt's environment (assets/dbt_parse_state.py): were they lost on the way, dbt would rebuild every
tenant-day and the marts would still look right, so this test keeps a tenant-day stale on
purpose. It also checks the warehouse's parse state is kept for the next run."""

import os
from datetime import datetime, timedelta

import dagster as dg
import pandas as pd

from callintel_dagster.assets.dbt_parse_state import PARTITIONS_ENV, state_file
from callintel_dagster.assets.metrics import dbt_env
from callintel_dagster.dbt_project import DBT_PROJECT_DIR
from callintel_dagster.definitions import resolved_resource
from callintel_dagster.lib import tables as t
from callintel_dagster.partitions import range_tags, tenant_day_key
from callintel_dagster.resources.warehouse import SliceWrite
from conftest import DAY, register_tenants


def records(tenant: str, call_ids: list[str]) -> pd.DataFrame:
    start = datetime.combine(DAY, datetime.min.time()) + timedelta(hours=10)
    rows = [
        {c: None for c in t.CALL_RECORDS.column_names}
        | {
            "tenant_id": tenant,
            "partition_date": DAY,
            "call_id": call_id,
            "provider": "synthetic",
            "call_status": "completed",
            "started_at_utc": start,
            "duration_seconds": 60.0,
            "phone_valid": False,
            "is_final": True,
            "record_hash": call_id,
            "ingested_at_utc": start,
        }
        for call_id in call_ids
    ]
    return pd.DataFrame(rows, columns=t.CALL_RECORDS.column_names)


def build_marts(defs, instance, **run) -> None:
    dbt_keys = set(defs.resolve_assets_def(dg.AssetKey("fct_calls")).keys)  # every model
    job = defs.resolve_job_def("daily_job").get_subset(asset_selection=dbt_keys)
    result = job.execute_in_process(instance=instance, **run)
    assert result.success


def calls_per_tenant(warehouse) -> dict[str, int]:
    found = warehouse.query(
        "SELECT tenant_id, count(*) AS n FROM marts.fct_calls GROUP BY 1 ORDER BY 1"
    )
    return dict(zip(found["tenant_id"], found["n"].astype(int), strict=True))


def test_a_run_rebuilds_its_own_tenant_days_only_and_keeps_its_parse_state(defs, instance):
    warehouse = resolved_resource(defs, "warehouse")
    warehouse.ensure_schema()
    slices = {"acme": ["c1", "c2"], "globex": ["g1", "g2"]}
    warehouse.write(
        [SliceWrite(t.CALL_RECORDS, [(k, DAY)], records(k, v)) for k, v in slices.items()]
    )
    register_tenants(instance)
    day = DAY.isoformat()
    build_marts(
        defs, instance, tags=range_tags(tenant_day_key("acme", day), tenant_day_key("globex", day))
    )
    assert calls_per_tenant(warehouse) == {"acme": 2, "globex": 2}

    # both tenants lose a call upstream; the next run is acme's day alone
    warehouse.write(
        [SliceWrite(t.CALL_RECORDS, [(k, DAY)], records(k, v[:1])) for k, v in slices.items()]
    )
    build_marts(defs, instance, partition_key=str(tenant_day_key("acme", day)))
    assert calls_per_tenant(warehouse) == {"acme": 1, "globex": 2}  # globex: not this run's

    assert PARTITIONS_ENV not in os.environ  # a later dbt command must not inherit them
    assert state_file(DBT_PROJECT_DIR, dbt_env(warehouse)).exists()  # for the next run
