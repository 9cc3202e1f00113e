"""Call claims: a call is worked on by one live run at a time, on DuckDB and PostgreSQL."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta

import duckdb
import pytest

from callintel_dagster.lib.tables import CALL_CLAIMS
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.claims import Claimer, claim, claiming, release

NOW = datetime(2026, 11, 20, 10, 0)
DAY = date(2026, 11, 18)
CALLS = [(DAY, "c1"), (DAY, "c2"), (date(2026, 11, 19), "c3")]


def test_calls_held_by_a_live_run_are_left_to_it(warehouse_url):
    warehouse = Warehouse(url=warehouse_url)
    assert claim(warehouse, "analysis", "acme", CALLS[:2], "run-a", NOW) == {}
    held = claim(warehouse, "analysis", "acme", CALLS, "run-b", NOW)
    assert held == {"c1": "run-a", "c2": "run-a"}  # c3 was free: now run-b's
    assert claim(warehouse, "analysis", "acme", CALLS[:2], "run-a", NOW) == {}  # its own again
    assert claim(warehouse, "analysis", "acme", CALLS, "run-a", NOW) == {"c3": "run-b"}
    assert claim(warehouse, "analysis", "globex", CALLS, "run-c", NOW) == {}  # another tenant
    assert claim(warehouse, "transcription", "acme", CALLS, "run-c", NOW) == {}  # another stage
    release(warehouse, "analysis", "run-a")
    assert claim(warehouse, "analysis", "acme", CALLS[:2], "run-b", NOW) == {}


def test_a_killed_runs_claims_lapse_and_are_cleared(warehouse_url):
    warehouse = Warehouse(url=warehouse_url)
    claim(warehouse, "analysis", "acme", CALLS, "killed-run", NOW, ttl=timedelta(minutes=30))
    assert claim(warehouse, "analysis", "acme", CALLS[:1], "run-b", NOW + timedelta(minutes=29))
    later = NOW + timedelta(minutes=31)
    assert claim(warehouse, "analysis", "acme", CALLS[:1], "run-b", later) == {}
    owners = warehouse.query(f"SELECT call_id, run_id FROM {CALL_CLAIMS.qualified}")
    assert sorted(owners.itertuples(index=False, name=None)) == [("c1", "run-b")]


def test_claims_are_released_when_the_block_fails(warehouse_url):
    warehouse = Warehouse(url=warehouse_url)
    with pytest.raises(RuntimeError):
        with claiming(Claimer(warehouse, "analysis", "run-a", NOW)) as claimer:
            assert claimer.take("acme", CALLS) == {}
            raise RuntimeError("the step failed")
    assert claim(warehouse, "analysis", "acme", CALLS, "run-b", NOW) == {}


def test_racing_runs_each_call_goes_to_exactly_one(warehouse_url):
    Warehouse(url=warehouse_url).ensure_schema()
    calls = [(DAY, f"c{i}") for i in range(40)]

    def race(run_id: str) -> set:
        held = claim(Warehouse(url=warehouse_url), "analysis", "acme", calls, run_id, NOW)
        return {c for _, c in calls if c not in held}

    with ThreadPoolExecutor(4) as pool:
        won = list(pool.map(race, [f"run-{i}" for i in range(4)]))
    assert sum(len(w) for w in won) == len(calls)  # every call claimed once, none twice
    assert set().union(*won) == {c for _, c in calls}


def test_a_claim_of_a_run_no_longer_live_does_not_count(warehouse_url):
    warehouse = Warehouse(url=warehouse_url)
    claim(warehouse, "analysis", "acme", CALLS, "failed-run", NOW)  # then its worker was killed
    still_running = claim(warehouse, "analysis", "acme", CALLS, "run-b", NOW, live=lambda r: True)
    assert still_running == {"c1": "failed-run", "c2": "failed-run", "c3": "failed-run"}
    assert claim(warehouse, "analysis", "acme", CALLS, "run-b", NOW, live=lambda r: False) == {}
    assert claim(warehouse, "analysis", "acme", CALLS[:1], "run-c", NOW) == {"c1": "run-b"}


def test_an_older_warehouses_day_claims_table_is_dropped(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA core; CREATE TABLE core.work_claims (tenant_id VARCHAR)")
    con.close()
    warehouse = Warehouse(url=f"duckdb:///{path}")
    warehouse.ensure_schema()
    assert not warehouse.table_exists("core.work_claims")
    assert warehouse.table_exists(CALL_CLAIMS.qualified)
