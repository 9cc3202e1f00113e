"""The whole graph for one tenant-day, then the explorer served over HTTP on what the runs wrote:
calls, KPIs from the marts, search and ask over the index the run built, citations that open
the call page at the cited turn, and acme's key never reaching globex (which has no run, so no
index: a clear 409 for its own key)."""

import re

import dagster as dg
import httpx
import pytest

from callintel_dagster.definitions import build_defs, resolved_resource
from callintel_dagster.env import current_env
from callintel_dagster.explorer.serve import serving
from callintel_dagster.explorer.settings import ExplorerSettings
from conftest import DAY, TENANTS_YAML, fresh_postgres_db, requires_postgres, run_job
from tests.explorer.explorer_world import AUDIO, bearer, build_world, client_for

KEYS = {"CALLINTEL_KEY_ACME": "acme-pipeline-key-1234", "CALLINTEL_KEY_GLOBEX": "globex-key-98765"}
ACME = {"Authorization": f"Bearer {KEYS['CALLINTEL_KEY_ACME']}"}
GLOBEX = {"Authorization": f"Bearer {KEYS['CALLINTEL_KEY_GLOBEX']}"}


@pytest.fixture(scope="module")
def explorer(tmp_path_factory):
    """(client, warehouse) after acme's daily run, the explorer serving on a thread."""
    root = tmp_path_factory.mktemp("explorer-pipeline")
    (root / "tenants.yaml").write_text(TENANTS_YAML)
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
            run_job(defs, instance, tenant="acme")
        warehouse = resolved_resource(defs, "warehouse")
        warehouse.refresh_snapshot()  # what the snapshot sensor does after a run
        with serving(ExplorerSettings.from_env(env)) as base:
            with httpx.Client(base_url=base, timeout=60) as client:
                yield client, warehouse


def ids_of(warehouse, tenant: str) -> set[str]:
    frame = warehouse.query("SELECT call_id FROM raw.call_records WHERE tenant_id = ?", [tenant])
    return set(frame["call_id"])


def test_calls_and_kpis_of_the_run(explorer):
    client, warehouse = explorer
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


def test_search_over_the_index_the_run_built(explorer):
    client, warehouse = explorer
    for mode in ("hybrid", "bm25", "vector"):
        params = {"q": "too expensive", "limit": 20, "mode": mode}
        hits = client.get("/api/tenants/acme/search", params=params, headers=ACME).json()["hits"]
        assert hits and {h["call_id"] for h in hits} <= ids_of(warehouse, "acme")
        assert all(h["url"].startswith("/t/acme/calls/") for h in hits)
    assert client.get("/api/tenants/globex/search?q=price", headers=ACME).status_code == 404
    theirs = client.get("/api/tenants/globex/search?q=price", headers=GLOBEX)
    assert theirs.status_code == 409 and "has no search index yet" in theirs.json()["detail"]


def test_ask_citations_open_the_cited_turn(explorer):
    client, warehouse = explorer
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


def acme(client, path, **params):
    return client.get(f"/api/tenants/acme{path}", params=params, headers=WORLD_ACME)


@pytest.mark.integration  # a PostgreSQL database of its own, filled by the stages
@requires_postgres
def test_the_same_api_on_postgresql(tmp_path, monkeypatch):
    with fresh_postgres_db() as url:
        world = build_world(tmp_path, url)
        try:
            client = client_for(world, monkeypatch)
            body = acme(client, "/calls", per_page=200).json()
            assert sorted(c["call_id"] for c in body["calls"]) == world.calls["acme"]
            call = acme(client, f"/calls/{world.recorded['acme']}").json()
            assert call["turns"] and call["recording"]["status"] == "archived"
            assert (
                acme(client, f"/calls/{world.recorded['acme']}/audio").content == AUDIO.read_bytes()
            )
            assert acme(client, f"/calls/{world.calls['globex'][0]}").status_code == 404
            assert acme(client, "/kpis").json()["days"]
            assert len(acme(client, "/calls.csv").text.splitlines()) == len(world.calls["acme"]) + 1
            assert acme(client, "/search", q="demo").json()["hits"]
            question = {"question": "Who asked for a demo?"}
            asked = client.post("/api/tenants/acme/ask", json=question, headers=WORLD_ACME)
            assert asked.json()["citations"]
            assert acme(client, "/calls", day_from="2026-02-31").status_code == 400
        finally:
            world.settings.reader.close()
