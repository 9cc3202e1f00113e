"""delivery.alert_incidents round trips: NULLs, timestamps and upserts by the incident key, on
DuckDB and (integration tier) PostgreSQL."""

from dataclasses import replace
from datetime import datetime

import pytest

from callintel_dagster.alerts.incidents import Finding, notified, observe
from callintel_dagster.alerts.store import load_incidents, save_incidents
from callintel_dagster.resources.warehouse import Warehouse
from conftest import fresh_postgres_db, requires_postgres

T0 = datetime(2026, 11, 27, 10, 0, 5)


def round_trip(warehouse: Warehouse) -> None:
    findings = [
        Finding("run_failure", "acme", "call_records", "2026-11-26|acme", "step: X", "r1", "j"),
        Finding("sync_stale", "globex", "call_records", "", "never synced"),
    ]
    opened = observe({}, findings, T0)
    save_incidents(warehouse, opened)
    loaded = load_incidents(warehouse)
    assert loaded == {i.key: i for i in opened}  # NULLs and timestamps come back as they went

    told = notified(opened[0], "deployment:0:webhook", T0, complete=False)
    told = notified(told, None, T0, complete=True)
    save_incidents(warehouse, [told])  # an upsert: one row per key, never a second one
    again = load_incidents(warehouse)
    assert len(again) == 2 and again[told.key] == told
    assert again[told.key].notices == 1 and again[told.key].sent_to is None
    assert again[opened[1].key] == opened[1]
    assert replace(again[told.key], notified_state=None) != told


def test_store_on_duckdb(tmp_path):
    round_trip(Warehouse(url=f"duckdb:///{tmp_path}/w.duckdb"))


@pytest.mark.integration
@requires_postgres
def test_store_on_postgres():
    with fresh_postgres_db() as url:
        round_trip(Warehouse(url=url))
