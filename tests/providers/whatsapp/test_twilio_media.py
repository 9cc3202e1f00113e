"""The digest chart over Twilio: the sender passes MediaUrl, the Twilio emulator takes and
checks it as Twilio does and downloads the image from the real explorer (explorer/media.py)."""

from base64 import b64encode
from datetime import date, datetime

import pandas as pd
import pytest
import requests
import twilio.rest.api.v2010.account  # noqa: F401 - the SDK imports it on first use: ~1 s

from callintel_dagster.explorer.secret import sign_media
from callintel_dagster.explorer.serve import serving
from callintel_dagster.explorer.settings import ExplorerSettings
from callintel_dagster.lib.digest.chart import CHART_NAME, render_week_chart
from callintel_dagster.lib.digest.parts import Part
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.resources.digests import DigestSenders
from emulators.twilio import ACCOUNT_SID, AUTH_TOKEN, MESSAGES, TEMPLATE_SID, TwilioEmulator

DAY = date(2026, 11, 25)
CHART = f"{DAY.isoformat()}/{CHART_NAME}"
R1 = "+919812345678"


@pytest.fixture
def explorer(callintel_env):
    """The explorer on a thread, with acme's chart in its outbox; yields (base URL, secret)."""
    render_week_chart("Acme", DAY, pd.DataFrame(), callintel_env.outbox_path / "acme" / CHART)
    settings = ExplorerSettings.from_env(callintel_env)
    with serving(settings) as base:
        yield base, settings.secret


@pytest.fixture
def emulator(monkeypatch):
    monkeypatch.setenv("TW_SID", ACCOUNT_SID)
    monkeypatch.setenv("TW_TOKEN", AUTH_TOKEN)
    with TwilioEmulator(step_s=None) as emu:
        yield emu


def twilio_sender(emulator):
    config = {"provider": "twilio", "recipients": [R1], "account_sid_env": "TW_SID"}
    config |= {"auth_token_env": "TW_TOKEN", "from_number": "+14155238886", "mode": "body"}
    config |= {"api_base_url": emulator.base_url, "timeout_s": 5}
    tenant = Tenant(id="acme", name="Acme", timezone="Asia/Kolkata", digest=config)
    return DigestSenders(outbox_dir="/nonexistent").for_tenant(tenant)


def test_the_chart_reaches_twilio_as_media(explorer, emulator):
    base, secret = explorer
    emulator.open_session(R1)  # free text (and media) delivers inside the 24-hour window
    url = f"{base}/media/{sign_media(secret, 'acme', CHART)}"
    part = Part(0, 1, "body", body="📊 digest", media_url=url)
    result = twilio_sender(emulator).send(R1, part, datetime(2026, 11, 25))
    assert result.status == "queued" and result.sid
    [msg] = emulator.messages
    assert msg["num_media"] == "1" and msg["body"] == "📊 digest"
    [got] = emulator.media
    assert got["url"] == url and got["status"] == 200 and got["content_type"] == "image/png"
    assert got["bytes"] > 10_000
    emulator.advance()
    emulator.advance()
    assert msg["status"] == "delivered"


def test_a_chart_twilio_cannot_download_fails_the_message(explorer, emulator):
    base, _ = explorer
    emulator.open_session(R1)
    forged = f"{base}/media/{sign_media('not-the-secret', 'acme', CHART)}"
    part = Part(0, 1, "body", body="📊 digest", media_url=forged)
    assert twilio_sender(emulator).send(R1, part, datetime(2026, 11, 25)).sid
    emulator.advance()
    [msg] = emulator.messages
    assert emulator.media[0]["status"] == 404
    assert (msg["status"], msg["error_code"]) == ("failed", 63019)


def post(emulator, **form):
    auth = b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    base = {"To": f"whatsapp:{R1}", "From": "whatsapp:+14155238886"}
    return requests.post(
        emulator.base_url + MESSAGES.format(account=ACCOUNT_SID),
        data=list(base.items()) + [(k, v) for k, vs in form.items() for v in vs],
        headers={"Authorization": f"Basic {auth}"},
        timeout=5,
    )


@pytest.mark.parametrize(
    "form, code",
    [
        ({"Body": ["x"], "MediaUrl": ["ftp://example.com/a.png"]}, 21620),
        ({"Body": ["x"], "MediaUrl": ["/media/relative"]}, 21620),
        (
            {"Body": ["x"], "MediaUrl": ["https://a.example/1.png", "https://a.example/2.png"]},
            21623,
        ),
        ({"ContentSid": [TEMPLATE_SID], "MediaUrl": ["https://a.example/1.png"]}, 21620),
        ({}, 21619),  # neither Body nor media
    ],
    ids=["not-http", "relative", "two-media", "with-template", "empty"],
)
def test_the_emulator_refuses_what_twilio_refuses(emulator, form, code):
    answer = post(emulator, **form)
    assert answer.status_code == 400 and answer.json()["code"] == code
    assert emulator.messages == [] and emulator.media == []


def test_media_alone_needs_no_body(explorer, emulator):
    base, secret = explorer
    answer = post(emulator, MediaUrl=[f"{base}/media/{sign_media(secret, 'acme', CHART)}"])
    assert answer.status_code == 201 and answer.json()["num_media"] == "1"
    assert emulator.media[0]["content_type"] == "image/png"
