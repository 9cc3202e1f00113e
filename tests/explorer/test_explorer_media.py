"""GET /media/{token}: the digest's chart, served from the tenant's outbox to whoever holds a
valid signed token; forged 404, expired 410, and never a file outside that tenant's folder."""

import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from callintel_dagster.explorer import media
from callintel_dagster.explorer.app import create_app
from callintel_dagster.explorer.secret import MEDIA_TTL_S, sign_media
from callintel_dagster.explorer.settings import ExplorerSettings
from callintel_dagster.lib.digest.chart import CHART_NAME, render_week_chart

DAY = date(2026, 11, 25)
CHART = f"{DAY.isoformat()}/{CHART_NAME}"


@pytest.fixture(scope="module")
def png(tmp_path_factory) -> bytes:
    """One real chart, drawn once for the module (drawing takes a few hundred ms)."""
    path = tmp_path_factory.mktemp("chart") / CHART_NAME
    return render_week_chart("Acme", DAY, pd.DataFrame(), path).read_bytes()


def put(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture
def world(callintel_env, png):
    """The conftest registry (acme, globex), each with a chart and a digest text in its outbox."""
    settings = ExplorerSettings.from_env(callintel_env)
    app = create_app(settings)
    outbox = callintel_env.outbox_path
    for tenant in ("acme", "globex"):
        put(outbox / tenant / CHART, png)
        (outbox / tenant / DAY.isoformat() / "919812345678.txt").write_text("digest text")
    return settings, TestClient(app), outbox


def test_a_valid_token_serves_the_png(world):
    settings, client, outbox = world
    answer = client.get(f"/media/{sign_media(settings.secret, 'acme', CHART)}")
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    assert answer.content == (outbox / "acme" / CHART).read_bytes()
    head = client.head(answer.url)
    assert head.status_code == 200 and head.headers["content-type"] == "image/png"
    assert int(head.headers["content-length"]) == len(answer.content) and head.content == b""


@pytest.mark.parametrize(
    "token",
    [
        sign_media("another-secret", "acme", CHART),  # forged: not our secret
        "not-a-token",
        "x" * 3000,
    ],
    ids=["forged", "garbage", "huge"],
)
def test_a_forged_token_is_404(world, token):
    _, client, _ = world
    answer = client.get(f"/media/{token}")
    assert answer.status_code == 404 and "Traceback" not in answer.text


def test_an_altered_token_is_404(world):
    settings, client, _ = world
    token = sign_media(settings.secret, "acme", CHART)
    assert (
        client.get(f"/media/{token[:-2]}{'A' if token[-2] != 'A' else 'B'}{token[-1]}").status_code
        == 404
    )


def test_an_expired_token_is_410_with_a_clear_message(world, monkeypatch):
    settings, client, _ = world
    signed_at = time.time() - MEDIA_TTL_S - 60
    with monkeypatch.context() as m:  # itsdangerous stamps the token with time.time()
        m.setattr(time, "time", lambda: signed_at)
        token = sign_media(settings.secret, "acme", CHART)
    answer = client.get(f"/media/{token}")
    assert answer.status_code == 410 and "expired" in answer.text


@pytest.mark.parametrize(
    "tenant, relpath",
    [
        ("acme", f"../globex/{CHART}"),  # another tenant's chart
        ("acme", f"{DAY.isoformat()}/../../globex/{CHART}"),
        ("acme", "/etc/passwd"),
        ("acme", f"{DAY.isoformat()}/919812345678.txt"),  # the digest text: not media
        ("acme", f"{DAY.isoformat()}/missing.png"),
        ("..", f"home/outbox/acme/{CHART}"),  # a tenant id that climbs out of the outbox
        ("initech", CHART),  # not a tenant of this explorer
    ],
)
def test_nothing_outside_the_tenants_folder_is_served(world, tenant, relpath):
    settings, client, outbox = world
    if tenant == "initech":
        put(outbox / "initech" / CHART, (outbox / "acme" / CHART).read_bytes())
    answer = client.get(f"/media/{sign_media(settings.secret, tenant, relpath)}")
    assert answer.status_code == 404 and b"PNG" not in answer.content[:8]


def test_a_link_out_of_the_folder_is_not_followed(world):
    settings, client, outbox = world
    link = outbox / "acme" / DAY.isoformat() / "theirs.png"
    link.symlink_to(outbox / "globex" / CHART)
    relpath = f"{DAY.isoformat()}/theirs.png"
    assert client.get(f"/media/{sign_media(settings.secret, 'acme', relpath)}").status_code == 404
    assert media.media_file(Path(outbox), "acme", CHART) == (outbox / "acme" / CHART).resolve()
