"""The explorer's read layer on what a real run wrote (the whole daily graph for two tenant-days,
dbt included), checked against the marts: the dashboard computes its figures fresh from the raw
and core tables, so on a fully built day they must equal the marts' to the call."""

import dagster as dg
import pytest

from callintel_dagster.definitions import build_defs, resolved_resource
from callintel_dagster.env import current_env
from callintel_dagster.explorer.call_page import call_audio, call_detail
from callintel_dagster.explorer.calls import CallFilters, facets, list_calls
from callintel_dagster.explorer.dashboard import dashboard
from callintel_dagster.explorer.reader import Reader
from conftest import DAY, TENANTS_YAML, run_job


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """(reader, warehouse, home) after acme's and globex's daily runs for DAY."""
    root = tmp_path_factory.mktemp("explorer-data")
    (root / "tenants.yaml").write_text(TENANTS_YAML)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CALLINTEL_HOME", str(root / "home"))
        mp.setenv("CALLINTEL_TENANTS", str(root / "tenants.yaml"))
        mp.delenv("CALLINTEL_WAREHOUSE_URL", raising=False)
        env = current_env()
        defs = build_defs(env)
        with dg.instance_for_test() as instance:
            for tenant in ("acme", "globex"):
                run_job(defs, instance, tenant=tenant)
        warehouse = resolved_resource(defs, "warehouse")
        warehouse.refresh_snapshot()  # what the snapshot sensor does after a run
        yield Reader(warehouse), warehouse, env.home


def mart(warehouse, table: str, tenant: str) -> list[dict]:
    frame = warehouse.query(f"SELECT * FROM marts.{table} WHERE tenant_id = ?", [tenant])
    return frame.to_dict("records")


@pytest.mark.parametrize("tenant", ["acme", "globex"])
def test_the_dashboard_equals_the_marts(ran, tenant):
    reader, warehouse, _home = ran
    got = dashboard(reader, tenant, DAY, DAY)
    (kpi,) = mart(warehouse, "kpi_tenant_daily", tenant)
    (day,) = got["days"]
    assert day["calls"] == kpi["calls"] > 0
    assert day["connected"] == kpi["connected_calls"]
    assert day["talk_minutes"] == pytest.approx(kpi["talk_minutes"])
    assert day["avg_quality"] == pytest.approx(kpi["avg_quality_score"])
    assert day["booked"] == kpi["booked"]
    for s in ("positive", "neutral", "negative"):
        assert day[s] == kpi[f"{s}_calls"]
    board = {r["agent_name"]: r for r in got["leaderboard"]}
    scorecard = mart(warehouse, "agent_scorecard_daily", tenant)
    assert set(board) == {r["agent_name"] for r in scorecard}
    for r in scorecard:
        mine = board[r["agent_name"]]
        assert (mine["calls"], mine["connected"]) == (r["calls"], r["connected_calls"])
        assert mine["booked"] == r["booked_calls"]
    trends = {
        (r["objection"], r["calls_with_objection"])
        for r in mart(warehouse, "objection_trends_daily", tenant)
    }
    assert {(r["objection"], r["count"]) for r in got["objections"]} == trends
    (funnel,) = mart(warehouse, "lead_funnel_daily", tenant)
    stages = {f["stage"]: f["count"] for f in got["funnel"]}
    for stage in ("new", "contacted", "connected", "qualified", "booked"):
        key = "new_leads" if stage == "new" else f"{stage}_leads"
        assert stages[stage] == funnel[key], stage


def test_the_call_list_equals_fct_calls(ran):
    reader, warehouse, _home = ran
    fct = {r["call_id"]: r for r in mart(warehouse, "fct_calls", "acme")}
    page = list_calls(reader, "acme", CallFilters(per_page=200))
    assert page.total == len(fct) and {r["call_id"] for r in page.rows} == set(fct)
    for row in page.rows:
        expected = fct[row["call_id"]]
        assert row["sentiment_label"] == expected["sentiment_label"]
        assert row["qualification_stage"] == expected["qualification_stage"]
        assert row["duration_seconds"] == pytest.approx(expected["duration_seconds"], nan_ok=True)
    agent = page.rows[0]["agent_name"]
    only = list_calls(reader, "acme", CallFilters(agent=agent, per_page=200))
    assert only.total == sum(1 for r in fct.values() if r["agent_name"] == agent)
    assert set(facets(reader, "acme")["agents"]) == {r["agent_name"] for r in fct.values()}
    globex = {r["call_id"] for r in list_calls(reader, "globex", CallFilters(per_page=200)).rows}
    assert globex and not globex & set(fct)


def test_every_call_page_of_the_run(ran):
    reader, warehouse, home = ran
    analysed = warehouse.query(
        "SELECT call_id, analysis_status FROM core.call_analyses WHERE tenant_id = 'acme'"
    ).to_dict("records")
    for row in analysed:
        detail = call_detail(reader, "acme", row["call_id"])
        assert detail["analysis"]["status"] == row["analysis_status"]
        if row["analysis_status"] == "ok":
            assert detail["turns"] and detail["analysis"]["quality"]
            assert {b["name"] for b in detail["analysis"]["bant"]} >= {"budget", "need"}
            assert detail["problems"] == []
        else:
            assert any(p["stage"] == "analysis" for p in detail["problems"])
        assert call_detail(reader, "globex", row["call_id"]) is None
    recorded = warehouse.query(
        "SELECT call_id FROM raw.call_recordings WHERE tenant_id = 'acme' "
        "AND recording_status = 'archived'"
    )["call_id"]
    for call_id in recorded:
        path, content_type = call_audio(reader, home, "acme", call_id)
        assert path.is_file() and content_type.startswith("audio/")
