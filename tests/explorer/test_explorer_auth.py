"""Who may see what: Bearer keys on the API, the login form's session on pages, CSRF on every POST,
key rotation ending sessions, and redirects that never leave the site."""

import re
from dataclasses import replace

import pytest
from explorer_world import KEYS, bearer, client_for, shared_world

from callintel_dagster.explorer.auth import principal_for_key, safe_next


@pytest.fixture(scope="module")
def world():
    return shared_world()


@pytest.fixture
def client(world, monkeypatch):
    return client_for(world, monkeypatch, follow_redirects=False)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "the form carries no CSRF token"
    return match.group(1)


def log_in(client, key: str, next_url: str = "/"):
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"key": key, "csrf": token, "next": next_url})


def test_a_key_names_its_tenant_the_admin_key_every_tenant(world, monkeypatch):
    client_for(world, monkeypatch)  # sets the keys
    settings = world.settings
    assert principal_for_key(settings, KEYS["CALLINTEL_KEY_ACME"]).tenant_id == "acme"
    admin = principal_for_key(settings, KEYS["CALLINTEL_ADMIN_KEY"])
    assert admin.is_admin and admin.may_see("globex") and admin.may_see("acme")
    for wrong in ("", None, "acme-key", KEYS["CALLINTEL_KEY_ACME"] + "x", " "):
        assert principal_for_key(settings, wrong) is None
    # a key two tenants share picks neither
    monkeypatch.setenv("CALLINTEL_KEY_GLOBEX", KEYS["CALLINTEL_KEY_ACME"])
    assert principal_for_key(settings, KEYS["CALLINTEL_KEY_ACME"]) is None


def test_the_api_wants_a_bearer_key(client):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic YWNtZTp4"}):
        response = client.get("/api/tenants/acme/calls", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.json()["error"] == "unauthorized" and response.json()["detail"]
    assert client.get("/api/tenants/acme/calls", headers=bearer("CALLINTEL_KEY_ACME")).is_success
    admin = bearer("CALLINTEL_ADMIN_KEY")
    assert all(
        client.get(f"/api/tenants/{t}/calls", headers=admin).is_success for t in ("acme", "globex")
    )


def test_another_tenant_and_an_unknown_one_answer_alike(client):
    acme = bearer("CALLINTEL_KEY_ACME")
    theirs = client.get("/api/tenants/globex/calls", headers=acme)
    unknown = client.get("/api/tenants/nobody/calls", headers=acme)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json() == unknown.json() == {"error": "not found", "detail": "no such tenant"}


def test_a_tenant_without_a_key_cannot_log_in(client):
    # initech's variable is unset: neither an empty key nor anything else opens it
    for key in ("", " ", "CALLINTEL_KEY_INITECH"):
        assert log_in(client, key).status_code != 303
    assert client.get("/t/initech/").status_code == 303


def test_pages_redirect_to_login_and_back(client):
    response = client.get("/t/acme/calls?sentiment=negative")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Ft%2Facme%2Fcalls%3Fsentiment%3Dnegative"
    done = log_in(client, KEYS["CALLINTEL_KEY_ACME"], "/t/acme/calls?sentiment=negative")
    assert (
        done.status_code == 303 and done.headers["location"] == "/t/acme/calls?sentiment=negative"
    )
    cookie = done.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    assert "max-age=43200" in cookie  # 12 hours
    assert client.get("/t/acme/calls").status_code == 200
    assert client.get("/t/globex/calls").status_code == 404  # not theirs: a 404 page
    assert "globex" not in client.get("/t/globex/calls").text.lower()


def test_a_wrong_key_starts_no_session(client):
    response = log_in(client, "not-a-key", "/t/acme/")
    assert response.status_code != 303
    assert client.get("/t/acme/").status_code == 303


def test_posts_without_the_csrf_token_are_refused(client):
    assert client.post("/login", data={"key": KEYS["CALLINTEL_KEY_ACME"]}).status_code == 403
    bad = {"key": KEYS["CALLINTEL_KEY_ACME"], "csrf": "forged"}
    assert client.post("/login", data=bad).status_code == 403
    assert log_in(client, KEYS["CALLINTEL_KEY_ACME"]).status_code == 303
    assert client.post("/logout", data={}).status_code == 403
    assert client.get("/t/acme/calls").status_code == 200  # still logged in
    token = csrf_of(client.get("/t/acme/calls").text)
    assert client.post("/logout", data={"csrf": token}).status_code == 303
    assert client.get("/t/acme/calls").status_code == 303


def test_rotating_a_key_ends_its_sessions(client, monkeypatch):
    assert log_in(client, KEYS["CALLINTEL_KEY_ACME"]).status_code == 303
    assert client.get("/t/acme/calls").status_code == 200
    monkeypatch.setenv("CALLINTEL_KEY_ACME", "a-brand-new-key-000000")
    assert client.get("/t/acme/calls").status_code == 303
    monkeypatch.setenv("CALLINTEL_KEY_ACME", KEYS["CALLINTEL_KEY_ACME"])  # the old key back:
    assert client.get("/t/acme/calls").status_code == 303  # the session was already ended


def test_the_admin_sees_every_tenant(client):
    assert log_in(client, KEYS["CALLINTEL_ADMIN_KEY"]).status_code == 303
    picker = client.get("/")
    assert picker.status_code == 200
    assert "/t/acme/" in picker.text and "/t/globex/" in picker.text
    assert client.get("/t/globex/calls").status_code == 200


def test_https_only_sessions(world, monkeypatch):
    settings = replace(world.settings, https_only=True)
    client = client_for(replace(world, settings=settings), monkeypatch, follow_redirects=False)
    assert "secure" in log_in(client, KEYS["CALLINTEL_KEY_ACME"]).headers["set-cookie"].lower()


@pytest.mark.parametrize(
    "asked, goes_to",
    [
        ("/t/acme/calls?page=2", "/t/acme/calls?page=2"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_after_login_only_a_path_on_this_site(asked, goes_to):
    assert safe_next(asked) == goes_to
