"""Nothing crosses tenants: every API route and every page, with acme's key or session against
globex's URLs, answers 404 and says nothing of globex; a globex call id under acme's URLs is a
404; acme's own answers hold none of globex's calls, agents or words."""

import re

import pytest
from explorer_world import KEYS, bearer, client_for, shared_world

from callintel_dagster.explorer.secret import sign_media

ACME, GLOBEX = bearer("CALLINTEL_KEY_ACME"), bearer("CALLINTEL_KEY_GLOBEX")


@pytest.fixture(scope="module")
def world():
    return shared_world()


@pytest.fixture(scope="module")
def globex_marks(world) -> set[str]:
    """Strings only globex's data holds: its call ids, phone numbers and agent names."""
    rows = world.settings.reader.rows(
        "SELECT call_id, phone_e164, agent_name FROM raw.call_records WHERE tenant_id = ?",
        ("globex",),
    )
    acme = world.settings.reader.rows(
        "SELECT phone_e164, agent_name FROM raw.call_records WHERE tenant_id = ?", ("acme",)
    )
    shared = {v for r in acme for v in r.values()}
    marks = {v for r in rows for v in r.values() if v and v not in shared}
    return marks | {"Globex Support"}


@pytest.fixture
def client(world, monkeypatch):
    return client_for(world, monkeypatch, follow_redirects=False)


def api_routes(world, tenant: str) -> list[tuple[str, str, dict | None]]:
    call = world.recorded[tenant]
    base = f"/api/tenants/{tenant}"
    return [
        ("GET", f"{base}/calls", None),
        ("GET", f"{base}/calls.csv", None),
        ("GET", f"{base}/facets", None),
        ("GET", f"{base}/calls/{call}", None),
        ("GET", f"{base}/calls/{call}/audio", None),
        ("GET", f"{base}/kpis", None),
        ("GET", f"{base}/search?q=demo", None),
        ("POST", f"{base}/ask", {"question": "Who asked for a demo?"}),
    ]


def page_routes(world, tenant: str) -> list[str]:
    call = world.recorded[tenant]
    base = f"/t/{tenant}"
    return [
        f"{base}/",
        f"{base}/calls",
        f"{base}/calls.csv",
        f"{base}/calls/{call}",
        f"{base}/calls/{call}/audio",
        f"{base}/search?q=demo",
        f"{base}/ask",
    ]


def leaks(body: str, marks: set[str]) -> set[str]:
    return {m for m in marks if m in body}


def test_the_routes_work_for_their_own_tenant(client, world, globex_marks):
    # so that the 404s below are about the tenant, not about a broken route
    assert len(globex_marks) > 10 and world.recorded["globex"] in globex_marks
    for method, path, body in api_routes(world, "globex"):
        response = client.request(method, path, json=body, headers=GLOBEX)
        assert response.status_code == 200, path
        if path.endswith("/calls"):
            assert leaks(response.text, globex_marks)  # the marks do show globex's data


def test_acme_key_on_globex_api_routes_is_a_404_without_globex_data(client, world, globex_marks):
    for method, path, body in api_routes(world, "globex"):
        response = client.request(method, path, json=body, headers=ACME)
        assert response.status_code == 404, path
        assert response.json() == {"error": "not found", "detail": "no such tenant"}
        assert not leaks(response.text, globex_marks)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"X-Key": "x"}])
def test_no_key_or_a_wrong_key_is_a_401_everywhere(client, world, headers, globex_marks):
    for method, path, body in api_routes(world, "globex"):
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code == 401, path
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert not leaks(response.text, globex_marks)


def test_a_globex_call_id_under_acme_urls_is_a_404(client, world, globex_marks):
    theirs = world.recorded["globex"]  # it has a recording: the audio must not be served either
    for path in (f"/calls/{theirs}", f"/calls/{theirs}/audio"):
        response = client.get(f"/api/tenants/acme{path}", headers=ACME)
        assert response.status_code == 404 and not leaks(response.text, globex_marks)
    login(client, "CALLINTEL_KEY_ACME")
    for path in (f"/t/acme/calls/{theirs}", f"/t/acme/calls/{theirs}/audio"):
        response = client.get(path)
        assert response.status_code == 404 and not leaks(response.text, globex_marks)


def test_acme_answers_hold_nothing_of_globex(client, world, globex_marks):
    for method, path, body in api_routes(world, "acme"):
        response = client.request(method, path, json=body, headers=ACME)
        assert response.status_code == 200, path
        if not path.endswith("/audio"):
            assert not leaks(response.text, globex_marks), path


def login(client, key_name: str) -> None:
    html = client.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    response = client.post("/login", data={"key": KEYS[key_name], "csrf": token})
    assert response.status_code == 303


def test_acme_session_on_globex_pages_is_a_404_page(client, world, globex_marks):
    login(client, "CALLINTEL_KEY_ACME")
    for path in page_routes(world, "globex"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "text/html" in response.headers["content-type"]
        assert not leaks(response.text, globex_marks), path
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/t/acme/ask").text).group(1)
    asked = client.post("/t/globex/ask", data={"question": "Who asked for a demo?", "csrf": token})
    assert asked.status_code == 404 and not leaks(asked.text, globex_marks)


def test_pages_without_a_session_go_to_login(client, world):
    for path in page_routes(world, "globex"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_media_tokens_name_one_tenants_file_only(client, world):
    chart = world.settings.env.outbox_path / "globex" / "week.png"
    chart.parent.mkdir(parents=True, exist_ok=True)
    chart.write_bytes(b"\x89PNG\r\n\x1a\n globex's chart")
    secret = world.settings.secret
    assert client.get(f"/media/{sign_media(secret, 'globex', 'week.png')}").status_code == 200
    for token in (
        sign_media(secret, "acme", "../globex/week.png"),  # acme's token cannot climb out
        sign_media(secret, "acme", "week.png"),
        sign_media("another-secret", "globex", "week.png"),
        "not-a-token",
    ):
        response = client.get(f"/media/{token}")
        assert response.status_code == 404 and b"globex's chart" not in response.content
