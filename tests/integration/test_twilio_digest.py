"""Twilio WhatsApp digests through Dagster against the Twilio emulator: a run that fails on
Twilio's rate limit, its retry, a crash reconciled, and a plain re-run — and every recipient got
each message part exactly once."""

import re
import socket
from collections import Counter

import dagster as dg
import pytest

from callintel_dagster.cli import preview_digest
from callintel_dagster.definitions import resolved_resource
from callintel_dagster.env import current_env
from callintel_dagster.explorer.secret import SECRET_ENV, explorer_secret, open_media
from callintel_dagster.explorer.serve import serving
from callintel_dagster.explorer.settings import ExplorerSettings
from conftest import DAY, defs_for_tenants, register_tenants
from emulators.twilio import ACCOUNT_SID, AUTH_TOKEN, MESSAGES, TEMPLATE_SID, TwilioEmulator

R1, R2, R3 = "+919812345678", "+919812345679", "+14155550100"
TWILIO = (
    'account_sid_env: TW_SID, auth_token_env: TW_TOKEN, from_number: "+14155238886", '
    'api_base_url: "{url}", timeout_s: 2'
)
TENANTS = f"""
tenants:
  - id: tw_tpl
    name: Template Co
    timezone: Asia/Kolkata
    calls: {{{{provider: synthetic, calls_per_day: 12, seed: 3}}}}
    crm: {{{{provider: synthetic, leads_per_day: 4}}}}
    digest: {{{{provider: twilio, content_sid: {TEMPLATE_SID}, recipients: ["{R1}", "{R2}"],
              {TWILIO}}}}}
  - id: tw_body
    name: Body Co
    timezone: Asia/Kolkata
    calls: {{{{provider: synthetic, calls_per_day: 12, seed: 4}}}}
    crm: {{{{provider: synthetic, leads_per_day: 4}}}}
    digest: {{{{provider: twilio, mode: body, max_body_chars: 200, recipients: ["{R3}"],
              {TWILIO}}}}}
"""
RANGE = {
    "dagster/asset_partition_range_start": f"{DAY}|tw_tpl",
    "dagster/asset_partition_range_end": f"{DAY}|tw_body",
}


@pytest.fixture
def emulator(monkeypatch):
    monkeypatch.setenv("TW_SID", ACCOUNT_SID)
    monkeypatch.setenv("TW_TOKEN", AUTH_TOKEN)
    with TwilioEmulator(step_s=None) as emu:
        yield emu


def run(defs, instance, whole_graph: bool = False):
    """The whole daily graph (dbt's tests span its models), or only the digest."""
    job = defs.resolve_job_def("daily_job")
    if not whole_graph:
        job = job.get_subset(asset_selection={dg.AssetKey("whatsapp_digest")})
    return job.execute_in_process(instance=instance, tags=RANGE, raise_on_error=False)


def digest_metadata(result) -> dict:
    """One run covers both tenant-days: one materialization each, with its own counts; summed."""
    events = [
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey("whatsapp_digest")
    ]
    assert len(events) == 2
    per_day = [{k: v.value for k, v in e.materialization.metadata.items()} for e in events]
    return {k: sum(m[k] for m in per_day) for k in ("sent", "already_sent", "failed")}


def test_each_part_reaches_each_recipient_exactly_once(
    tmp_path, monkeypatch, instance, emulator, capsys
):
    defs = defs_for_tenants(tmp_path, monkeypatch, TENANTS.format(url=emulator.base_url))
    register_tenants(instance, ["tw_tpl", "tw_body"])
    warehouse = resolved_resource(defs, "warehouse")

    # 1. Twilio rate-limits the body digest's first part past the sender's own retries: its
    #    parts are left for later, the other recipients are served, and the step fails with
    #    "not confirmed sent" - a failure its retry policy tries again, sending only what is
    #    missing, in order.
    emulator.inject(MESSAGES, *[{"status": 429, "retry_after": 0}] * 4)
    first = run(defs, instance, whole_graph=True)
    assert first.success
    retried = [e.step_key for e in first.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert retried == ["whatsapp_digest"]
    ledger = warehouse.query("SELECT * FROM delivery.whatsapp_ledger")
    parts = int(ledger.loc[ledger["recipient"] == R3, "parts"].iloc[0])
    assert parts >= 3, "the body digest is split"
    assert len(emulator.messages) == 2 + parts
    assert {k: digest_metadata(first)[k] for k in ("sent", "already_sent", "failed")} == {
        "sent": 1,
        "already_sent": 2,
        "failed": 0,
    }  # the materialization is the retried attempt's

    # 3. A crash between Twilio's answer and the ledger update: the row says "sending" with no
    #    sid. The next run finds the message at Twilio and adopts it instead of sending again.
    with warehouse.connect() as con:
        con.execute(
            "UPDATE delivery.whatsapp_ledger SET status = 'sending', message_sid = NULL "
            "WHERE recipient = ? AND part_index = 1",
            [R3],
        )
    again = run(defs, instance)
    assert again.success and digest_metadata(again)["sent"] == 0
    assert digest_metadata(again)["already_sent"] == 3

    sent_to = Counter((m["to"], m["body"]) for m in emulator.messages)
    assert set(sent_to.values()) == {1}, "no message was sent twice"
    assert Counter(m["to"] for m in emulator.messages) == {
        f"whatsapp:{R1}": 1,
        f"whatsapp:{R2}": 1,
        f"whatsapp:{R3}": parts,
    }
    assert {m["_content_sid"] for m in emulator.messages if m["to"] != f"whatsapp:{R3}"} == {
        TEMPLATE_SID
    }
    ledger = warehouse.query("SELECT * FROM delivery.whatsapp_ledger")
    assert len(ledger) == 2 + parts and ledger["message_sid"].notna().all()
    assert set(ledger["message_sid"]) == {m["sid"] for m in emulator.messages}
    digests = warehouse.query("SELECT * FROM delivery.digests ORDER BY recipient")
    assert list(digests["recipient"]) == sorted([R1, R2, R3])
    assert set(digests["provider"]) == {"twilio"} and digests["body"].str.len().gt(0).all()

    # The preview shows what a run would send, and that it has gone out already.
    capsys.readouterr()
    assert preview_digest.main(["--tenant", "tw_body", "--date", str(DAY)]) == 0
    shown = capsys.readouterr().out
    assert f"part {parts}/{parts}" in shown and "ledger: queued SM" in shown
    assert preview_digest.main(["--tenant", "tw_tpl", "--date", "2026-11-17"]) == 2
    assert "no daily summary" in capsys.readouterr().err


CHART_TENANTS = """
tenants:
  - id: tw_chart
    name: Chart Co
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: 12, seed: 3}}
    crm: {{provider: synthetic, leads_per_day: 4}}
    explorer: {{base_url: "{explorer}"}}
    digest: {{provider: twilio, mode: body, recipients: ["{r}"], {twilio}}}
  - id: tw_plain
    name: Plain Co
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: 12, seed: 3}}
    crm: {{provider: synthetic, leads_per_day: 4}}
    digest: {{provider: twilio, mode: body, recipients: ["{r}"], {twilio}}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_digest_links_its_calls_and_carries_the_weeks_chart(
    tmp_path, monkeypatch, instance, emulator
):
    """With explorer.base_url: links to call pages, and the chart, kept in the outbox, sent as
    a signed MediaUrl that Twilio (the emulator) downloads from the running explorer. Without
    it: no links, no media. The digest run and the explorer share the machine's secret."""
    monkeypatch.delenv(SECRET_ENV, raising=False)
    explorer = f"http://127.0.0.1:{free_port()}"
    tenants = CHART_TENANTS.format(
        explorer=explorer, r=R1, twilio=TWILIO.format(url=emulator.base_url)
    )
    defs = defs_for_tenants(tmp_path, monkeypatch, tenants)
    register_tenants(instance, ["tw_chart", "tw_plain"])
    emulator.open_session(R1)  # free text and media deliver inside the 24-hour window
    env = current_env()
    tags = {
        "dagster/asset_partition_range_start": f"{DAY}|tw_chart",
        "dagster/asset_partition_range_end": f"{DAY}|tw_plain",
    }
    with serving(ExplorerSettings.from_env(env), port=int(explorer.rsplit(":", 1)[1])):
        job = defs.resolve_job_def("daily_job")
        result = job.execute_in_process(instance=instance, tags=tags)
    assert result.success

    chart = env.outbox_path / "tw_chart" / DAY.isoformat() / "kpi_week.png"
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (env.outbox_path / "tw_plain").exists()
    with_media = [m for m in emulator.messages if m["num_media"] == "1"]
    assert len(with_media) == 1 and len(emulator.media) == 1
    got = emulator.media[0]
    assert got["url"].startswith(f"{explorer}/media/") and got["status"] == 200
    assert (got["content_type"], got["bytes"]) == ("image/png", chart.stat().st_size)
    token = got["url"].rsplit("/", 1)[1]
    assert open_media(explorer_secret(env.home), token) == ("tw_chart", f"{DAY}/kpi_week.png")

    warehouse = resolved_resource(defs, "warehouse")
    bodies = dict(
        warehouse.query("SELECT tenant_id, body FROM delivery.digests").itertuples(index=False)
    )
    links = re.findall(r"^  ↳ (\S+): (\S+)$", bodies["tw_chart"], flags=re.MULTILINE)
    assert links and all(u.startswith(f"{explorer}/t/tw_chart/calls/") for _, u in links)
    call_ids = set(warehouse.query("SELECT call_id FROM marts.fct_calls")["call_id"])
    assert {u.rsplit("/", 1)[1] for _, u in links} <= call_ids
    assert "http" not in bodies["tw_plain"] and "↳" not in bodies["tw_plain"]
    meta = {
        e.partition: {k: v.value for k, v in e.materialization.metadata.items()}
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey("whatsapp_digest")
    }
    assert meta[f"{DAY}|tw_chart"]["linked_calls"] == len(links)
    assert meta[f"{DAY}|tw_chart"]["weekly_chart"] is True
    assert (meta[f"{DAY}|tw_plain"]["linked_calls"], meta[f"{DAY}|tw_plain"]["weekly_chart"]) == (
        0,
        False,
    )
