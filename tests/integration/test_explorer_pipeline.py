"""The explorer on what a real run wrote: the whole daily graph for acme's and globex's day
(dbt included), made once for the module, then

- the read layer checked against the marts: the dashboard computes its figures fresh from the
  raw and core tables, so on a fully built day they must equal the marts' to the call;
- the explorer served over HTTP: calls, KPIs from the marts, search and ask over the index the
  run built, citations that open the call page at the cited turn, and acme's key never reaching
  globex; initech, a third tenant with no run and so no index, gets a clear 409 for its own key."""

import re

import dagster as dg
import httpx
import pytest

from callintel_dagster.definitions import build_defs, resolved_resource
from callintel_dagster.env import current_env
from callintel_dagster.explorer.call_page import call_audio, call_detail
from callintel_dagster.explorer.calls import CallFilters, facets, list_calls
from callintel_dagster.explorer.dashboard import dashboard
from callintel_dagster.explorer.reader import Reader
from callintel_dagster.explorer.serve import serving
from callintel_dagster.explorer.settings import ExplorerSettings
from callintel_dagster.partitions import range_tags
from conftest import DAY, TENANTS_YAML, fresh_postgres_db, register_tenants, requires_postgres
from tests.explorer.explorer_world import AUDIO, bearer, build_world, client_for

# A tenant in the registry that never runs: the explorer knows it, but it has no search index.
NO_RUN_TENANT = """
  - id: initech
    name: Initech
    timezone: Asia/Kolkata
    calls: {provider: synthetic, calls_per_day: 5, seed: 7}
    crm: {provider: synthetic, leads_per_day: 2}
"""
KEYS = {
    "CALLINTEL_KEY_ACME": "acme-pipeline-key-1234",
    "CALLINTEL_KEY_GLOBEX": "globex-key-98765",
    "CALLINTEL_KEY_INITECH": "initech-key-24680",
}
ACME = {"Authorization": f"Bearer {KEYS['CALLINTEL_KEY_ACME']}"}
INITECH = {"Authorization": f"Bearer {KEYS['CALLINTEL_KEY_INITECH']}"}


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """(reader, warehouse, home, client) after the daily graph for acme's and globex's DAY, the
    explorer serving on a thread. Tests only read what the run wrote."""
    root = tmp_path_factory.mktemp("explorer-pipeline")
    (root / "tenants.yaml").write_text(TENANTS_YAML.rstrip("\n") + "\n" + NO_RUN_TENANT)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CALLINTEL_HOME", str(root / "home"))
        mp.setenv("CALLINTEL_TENANTS", str(root / "tenants.yaml"))
        mp.delenv("CALLINTEL_WAREHOUSE_URL", raising=False)
        mp.delenv("CALLINTEL_ADMIN_KEY", raising=False)
        for name, key in KEYS.items():
            mp.setenv(name, key)
        env = current_env()
        defs = build_defs(env)
        with dg.instance_for_test() as instance:
            # both tenant-days in ONE run (a range, as backfills run): the graph, dbt included,
            # runs once for the module; initech is not a partition, so it never runs
            register_tenants(instance, ["acme", "globex"])
            result = defs.resolve_job_def("daily_job").execute_in_process(
                instance=instance,
                tags=range_tags(f"{DAY}|acme", f"{DAY}|globex"),
            )
            assert result.success
        warehouse = resolved_resource(defs, "warehouse")
        warehouse.refresh_snapshot()  # what the snapshot sensor does after a run
        with serving(ExplorerSettings.from_env(env)) as base:
            with httpx.Client(base_url=base, timeout=60) as client:
                yield Reader(warehouse), warehouse, env.home, client


def mart(warehouse, table: str, tenant: str) -> list[dict]:
    frame = warehouse.query(f"SELECT * FROM marts.{table} WHERE tenant_id = ?", [tenant])
    return frame.to_dict("records")


def ids_of(warehouse, tenant: str) -> set[str]:
    frame = warehouse.query("SELECT call_id FROM raw.call_records WHERE tenant_id = ?", [tenant])
    return set(frame["call_id"])


# --- the read layer against the marts ---


@pytest.mark.parametrize("tenant", ["acme", "globex"])
def test_the_dashboard_equals_the_marts(ran, tenant):
    reader, warehouse, _home, _client = ran
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
    reader, warehouse, _home, _client = ran
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
    reader, warehouse, home, _client = ran
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


# --- the explorer over HTTP ---


def test_calls_and_kpis_of_the_run(ran):
    _reader, warehouse, _home, client = ran
    acme = ids_of(warehouse, "acme")
    body = client.get("/api/tenants/acme/calls", params={"per_page": 200}, headers=ACME).json()
    assert body["total"] == len(acme) and {c["call_id"] for c in body["calls"]} == acme
    day = DAY.isoformat()
    kpis = client.get(
        "/api/tenants/acme/kpis", params={"day_from": day, "day_to": day}, headers=ACME
    ).json()
    marts = warehouse.query(
        "SELECT * FROM marts.kpi_tenant_daily WHERE tenant_id = 'acme' AND partition_date = ?",
        [DAY],
    )
    assert [d["calls"] for d in kpis["days"] if str(d["day"]) == day] == [marts["calls"].iloc[0]]
    assert kpis["leaderboard"] and kpis["freshness"]["last_sync_utc"]
    assert client.get("/api/tenants/globex/kpis", headers=ACME).status_code == 404


def test_search_over_the_index_the_run_built(ran):
    _reader, warehouse, _home, client = ran
    for mode in ("hybrid", "bm25", "vector"):
        params = {"q": "too expensive", "limit": 20, "mode": mode}
        hits = client.get("/api/tenants/acme/search", params=params, headers=ACME).json()["hits"]
        assert hits and {h["call_id"] for h in hits} <= ids_of(warehouse, "acme")
        assert all(h["url"].startswith("/t/acme/calls/") for h in hits)
    assert client.get("/api/tenants/globex/search?q=price", headers=ACME).status_code == 404
    theirs = client.get("/api/tenants/initech/search?q=price", headers=INITECH)
    assert theirs.status_code == 409 and "has no search index yet" in theirs.json()["detail"]


def test_ask_citations_open_the_cited_turn(ran):
    _reader, warehouse, _home, client = ran
    question = {"question": "Who said the price was too expensive?"}
    answer = client.post("/api/tenants/acme/ask", json=question, headers=ACME).json()
    assert answer["citations"] and not answer["not_found"]
    acme = ids_of(warehouse, "acme")
    for citation in answer["citations"]:
        assert citation["call_id"] in acme
        call = client.get(f"/api/tenants/acme/calls/{citation['call_id']}", headers=ACME).json()
        turn = next(t for t in call["turns"] if t["index"] == citation["turn_index"])
        assert citation["quote"].casefold() in " ".join(turn["text"].split()).casefold()
    # the page the first citation links to, through a session
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    login = {"key": KEYS["CALLINTEL_KEY_ACME"], "csrf": token}
    assert client.post("/login", data=login).status_code == 303
    first = answer["citations"][0]
    page = client.get(first["url"].split("#")[0])
    assert page.status_code == 200 and f'id="turn-{first["turn_index"]}"' in page.text


WORLD_ACME = bearer("CALLINTEL_KEY_ACME")  # the key explorer_world's client sets


def world_acme(client, path, **params):
    return client.get(f"/api/tenants/acme{path}", params=params, headers=WORLD_ACME)


@pytest.mark.integration  # a PostgreSQL database of its own, filled by the stages
@requires_postgres
def test_the_same_api_on_postgresql(tmp_path, monkeypatch):
    with fresh_postgres_db() as url:
        world = build_world(tmp_path, url)
        try:
            client = client_for(world, monkeypatch)
            body = world_acme(client, "/calls", per_page=200).json()
            assert sorted(c["call_id"] for c in body["calls"]) == world.calls["acme"]
            call = world_acme(client, f"/calls/{world.recorded['acme']}").json()
            assert call["turns"] and call["recording"]["status"] == "archived"
            audio = world_acme(client, f"/calls/{world.recorded['acme']}/audio")
            assert audio.content == AUDIO.read_bytes()
            assert world_acme(client, f"/calls/{world.calls['globex'][0]}").status_code == 404
            assert world_acme(client, "/kpis").json()["days"]
            csv = world_acme(client, "/calls.csv").text
            assert len(csv.splitlines()) == len(world.calls["acme"]) + 1
            assert world_acme(client, "/search", q="demo").json()["hits"]
            question = {"question": "Who asked for a demo?"}
            asked = client.post("/api/tenants/acme/ask", json=question, headers=WORLD_ACME)
            assert asked.json()["citations"]
            assert world_acme(client, "/calls", day_from="2026-02-31").status_code == 400
        finally:
            world.settings.reader.close()
