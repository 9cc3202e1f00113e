"""The JSON API over a real warehouse and search index: calls, CSV, a call, its audio, KPIs,
search and ask; bad input answered 400 with the parameter and why, never a 500."""

import csv
import io
import re
import shutil
from dataclasses import replace

import pytest
from explorer_world import AUDIO, KEYS, bearer, client_for, shared_world

from callintel_dagster.explorer.reader import Reader
from callintel_dagster.resources.warehouse import Warehouse, file_lock

ACME = bearer("CALLINTEL_KEY_ACME")
ADMIN = bearer("CALLINTEL_ADMIN_KEY")


@pytest.fixture(scope="module")
def world():
    return shared_world()


@pytest.fixture
def client(world, monkeypatch):
    return client_for(world, monkeypatch)


def get(client, path, **params):
    return client.get(f"/api/tenants/acme{path}", params=params, headers=ACME)


def test_calls_lists_the_tenants_calls_paged(client, world):
    body = get(client, "/calls", per_page=5).json()
    assert body["total"] == len(world.calls["acme"]) and body["pages"] == 3
    assert len(body["calls"]) == 5 and {c["call_id"] for c in body["calls"]} <= set(
        world.calls["acme"]
    )
    first = body["calls"][0]
    assert first["url"] == f"/t/acme/calls/{first['call_id']}"
    last = get(client, "/calls", per_page=5, page=3).json()
    assert len(last["calls"]) == len(world.calls["acme"]) - 10
    beyond = get(client, "/calls", page=99).json()
    assert beyond["calls"] == [] and beyond["total"] == len(world.calls["acme"])


def test_calls_filter_and_sort(client):
    rows = get(client, "/calls", sort="duration", order="asc", per_page=200).json()["calls"]
    durations = [r["duration_seconds"] for r in rows if r["duration_seconds"] is not None]
    assert durations == sorted(durations) and len(durations) > 3
    sentiment = rows[0]["sentiment_label"] or "neutral"
    only = get(client, "/calls", sentiment=sentiment, per_page=200).json()
    assert only["total"] >= 1 and all(r["sentiment_label"] == sentiment for r in only["calls"])


@pytest.mark.parametrize(
    "params, param",
    [
        ({"day_from": "2026-13-40"}, "day_from"),
        ({"day_to": "yesterday"}, "day_to"),
        ({"page": 10**12}, "page"),
        ({"page": 0}, "page"),
        ({"per_page": 0}, "per_page"),
        ({"per_page": 10_000}, "per_page"),
        ({"sort": "password"}, "sort"),
        ({"quality_min": "high"}, "quality_min"),
        ({"text": "x" * 201}, "text"),
    ],
)
def test_bad_list_parameters_are_a_400_naming_the_parameter(client, params, param):
    response = get(client, "/calls", **params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "bad request"
    assert any(p["param"] == param and p["reason"] for p in body["detail"]), body


def test_a_backwards_day_range_is_a_400(client):
    response = get(client, "/calls", day_from="2026-11-26", day_to="2026-11-24")
    assert response.status_code == 400 and "day" in response.text


def test_script_in_the_text_filter_is_only_text(client):
    response = get(client, "/calls", text="<script>alert(1)</script>' OR 1=1 --")
    assert response.status_code == 200 and response.json()["total"] == 0


def test_csv_export_has_every_matching_call(client, world):
    response = get(client, "/calls.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert 'filename="acme-calls.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert sorted(r["call_id"] for r in rows) == world.calls["acme"]


def test_a_call_in_full(client, world):
    call_id = world.recorded["acme"]
    body = get(client, f"/calls/{call_id}").json()
    assert body["call"]["call_id"] == call_id and body["url"] == f"/t/acme/calls/{call_id}"
    assert body["turns"] and body["turns"][0]["moment"]
    assert body["recording"]["status"] == "archived"
    assert body["analysis"]["status"] == "ok"


def test_unknown_calls_are_a_404(client, world):
    for call_id in ("no-such-call", world.calls["globex"][0], "x" * 300, "' OR '1'='1"):
        response = get(client, f"/calls/{call_id}")
        assert response.status_code in (400, 404), call_id
        assert response.json()["error"] in ("not found", "bad request")


def test_audio_is_served_and_seekable(client, world):
    path = f"/calls/{world.recorded['acme']}/audio"
    response = get(client, path)
    assert response.status_code == 200 and response.headers["content-type"] == "audio/wav"
    assert response.content == AUDIO.read_bytes()
    part = client.get(f"/api/tenants/acme{path}", headers={**ACME, "Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == AUDIO.read_bytes()[100:200]
    without = get(client, f"/calls/{world.calls['acme'][1]}/audio")
    assert without.status_code == 404 and without.json()["detail"]


def test_kpis_over_the_days_with_calls(client):
    body = get(client, "/kpis").json()
    assert body["day_to"] == "2026-11-25" and body["day_from"] == "2026-10-27"
    assert {"days", "leaderboard", "objections", "funnel", "freshness"} <= body.keys()
    one = get(client, "/kpis", day_from="2026-11-25", day_to="2026-11-25").json()
    assert one["day_from"] == one["day_to"] == "2026-11-25"
    for params in ({"day_from": "2026-02-30"}, {"day_from": "2020-01-01", "day_to": "2026-01-01"}):
        bad = get(client, "/kpis", **params)
        assert bad.status_code == 400 and bad.json()["detail"][0]["param"] in ("day_from", "day_to")


@pytest.mark.parametrize("mode", ["bm25", "hybrid", "vector"])
def test_search_finds_the_tenants_own_turns(client, world, mode):
    body = get(client, "/search", q="demo", mode=mode).json()
    assert body["hits"], mode
    for hit in body["hits"]:
        assert hit["call_id"] in world.calls["acme"]
        assert hit["url"].startswith(f"/t/acme/calls/{hit['call_id']}?t=")
        assert hit["url"].endswith(f"#turn-{hit['turn_index']}")


@pytest.mark.parametrize(
    "params, status",
    [
        ({"q": ""}, 400),
        ({"q": "price", "mode": "magic"}, 400),
        ({"q": "price", "limit": 0}, 400),
        ({"q": "price", "day_from": "2026-11-26", "day_to": "2026-11-01"}, 400),
        ({"q": "<script>alert(1)</script>"}, 200),
    ],
)
def test_search_input(client, params, status):
    response = get(client, "/search", **params)
    assert response.status_code == status, response.text
    assert "Traceback" not in response.text


def test_a_tenant_without_an_index_gets_a_clear_409(client):
    response = client.get("/api/tenants/initech/search", params={"q": "price"}, headers=ADMIN)
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "tenant initech has no search index yet: run the pipeline for its days first"
    )


def test_ask_answers_with_links_to_the_cited_turns(client, world):
    question = {"question": "Who asked to see a demo first?", "day_from": "2026-11-25"}
    response = client.post("/api/tenants/acme/ask", json=question, headers=ACME)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mode"] == "extractive" and body["citations"]
    for citation in body["citations"]:
        assert citation["call_id"] in world.calls["acme"]
        assert citation["url"] == (
            f"/t/acme/calls/{citation['call_id']}?t={citation['start_s']:g}"
            f"#turn-{citation['turn_index']}"
        )
        turns = get(client, f"/calls/{citation['call_id']}").json()["turns"]
        cited = next(t for t in turns if t["index"] == citation["turn_index"])
        assert citation["quote"].casefold() in " ".join(cited["text"].split()).casefold()


@pytest.mark.parametrize(
    "body", [{"question": ""}, {"question": "x" * 1001}, {}, {"question": "?", "day_to": "soon"}]
)
def test_ask_input(client, body):
    response = client.post("/api/tenants/acme/ask", json=body, headers=ACME)
    assert response.status_code == 400 and response.json()["detail"]


def test_openapi_declares_the_bearer_scheme(client):
    spec = client.get("/api/openapi.json").json()
    assert spec["components"]["securitySchemes"]["TenantKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["TenantKey"]["description"],
    }
    calls = spec["paths"]["/api/tenants/{tenant_id}/calls"]["get"]
    assert {"400", "401", "404"} <= calls["responses"].keys()
    assert calls["security"] == [{"TenantKey": []}]
    assert "409" in spec["paths"]["/api/tenants/{tenant_id}/search"]["get"]["responses"]
    docs = client.get("/api/docs")
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert docs.status_code == 200 and len(assets) == 3
    for asset in assets:  # Swagger UI's files served here, never from a CDN
        assert asset.startswith("/static/vendor/") and client.get(asset).status_code == 200


def test_health_and_the_local_plotly(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    js = client.get("/static/vendor/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000


def test_an_unreachable_database_is_a_500_with_an_error_id_only(world, monkeypatch, caplog):
    down = Warehouse(url="postgresql://postgres@127.0.0.1:1/nowhere")  # nothing listens on :1
    settings = replace(world.settings, reader=Reader(down), warehouse=down)
    client = client_for(
        replace(world, settings=settings), monkeypatch, raise_server_exceptions=False
    )
    response = get(client, "/calls")
    assert response.status_code == 500
    detail = response.json()["detail"]
    assert re.fullmatch(r"an unexpected error \(id [0-9a-f]{12}\); the server log has .*", detail)
    assert "127.0.0.1" not in response.text and "Traceback" not in response.text
    error_id = re.search(r"id ([0-9a-f]{12})", detail).group(1)
    assert any(error_id in r.getMessage() for r in caplog.records)  # the log has the rest
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"key": KEYS["CALLINTEL_KEY_ACME"], "csrf": token})
    page = client.get("/t/acme/calls")
    assert page.status_code == 500 and "text/html" in page.headers["content-type"]
    assert "an unexpected error (id " in page.text and "Traceback" not in page.text


def test_ask_while_a_run_holds_the_live_file_is_a_503(world, monkeypatch):
    live = world.warehouse.duckdb_path
    impatient = Warehouse(url=world.warehouse.url, lock_timeout_s=0.3)
    settings = replace(world.settings, warehouse=impatient)
    client = client_for(replace(world, settings=settings), monkeypatch)
    with file_lock(f"{live}.lock", 5):  # what a run's write holds
        response = client.post("/api/tenants/acme/ask", json={"question": "demo?"}, headers=ACME)
    assert response.status_code == 503 and response.headers["Retry-After"] == "60"
    assert "busy with a pipeline run" in response.json()["detail"]


def test_no_snapshot_while_a_run_holds_the_live_file_is_a_503(world, monkeypatch, tmp_path):
    # a fresh deployment: no snapshot yet, and a run holds the live file longer than we wait
    live = tmp_path / "warehouse.duckdb"
    shutil.copyfile(world.warehouse.duckdb_path, live)
    fresh = Reader(Warehouse(url=f"duckdb:///{live}", lock_timeout_s=0.2))
    client = client_for(replace(world, settings=replace(world.settings, reader=fresh)), monkeypatch)
    with file_lock(f"{live}.lock", 5):
        response = client.get("/api/tenants/acme/calls", headers=ACME)
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert "try again" in response.json()["detail"]
    assert client.get("/api/tenants/acme/calls", headers=ACME).status_code == 200  # run ended
