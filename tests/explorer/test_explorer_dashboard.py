"""The dashboard's figures on DuckDB (the snapshot) and PostgreSQL, from real rows; the
definitions (connected, booked, the funnel's stages) are the marts'."""

from datetime import timedelta

import pytest
from explorer_rows import ANALYSED, filled_reader
from explorer_rows_around import DAY1, DAY2, DAY3, SYNCED

from callintel_dagster.explorer.dashboard import dashboard
from conftest import requires_postgres

BACKENDS = ["duckdb", pytest.param("postgres", marks=requires_postgres)]


@pytest.fixture(scope="module", params=BACKENDS)
def reader(request, tmp_path_factory):
    with filled_reader(request.param, tmp_path_factory.mktemp(request.param)) as (r, _home):
        yield r


@pytest.fixture(scope="module")
def acme(reader):
    return dashboard(reader, "acme", DAY1, DAY3, now=SYNCED + timedelta(minutes=90))


def test_days_with_calls_and_a_synced_day_without(acme):
    day1, day2, day3 = acme["days"]
    assert day1 == {
        "day": DAY1,
        "calls": 2,
        "connected": 1,  # the no-answer call is not
        "connected_rate": 0.5,
        "talk_minutes": pytest.approx(125 / 60),
        "avg_quality": 80.0,  # the skipped call has no score
        "booked": 1,
        "positive": 1,
        "neutral": 0,
        "negative": 0,
        "ai_cost_usd": 0.25,
    }
    assert (day2["day"], day2["calls"], day2["connected"], day2["booked"]) == (DAY2, 1, 1, 0)
    assert (day2["negative"], day2["avg_quality"], day2["ai_cost_usd"]) == (1, 30.0, 0.0)
    assert day3 == {
        "day": DAY3,
        "calls": 0,
        "connected": 0,
        "connected_rate": None,
        "talk_minutes": 0.0,
        "avg_quality": None,
        "booked": 0,
        "positive": 0,
        "neutral": 0,
        "negative": 0,
        "ai_cost_usd": 0.0,
    }


def test_leaderboard_objections_funnel_freshness(acme):
    assert [
        (r["agent_name"], r["calls"], r["connected"], r["booked"], r["avg_quality"])
        for r in acme["leaderboard"]
    ] == [("Asha", 1, 1, 1, 80.0), ("Ravi", 2, 1, 0, 30.0)]
    assert acme["leaderboard"][1]["talk_minutes"] == pytest.approx(40 / 60)
    assert acme["objections"] == [{"day": DAY1, "objection": "price", "count": 1}]
    assert acme["funnel"] == [
        {"stage": "new", "count": 1},
        {"stage": "contacted", "count": 1},  # only call-0001's number is a lead
        {"stage": "connected", "count": 1},
        {"stage": "qualified", "count": 1},  # booked counts as qualified, as in the mart
        {"stage": "booked", "count": 1},
        {"stage": "won", "count": 1},  # "Closed Won"; "Closed Lost" is not
    ]
    assert acme["freshness"] == {
        "last_sync_utc": SYNCED,
        "last_success_utc": ANALYSED,
        "lag_minutes": 90,
    }


def test_a_range_counts_only_its_days(reader):
    got = dashboard(reader, "acme", DAY2, DAY2)
    assert [d["day"] for d in got["days"]] == [DAY2]
    assert [r["agent_name"] for r in got["leaderboard"]] == ["Ravi"]
    assert got["objections"] == []
    assert [f["count"] for f in got["funnel"]] == [0, 0, 0, 0, 0, 1]
    assert [d["day"] for d in dashboard(reader, "acme", None, None)["days"]] == [DAY1, DAY2, DAY3]


def test_another_tenant_and_an_unknown_one(reader, acme):
    globex = dashboard(reader, "globex", DAY1, DAY3)
    assert [r["agent_name"] for r in globex["leaderboard"]] == ["Gina", "Gus"]
    assert [d["calls"] for d in globex["days"]] == [d["calls"] for d in acme["days"]]
    nobody = dashboard(reader, "nobody", DAY1, DAY3)
    assert nobody["days"] == [] and nobody["leaderboard"] == [] and nobody["objections"] == []
    assert {f["count"] for f in nobody["funnel"]} == {0}
    assert nobody["freshness"] == {
        "last_sync_utc": None,
        "last_success_utc": None,
        "lag_minutes": None,
    }
