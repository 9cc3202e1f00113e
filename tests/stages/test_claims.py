"""Work claims: a tenant-day is worked on by one live run at a time, on DuckDB and PostgreSQL."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta

import pytest

from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.claims import claim, claimed, release

NOW = datetime(2026, 11, 20, 10, 0)
DAYS = [("acme", date(2026, 11, 18)), ("acme", date(2026, 11, 19))]


def test_a_day_held_by_a_live_run_is_left_to_it(warehouse_url):
    warehouse = Warehouse(url=warehouse_url)
    assert claim(warehouse, "analysis", DAYS, "run-a", NOW) == {}
    held = claim(warehouse, "analysis", [*DAYS, ("globex", date(2026, 11, 18))], "run-b", NOW)
    assert held == {DAYS[0]: "run-a", DAYS[1]: "run-a"}  # globex's day was free: now run-b's
    assert claim(warehouse, "analysis", DAYS, "run-a", NOW) == {}  # a run re-claims its own
    assert claim(warehouse, "transcription", DAYS, "run-b", NOW) == {}  # another stage
    release(warehouse, "analysis", "run-a")
    assert claim(warehouse, "analysis", DAYS, "run-b", NOW) == {}


def test_a_killed_runs_claims_lapse(warehouse_url):
    warehouse = Warehouse(url=warehouse_url)
    claim(warehouse, "analysis", DAYS, "killed-run", NOW, ttl=timedelta(minutes=30))
    assert claim(warehouse, "analysis", DAYS, "run-b", NOW + timedelta(minutes=29))
    assert claim(warehouse, "analysis", DAYS, "run-b", NOW + timedelta(minutes=31)) == {}


def test_claims_are_released_when_the_block_fails(warehouse_url):
    warehouse = Warehouse(url=warehouse_url)
    with pytest.raises(RuntimeError):
        with claimed(warehouse, "analysis", DAYS, "run-a", NOW):
            raise RuntimeError("the step failed")
    assert claim(warehouse, "analysis", DAYS, "run-b", NOW) == {}


def test_racing_runs_each_day_goes_to_exactly_one(warehouse_url):
    Warehouse(url=warehouse_url).ensure_schema()
    days = [("acme", date(2026, 11, d)) for d in range(1, 21)]

    def race(run_id: str) -> set:
        held = claim(Warehouse(url=warehouse_url), "analysis", days, run_id, NOW)
        return {d for d in days if d not in held}

    with ThreadPoolExecutor(4) as pool:
        won = list(pool.map(race, [f"run-{i}" for i in range(4)]))
    assert sum(len(w) for w in won) == len(days)  # every day claimed once, none twice
    assert set().union(*won) == set(days)


def test_a_claim_of_a_run_no_longer_live_does_not_count(warehouse_url):
    warehouse = Warehouse(url=warehouse_url)
    claim(warehouse, "analysis", DAYS, "failed-run", NOW)  # then its worker was killed
    still_running = claim(warehouse, "analysis", DAYS, "run-b", NOW, live=lambda r: True)
    assert still_running == {DAYS[0]: "failed-run", DAYS[1]: "failed-run"}
    assert claim(warehouse, "analysis", DAYS, "run-b", NOW, live=lambda r: False) == {}
    assert claim(warehouse, "analysis", DAYS, "run-c", NOW) == {DAYS[0]: "run-b", DAYS[1]: "run-b"}
