"""The `partitions` var a dbt_metrics run passes: each tenant's consecutive days as one item."""

import json
from datetime import date, timedelta

from callintel_dagster.assets.metrics import dbt_partitions

D = date(2026, 11, 18)


def test_consecutive_days_of_a_tenant_are_one_item_and_gaps_split_them():
    slices = [("b", D), ("a", D), ("a", D - timedelta(1)), ("a", D + timedelta(2))]
    assert dbt_partitions(slices) == [
        {"tenant_id": "a", "first_date": "2026-11-17", "last_date": "2026-11-18"},
        {"tenant_id": "a", "first_date": "2026-11-20", "last_date": "2026-11-20"},
        {"tenant_id": "b", "first_date": "2026-11-18", "last_date": "2026-11-18"},
    ]


def test_a_long_backfill_stays_far_under_the_128_kb_argument_limit():
    # 100 tenants × 90 days: 9,000 tenant-days, ~540 kB as one item each
    tenants = [f"tenant_{n:03d}" for n in range(100)]
    slices = [(t, D - timedelta(days=n)) for t in tenants for n in range(90)]
    var = dbt_partitions(slices)
    assert len(var) == 100
    assert len(json.dumps({"partitions": var})) < 10_000
    assert var[0] == {
        "tenant_id": "tenant_000",
        "first_date": "2026-08-21",
        "last_date": "2026-11-18",
    }
