"""The alert sensors on real runs: a tenant whose Bolna key the provider refuses (the emulator
answers 403) fails its sync; the run-failure sensor tells the local webhook once per failed step,
a repeat evaluation tells nothing, and after the key is fixed and a sync succeeds the periodic
sensor tells once that it resolved. No payload carries a secret or a transcript."""

from datetime import date

import dagster as dg
import pytest

from callintel_dagster.alerts.run_failures import findings_for_run
from callintel_dagster.partitions import tenant_day_partitions
from callintel_dagster.sensors.alerts import alert_on_run_failure, alert_rules_sensor
from conftest import defs_for_tenants, register_tenants
from emulators.bolna import BolnaEmulator
from tests.alerts.webhook_receiver import WebhookReceiver

DAY = date(2026, 11, 18)
TOKEN = "T0KENsecretHOOK"
TENANTS = """
alerts:
  channels:
    - {{kind: webhook, url_env: ALERT_SENSOR_HOOK}}
tenants:
  - id: voicebot
    name: Voice Bot Co
    timezone: Asia/Kolkata
    calls: {{provider: bolna, api_key_env: BOLNA_API_KEY, base_url: "{url}"}}
    crm: {{provider: bolna, api_key_env: BOLNA_API_KEY, base_url: "{url}"}}
"""


@pytest.fixture
def setup(tmp_path, monkeypatch, instance):
    with BolnaEmulator(api_key="right-key") as bolna, WebhookReceiver() as hook:
        bolna.populate(DAY, n=5, seed=2)
        monkeypatch.setenv("BOLNA_API_KEY", "wrong-key-0042")
        monkeypatch.setenv("ALERT_SENSOR_HOOK", hook.url(TOKEN))
        defs = defs_for_tenants(tmp_path, monkeypatch, TENANTS.format(url=bolna.base_url))
        register_tenants(instance, ["voicebot"])
        yield defs, hook, bolna


def sync(defs, instance):
    return defs.resolve_job_def("sync_job").execute_in_process(
        instance=instance, partition_key=f"{DAY}|voicebot", raise_on_error=False
    )


def resources(defs):
    return {k: defs.resources[k] for k in ("registry", "warehouse", "digest_senders")}


def on_failure(defs, instance, result):
    context = dg.build_run_status_sensor_context(
        sensor_name="alert_on_run_failure",
        dagster_event=result.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        resources=resources(defs),
    ).for_run_failure()
    alert_on_run_failure(context)


def test_refused_key_alerts_once_then_resolves(setup, instance, monkeypatch):
    defs, hook, bolna = setup
    failed = sync(defs, instance)
    assert not failed.success
    on_failure(defs, instance, failed)
    texts = sorted(p["text"] for p in hook.posts)
    assert texts == ["[callintel] 🔴 OPEN: Provider refused a key (voicebot)"] * 2
    fields = [{f["text"] for f in p["blocks"][1]["fields"]} for p in hook.posts]
    assert {frozenset(f for f in fs if f.startswith("*asset*")) for fs in fields} == {
        frozenset({"*asset*\ncall_records"}),
        frozenset({"*asset*\ncrm_leads"}),
    }
    for fs in fields:
        assert f"*partition*\n{DAY}|voicebot" in fs
        assert any("ProviderAuthError (bolna, HTTP 403)" in f for f in fs)  # emulator: 403
        assert any(failed.run_id in f for f in fs)

    on_failure(defs, instance, failed)  # the same run seen again: nothing new
    assert len(hook.posts) == 2

    monkeypatch.setenv("BOLNA_API_KEY", "right-key")
    assert sync(defs, instance).success
    context = dg.build_sensor_context(instance=instance, resources=resources(defs))
    result = alert_rules_sensor(context)
    assert "2 notice(s) sent" in result.skip_message
    resolved = [p["text"] for p in hook.posts[2:]]
    assert resolved == ["[callintel] ✅ RESOLVED: Provider refused a key (voicebot)"] * 2
    assert "succeeded" in str(hook.posts[-1]["blocks"])

    again = alert_rules_sensor(
        dg.build_sensor_context(instance=instance, resources=resources(defs))
    )
    assert "0 notice(s) sent" in again.skip_message and len(hook.posts) == 4

    transcripts = (
        defs.resources["warehouse"]
        .process_config_and_initialize()
        .query("SELECT transcript_text FROM raw.call_records WHERE transcript_text <> ''")[
            "transcript_text"
        ]
    )
    assert len(transcripts) > 0
    for body in hook.raw:
        text = body.decode()
        assert TOKEN not in text and "wrong-key-0042" not in text and "right-key" not in text
        assert not any(t[:40] in text for t in transcripts)


PERIODIC = """
alerts:
  channels:
    - {{kind: webhook, url_env: ALERT_SENSOR_HOOK}}
  thresholds: {{sync_stale_minutes: 5}}
tenants:
  - id: acme
    name: Acme Realty
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: 4, seed: 3}}
    digest: {{provider: outbox, recipients: ["+919812345678"], send_time: "08:30"}}
    alerts:
      channels:
        - {{kind: email, to: [acme-ops@example.com]}}
  - id: globex
    name: Globex Support
    timezone: America/Los_Angeles
    calls: {{provider: synthetic, calls_per_day: 4, seed: 5}}
    alerts:
      thresholds: {{sync_stale_minutes: 600}}
"""


def test_periodic_rules_tell_each_tenant_only_its_own(tmp_path, monkeypatch, instance):
    with WebhookReceiver() as hook:
        monkeypatch.setenv("ALERT_SENSOR_HOOK", hook.url(TOKEN))
        defs = defs_for_tenants(tmp_path, monkeypatch, PERIODIC.format())
        context = dg.build_sensor_context(instance=instance, resources=resources(defs))
        first = alert_rules_sensor(context)
        # nobody has synced; acme's digest for yesterday (or the day before) never went out
        assert "5 notice(s) sent" in first.skip_message, first.skip_message
        assert sorted(p["text"] for p in hook.posts) == [
            "[callintel] 🔴 OPEN: Digest not delivered (acme)",
            *["[callintel] 🔴 OPEN: Tenant stopped syncing (acme)"] * 2,  # calls and CRM
            *["[callintel] 🔴 OPEN: Tenant stopped syncing (globex)"] * 2,
        ]
        assert "0 notice(s) sent" in alert_rules_sensor(context).skip_message
        mails = sorted((tmp_path / "home" / "outbox" / "alerts").rglob("*.txt"))
        assert len(mails) == 3 and all("/acme/" in str(m) for m in mails)
        assert all("globex" not in m.read_text() for m in mails)


def test_a_failing_asset_is_a_run_failure_of_its_partition_without_its_message(instance):
    @dg.asset(partitions_def=tenant_day_partitions)
    def fragile():
        raise KeyError("the customer said: my card is 4111 1111")

    register_tenants(instance, ["acme"])
    result = dg.materialize(
        [fragile], instance=instance, partition_key=f"{DAY}|acme", raise_on_error=False
    )
    steps = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    [finding] = findings_for_run(result.dagster_run, steps)
    assert (finding.rule, finding.tenant_id, finding.asset) == ("run_failure", "acme", "fragile")
    assert finding.partition_key == f"{DAY}|acme" and finding.reason == "step fragile: KeyError"
    assert finding.run_id == result.run_id
