"""The Twilio WhatsApp sender and its exactly-once ledger against the Twilio emulator."""

import threading
import time
import urllib.error
import urllib.request
from datetime import date
from urllib.parse import urlencode

import dagster as dg
import pytest
import yaml
from twilio.request_validator import RequestValidator

from callintel_dagster.cli.twilio_status import apply_status_callback, make_server
from callintel_dagster.lib.digest.parts import plan_parts
from callintel_dagster.lib.digest.text import Digest
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.resources.digests import DigestSenders
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.sensors.digest_status import digest_status_sensor
from callintel_dagster.stages.digest import DigestDelivery, apply_status
from emulators.twilio import ACCOUNT_SID, AUTH_TOKEN, MESSAGES, TEMPLATE_SID, TwilioEmulator

DAY = date(2026, 11, 18)
R1, R2 = "+919812345678", "+14155550100"
LONG = "\n".join(
    f"• bullet {i}: a customer asked about the price of the 2BHK flat" for i in range(20)
)
DIGEST = Digest(
    LONG, {"date": "Wed 18 Nov 2026", "headline": "4 booked from 30 calls", "body": LONG}
)


@pytest.fixture
def emulator():
    with TwilioEmulator(step_s=None) as emu:
        yield emu


@pytest.fixture
def warehouse(tmp_path, monkeypatch):
    monkeypatch.setenv("TW_SID", ACCOUNT_SID)
    monkeypatch.setenv("TW_TOKEN", AUTH_TOKEN)
    return Warehouse(url=f"duckdb:///{tmp_path}/w.duckdb")


def sender(emulator, warehouse, recipients=(R1,), **digest):
    config = {
        "provider": "twilio",
        "recipients": list(recipients),
        "account_sid_env": "TW_SID",
        "auth_token_env": "TW_TOKEN",
        "from_number": "+14155238886",
        "content_sid": TEMPLATE_SID,
        "api_base_url": emulator.base_url,
        "timeout_s": 0.5,
        **digest,
    }
    tenant = Tenant(id="acme", name="Acme", timezone="Asia/Kolkata", digest=config)
    api = DigestSenders(outbox_dir="/nonexistent").for_tenant(tenant)
    return DigestDelivery(tenant, api, warehouse)


def ledger(warehouse):
    return warehouse.query("SELECT * FROM delivery.whatsapp_ledger ORDER BY recipient, part_index")


def test_template_sent_once_then_never_again(emulator, warehouse):
    s = sender(emulator, warehouse)
    first = s.deliver(DAY, R1, DIGEST)
    assert first.outcome == "sent" and first.status == "queued"
    [msg] = emulator.messages
    assert msg["to"] == f"whatsapp:{R1}" and msg["_content_sid"] == TEMPLATE_SID
    assert msg["body"] == "📊 Daily calls digest for Wed 18 Nov 2026: 4 booked from 30 calls"
    assert ledger(warehouse)["message_sid"].tolist() == [msg["sid"]] == [first.location]
    again = s.deliver(DAY, R1, DIGEST)
    assert again.outcome == "already_sent" and len(emulator.messages) == 1
    forced = s.deliver(DAY, R1, DIGEST, force=True)
    assert forced.outcome == "sent" and len(emulator.messages) == 2, "force_resend sends again"


def test_body_is_split_into_parts(emulator, warehouse):
    s = sender(emulator, warehouse, mode="body", max_body_chars=300)
    emulator.open_session(R1)  # free text delivers only inside the 24-hour window
    expected = [p.body for p in plan_parts(s.tenant.digest, DIGEST.facts)]
    assert len(expected) >= 4
    assert s.deliver(DAY, R1, DIGEST).outcome == "sent"
    assert [m["body"] for m in emulator.messages] == expected
    assert all(len(m["body"]) <= 300 for m in emulator.messages)
    emulator.advance(), emulator.advance()
    assert {m["status"] for m in emulator.messages} == {"delivered"}
    assert s.deliver(DAY, R1, DIGEST).outcome == "already_sent"
    assert len(emulator.messages) == len(expected)


@pytest.mark.parametrize(
    "fault", [{"status": 429, "retry_after": 1}, {"status": 503}, {"timeout": 1.0}]
)
def test_transient_faults_are_retried_without_a_second_message(emulator, warehouse, fault):
    s = sender(emulator, warehouse)
    emulator.inject(MESSAGES, dict(fault))
    began = time.monotonic()
    assert s.deliver(DAY, R1, DIGEST).outcome == "sent"
    assert len(emulator.messages) == 1
    assert emulator.requests[f"POST {MESSAGES}"] == 2
    if "retry_after" in fault:
        assert time.monotonic() - began >= 1.0, "Retry-After is honoured"


def test_lost_response_is_adopted_not_resent(emulator, warehouse):
    """Twilio queued the message but the answer never arrived: the retry finds it first."""
    s = sender(emulator, warehouse)
    emulator.lose_responses, emulator.lose_response_s = 1, 1.5
    result = s.deliver(DAY, R1, DIGEST)
    assert result.outcome == "sent" and len(emulator.messages) == 1
    assert result.location == emulator.messages[0]["sid"]
    assert emulator.requests[f"POST {MESSAGES}"] == 1


def test_401_is_a_recorded_failure_for_each_recipient(emulator, warehouse, monkeypatch):
    monkeypatch.setenv("TW_TOKEN", "wrong")
    s = sender(emulator, warehouse, recipients=(R1, R2))
    outcomes = [s.deliver(DAY, r, DIGEST).outcome for r in (R1, R2)]
    assert outcomes == ["failed", "failed"] and not emulator.messages
    rows = ledger(warehouse)
    assert rows["status"].tolist() == ["failed", "failed"]
    assert rows["error_code"].tolist() == [20003, 20003]
    monkeypatch.setenv("TW_TOKEN", AUTH_TOKEN)  # fixed: still not resent without force
    s = sender(emulator, warehouse, recipients=(R1, R2))
    assert s.deliver(DAY, R1, DIGEST).outcome == "failed" and not emulator.messages
    assert s.deliver(DAY, R1, DIGEST, force=True).outcome == "sent"


def test_missing_secret_names_the_variable(emulator, warehouse, monkeypatch):
    monkeypatch.delenv("TW_TOKEN")
    with pytest.raises(ValueError, match="TW_TOKEN") as err:
        sender(emulator, warehouse)
    assert ACCOUNT_SID not in str(err.value)


@pytest.mark.parametrize("mode", ["template", "body"])
def test_crash_between_send_and_ledger_update_is_reconciled(emulator, warehouse, mode):
    s = sender(emulator, warehouse, mode=mode, max_body_chars=600)
    real_send = s.sender.send

    def send_then_die(*args):
        real_send(*args)  # Twilio has it...
        raise KeyboardInterrupt("process killed")  # ...and the ledger never hears of it

    s.sender.send = send_then_die
    with pytest.raises(KeyboardInterrupt):
        s.deliver(DAY, R1, DIGEST)
    assert ledger(warehouse)["status"].tolist() == ["sending"]
    s.sender.send = real_send
    result = s.deliver(DAY, R1, DIGEST)
    parts = len(plan_parts(s.tenant.digest, DIGEST.facts))
    assert len(emulator.messages) == parts, "reconciled: nothing sent twice"
    assert ledger(warehouse)["message_sid"].tolist() == [m["sid"] for m in emulator.messages]
    # the crashed part is adopted; the parts after it were never tried and go out now
    assert result.outcome == ("already_sent" if parts == 1 else "sent")
    assert emulator.requests[f"GET {MESSAGES}"] >= 1


def test_status_progression_fetch_and_63016(emulator, warehouse):
    s = sender(emulator, warehouse, recipients=(R1, R2), mode="body")
    emulator.open_session(R1)  # R2 never wrote to the business: free text fails with 63016
    for r in (R1, R2):
        s.deliver(DAY, r, DIGEST)
    emulator.advance()
    emulator.advance()
    for msg in emulator.messages:
        got = s.sender.fetch(msg["sid"])
        apply_status(warehouse, got.sid, got.status, got.error_code, got.error_message)
    rows = ledger(warehouse).set_index("recipient")
    assert rows.loc[R1, "status"] == "delivered"
    assert (rows.loc[R2, "status"], rows.loc[R2, "error_code"]) == ("failed", 63016)
    assert s.deliver(DAY, R2, DIGEST).outcome == "failed", "a 63016 is not resent by itself"
    assert not apply_status(warehouse, "SM" + "0" * 32, "delivered")


def test_status_callbacks_are_signed_and_validated(emulator, warehouse):
    server = make_server(warehouse, [AUTH_TOKEN], None, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/twilio/status"
    try:
        s = sender(emulator, warehouse, status_callback_url=url)
        s.deliver(DAY, R1, DIGEST)
        emulator.advance(), emulator.advance()
        assert [c["status"] for c in emulator.callbacks] == [204, 204]
        assert ledger(warehouse)["status"].tolist() == ["delivered"]
        sid = emulator.messages[0]["sid"]
        forged = {"MessageSid": sid, "MessageStatus": "failed", "ErrorCode": "30008"}
        assert not apply_status_callback(warehouse, AUTH_TOKEN, url, forged, "bad-signature")
        request = urllib.request.Request(url, data=urlencode(forged).encode())
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(request, timeout=5)
        assert err.value.code == 403
        read = {"MessageSid": sid, "MessageStatus": "read"}
        signature = RequestValidator(AUTH_TOKEN).compute_signature(url, read)
        assert apply_status_callback(warehouse, AUTH_TOKEN, url, read, signature)
        assert ledger(warehouse)["status"].tolist() == ["read"]
    finally:
        server.shutdown()
        server.server_close()


def test_status_sensor_polls_unsettled_messages(emulator, warehouse, tmp_path):
    s = sender(emulator, warehouse, recipients=(R1, R2))
    for r in (R1, R2):
        s.deliver(DAY, r, DIGEST)
    emulator.advance(), emulator.advance()
    tenant = s.tenant.model_dump(mode="json", exclude_defaults=True)
    (tmp_path / "t.yaml").write_text(yaml.safe_dump({"tenants": [tenant]}))
    resources = {
        "registry": TenantRegistry(path=str(tmp_path / "t.yaml")),
        "digest_senders": DigestSenders(outbox_dir=str(tmp_path)),
        "warehouse": warehouse,
    }
    with dg.build_sensor_context(resources=resources) as ctx:
        first = digest_status_sensor(ctx)
        assert "2 unsettled message(s) polled, 2 changed" in first.skip_message
        assert set(ledger(warehouse)["status"]) == {"delivered"}
        assert "0 unsettled" in digest_status_sensor(ctx).skip_message
