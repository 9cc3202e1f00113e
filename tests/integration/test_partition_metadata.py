"""Per-partition metadata up to PER_PARTITION_MAX partitions in a run, per-tenant figures above it:
a single-run backfill must not pay Dagster's per-call partition check once per partition."""

from datetime import date, timedelta

import dagster as dg
import pandas as pd
import pytest

from callintel_dagster.assets.metadata import PER_PARTITION_MAX, by_partition, run_totals
from callintel_dagster.partitions import (
    range_tags,
    tenant_day_key,
    tenant_day_partitions,
    tenants_partitions,
)

LAST = date(2026, 11, 18)


@pytest.fixture
def memory_instance():
    """In memory: the run over the cap writes a materialization per partition (~200)."""
    with dg.DagsterInstance.ephemeral() as instance:
        yield instance


@dg.asset(partitions_def=tenant_day_partitions, backfill_policy=dg.BackfillPolicy.single_run())
def calls_seen(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """Tenant tN has N + 1 rows a day, so each partition's figures differ from the run's."""
    rows = []
    for key in context.partition_keys:
        day, tenant_id = str(key).split("|")
        rows += [{"tenant_id": tenant_id, "partition_date": day}] * (int(tenant_id[1:]) + 1)
    frame = pd.DataFrame(rows)
    by_partition(context, frame, lambda own: {"dagster/row_count": len(own)})
    return dg.MaterializeResult(metadata=run_totals(context, {"rows": len(frame)}))


def materialize(instance, tenants: int, days: int) -> dict:
    ids = [f"t{i}" for i in range(tenants)]
    instance.add_dynamic_partitions(tenants_partitions.name, ids)
    first = (LAST - timedelta(days=days - 1)).isoformat()
    result = dg.materialize(
        [calls_seen],
        instance=instance,
        tags=range_tags(tenant_day_key(ids[0], first), tenant_day_key(ids[-1], LAST.isoformat())),
    )
    assert result.success
    return {
        e.partition: {k: v.value for k, v in e.materialization.metadata.items()}
        for e in result.get_asset_materialization_events()
    }


def test_each_partition_has_its_own_figures_up_to_the_cap(memory_instance):
    meta = materialize(memory_instance, tenants=2, days=3)
    assert len(meta) == 6
    assert meta[f"{LAST}|t0"]["dagster/row_count"] == 1
    assert meta[f"{LAST}|t1"]["dagster/row_count"] == 2
    assert meta[f"{LAST}|t1"]["run_rows"] == 9
    assert "run_rows_per_tenant" not in meta[f"{LAST}|t1"]


def test_a_run_over_the_cap_records_per_tenant_figures_once(memory_instance):
    days = PER_PARTITION_MAX // 3 + 1
    meta = materialize(memory_instance, tenants=3, days=days)
    assert len(meta) == 3 * days > PER_PARTITION_MAX
    per_tenant = {"t0": days, "t1": 2 * days, "t2": 3 * days}
    for figures in meta.values():  # every partition is materialized, with the run's figures
        assert "dagster/row_count" not in figures  # no partition claims the run's count
        assert figures["run_rows_per_tenant"] == per_tenant
        assert figures["run_rows"] == 6 * days and figures["run_partitions"] == 3 * days
