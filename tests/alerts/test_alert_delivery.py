"""The alert loop against a real DuckDB warehouse, a local webhook receiver and the outbox: one
notice per incident, one on resolve, none on a repeat, a tenant's channel hears only its tenant,
a failed channel is retried without repeating the others, and no secret reaches a payload."""

from datetime import datetime, timedelta
from email import message_from_string, policy

import pytest

from callintel_dagster.alerts.channels import Outbox
from callintel_dagster.alerts.incidents import Finding
from callintel_dagster.alerts.notify import run_pass
from callintel_dagster.alerts.store import load_incidents
from callintel_dagster.lib.tenants.registry import load_registry
from callintel_dagster.resources.warehouse import Warehouse
from tests.alerts.webhook_receiver import HOOK, WebhookReceiver

TOKEN = "XXXXsecretTOKEN42"
TENANTS = """
alerts:
  channels:
    - {kind: webhook, url_env: ALERT_TEST_HOOK}
    - {kind: email, to: [ops@example.com]}
tenants:
  - id: acme
    name: Acme
    timezone: Asia/Kolkata
    alerts:
      channels:
        - kind: whatsapp
          via: {provider: outbox, recipients: ["+919812345678"]}
  - id: globex
    name: Globex
    timezone: America/Los_Angeles
"""
T0 = datetime(2026, 11, 27, 10, 0)
CLEARED = {"sync_stale": "synced again"}


def stale(tenant: str) -> Finding:
    return Finding("sync_stale", tenant, "call_records", "", "never synced (threshold 60 min)")


@pytest.fixture
def loop(tmp_path, monkeypatch):
    (tmp_path / "t.yaml").write_text(TENANTS)
    registry = load_registry(tmp_path / "t.yaml")
    warehouse = Warehouse(url=f"duckdb:///{tmp_path}/w.duckdb")
    outbox = Outbox(tmp_path / "outbox")
    with WebhookReceiver() as receiver:
        monkeypatch.setenv("ALERT_TEST_HOOK", receiver.url(TOKEN))

        def tick(findings, minutes=0, **kw):
            now = T0 + timedelta(minutes=minutes)
            return run_pass(warehouse, registry, outbox, now, findings, CLEARED, **kw)

        yield tick, receiver, warehouse, tmp_path / "outbox" / "alerts"


def files(root, pattern):
    return sorted(root.glob(pattern))


def test_one_notice_per_incident_none_on_repeat(loop):
    tick, receiver, _, alerts = loop
    first = tick([stale("acme"), stale("globex")])
    assert len(first.sent) == 2 and not first.errors
    assert [p["text"] for p in receiver.posts] == [
        "[callintel] 🔴 OPEN: Tenant stopped syncing (acme)",
        "[callintel] 🔴 OPEN: Tenant stopped syncing (globex)",
    ]
    block_fields = {f["text"] for f in receiver.posts[0]["blocks"][1]["fields"]}
    assert {"*tenant*\nacme", "*asset*\ncall_records"} <= block_fields
    assert len(files(alerts, "deployment/*/*/ops@example.com.txt")) == 2
    [whatsapp] = files(alerts, "acme/*/*/919812345678.txt")  # acme's channel: acme's only
    assert "(acme)" in whatsapp.read_text() and "globex" not in whatsapp.read_text()

    # a repeat tick with the same facts: nothing
    assert tick([stale("acme"), stale("globex")], 3).sent == []
    assert len(receiver.posts) == 2 and len(files(alerts, "**/*.txt")) == 3

    eml = files(alerts, "deployment/*/*/ops@example.com.txt")[0].read_text()
    email = message_from_string(eml, policy=policy.default)
    assert email["To"] == "ops@example.com" and "reason: never synced" in email.get_content()
    for body in receiver.raw:  # the webhook URL (a secret) is never in what is sent
        assert TOKEN.encode() not in body


def test_one_notice_on_resolve_none_after(loop):
    tick, receiver, warehouse, alerts = loop
    tick([stale("acme")])
    resolved = tick([], 3)
    assert resolved.sent == ["resolved sync_stale acme"]
    assert receiver.posts[-1]["text"] == "[callintel] ✅ RESOLVED: Tenant stopped syncing (acme)"
    assert "*reason*\nsynced again" in str(receiver.posts[-1]["blocks"]).replace("\\n", "\n")
    assert len(files(alerts, "acme/*/*/919812345678.txt")) == 2
    assert tick([], 6).sent == [] and len(receiver.posts) == 2
    [row] = load_incidents(warehouse).values()
    assert (row.state, row.notified_state, row.notices) == ("resolved", "resolved", 2)


def test_a_failed_channel_is_retried_alone_and_never_leaks_its_url(loop):
    tick, receiver, warehouse, alerts = loop
    receiver.inject(HOOK, {"status": 500})
    failed = tick([stale("globex")])
    assert failed.sent == [] and len(failed.errors) == 1
    assert "deployment:0:webhook (ALERT_TEST_HOOK): HTTP 500" in failed.errors[0]
    assert TOKEN not in failed.errors[0] and "127.0.0.1" not in failed.errors[0]
    assert len(files(alerts, "deployment/*/*/ops@example.com.txt")) == 1  # e-mail took it
    [row] = load_incidents(warehouse).values()
    assert row.sent_to == "deployment:1:email" and row.notified_state is None

    retried = tick([stale("globex")], 3)
    assert retried.sent == ["opened sync_stale globex"] and not retried.errors
    assert [p["text"] for p in receiver.posts] == [
        "[callintel] 🔴 OPEN: Tenant stopped syncing (globex)"
    ]
    assert len(files(alerts, "deployment/*/*/ops@example.com.txt")) == 1  # not sent twice
    assert tick([stale("globex")], 6).sent == []


def test_an_unset_webhook_variable_is_named(loop, monkeypatch):
    tick, receiver, _, _ = loop
    monkeypatch.delenv("ALERT_TEST_HOOK")
    outcome = tick([stale("acme")])
    assert outcome.errors == [
        "sync_stale acme: deployment:0:webhook: environment variable ALERT_TEST_HOOK is not set"
    ]
    assert receiver.posts == []


def test_run_incidents_change_with_their_reason(loop):
    tick, receiver, _, _ = loop
    failure = Finding("run_failure", "acme", "call_records", "2026-11-26|acme", "step x: KeyError")
    tick([failure])
    changed = Finding(*failure.key, reason="step x: ValueError", run_id="r2", job_name="sync_job")
    assert tick([changed], 3).sent == ["changed run_failure acme"]
    assert receiver.posts[-1]["text"].startswith("[callintel] 🟠 CHANGED: Run failed (acme)")
    assert "ValueError" in str(receiver.posts[-1]["blocks"])


def test_an_unwritable_outbox_is_an_error_without_the_recipient(loop):
    tick, receiver, _, alerts = loop
    alerts.mkdir(parents=True)
    (alerts / "acme").write_text("in the way")  # the tenant's alert folder cannot be made
    failed = tick([stale("acme")])
    [error] = failed.errors
    assert error.startswith("sync_stale acme: acme:0:whatsapp: outbox: ")
    assert "9812345678" not in error
    (alerts / "acme").unlink()
    retried = tick([stale("acme")], 3)
    assert retried.sent == ["opened sync_stale acme"] and len(receiver.posts) == 1
