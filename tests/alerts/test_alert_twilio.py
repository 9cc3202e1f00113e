"""WhatsApp alerts through the digest's Twilio path, against the Twilio emulator: a free-text
message per recipient; a refused token is a named channel error, retried on the next tick."""

from datetime import datetime

import pytest

from callintel_dagster.alerts.channels import Outbox
from callintel_dagster.alerts.incidents import Finding
from callintel_dagster.alerts.notify import run_pass
from callintel_dagster.lib.tenants.registry import load_registry
from callintel_dagster.resources.warehouse import Warehouse
from emulators.twilio import ACCOUNT_SID, AUTH_TOKEN, TwilioEmulator

ONCALL = "+919812345670"
TENANTS = """
alerts:
  channels:
    - kind: whatsapp
      via: {{provider: twilio, mode: body, account_sid_env: TW_ALERT_SID,
             auth_token_env: TW_ALERT_TOKEN, from_number: "+14155238886",
             api_base_url: "{url}", timeout_s: 2, recipients: ["{oncall}"]}}
tenants:
  - id: acme
    name: Acme
    timezone: Asia/Kolkata
"""
LATE = Finding("digest_late", "acme", "whatsapp_digest", "2026-11-26|acme", "delivered to 0 of 1")


@pytest.fixture
def twilio(tmp_path, monkeypatch):
    monkeypatch.setenv("TW_ALERT_SID", ACCOUNT_SID)
    with TwilioEmulator(step_s=None) as emulator:
        (tmp_path / "t.yaml").write_text(TENANTS.format(url=emulator.base_url, oncall=ONCALL))
        registry = load_registry(tmp_path / "t.yaml")
        warehouse = Warehouse(url=f"duckdb:///{tmp_path}/w.duckdb")
        outbox = Outbox(tmp_path / "outbox", twilio_attempts=1)

        def tick(minute: int):
            now = datetime(2026, 11, 27, 10, minute)
            return run_pass(warehouse, registry, outbox, now, [LATE], {"digest_late": "x"})

        yield tick, emulator, monkeypatch


@pytest.mark.integration  # building a Twilio client costs ~0.8 s, twice
def test_whatsapp_alert_through_twilio_and_a_refused_token(twilio):
    tick, emulator, monkeypatch = twilio
    monkeypatch.setenv("TW_ALERT_TOKEN", "not-the-token")
    refused = tick(0)
    assert refused.errors == [
        "digest_late acme: deployment:0:whatsapp: Twilio did not take the message "
        "(Twilio code 20003)"
    ]
    assert emulator.messages == []

    monkeypatch.setenv("TW_ALERT_TOKEN", AUTH_TOKEN)
    sent = tick(3)
    assert sent.sent == ["opened digest_late acme"] and not sent.errors
    [message] = emulator.messages
    assert message["to"] == f"whatsapp:{ONCALL}"
    assert message["body"].startswith("[callintel] 🔴 OPEN: Digest not delivered (acme)")
    assert "partition: 2026-11-26|acme" in message["body"]
    assert tick(6).sent == [] and len(emulator.messages) == 1
