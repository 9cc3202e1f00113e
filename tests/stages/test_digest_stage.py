"""The digest stage on a temporary DuckDB: each tenant-day's digest rendered once (from its daily
summary and KPIs) and handed to the real outbox sender, or exactly once per message part to the
Twilio sender against the Twilio emulator (no Dagster run)."""

from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from callintel_dagster.lib.digest.daily_summary import DailySummary
from callintel_dagster.lib.digest.kpis import kpis_for
from callintel_dagster.lib.digest.parts import plan_parts
from callintel_dagster.lib.digest.text import compose_digest
from callintel_dagster.lib.tables import DAILY_SUMMARIES, KPI_TENANT_DAILY, WHATSAPP_LEDGER
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.resources.digests import DigestSenders
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.digest import NoSummary, deliver_digests, load_digest
from conftest import DAY
from emulators.twilio import ACCOUNT_SID, AUTH_TOKEN, TwilioEmulator

R1, R2 = "+919812345678", "+14155550100"
NOW = datetime(2026, 11, 19, 3, 0)
SUMMARY = DailySummary(
    headline="4 booked from 30 calls; low connect rate: 30%.",
    wins=[f"win {i}: a booking made by agent {i} after a long call" for i in range(5)],
    risks=["Low connect rate: 30% (9 of 30 calls connected)"],
    actions=[f"Call back follow-up {i}: +9198123456{i:02d} (Asha)" for i in range(5)],
)
KPIS = {"calls": 30, "connected_calls": 9, "connect_rate": 0.3, "talk_minutes": 41.5}
KPIS |= {"analysed_calls": 9, "avg_quality_score": 71.0, "booked": 4}


@pytest.fixture
def warehouse(tmp_path, monkeypatch):
    monkeypatch.setenv("TW_SID", ACCOUNT_SID)
    monkeypatch.setenv("TW_TOKEN", AUTH_TOKEN)
    warehouse = Warehouse(url=f"duckdb:///{tmp_path}/w.duckdb")
    summary = {"tenant_id": "acme", "partition_date": DAY, "provider": "offline", "model": "m"}
    summary |= {"headline": SUMMARY.headline, "summary_json": SUMMARY.model_dump_json()}
    summary |= {"created_at_utc": NOW}
    warehouse.replace_slices(DAILY_SUMMARIES, [("acme", DAY)], pd.DataFrame([summary]))
    kpis = pd.DataFrame([{"tenant_id": "acme", "partition_date": DAY, **KPIS}])
    with warehouse.connect() as con:
        con.register("kpis", kpis)
        con.execute(f"CREATE TABLE {KPI_TENANT_DAILY} AS SELECT * FROM kpis")
    return warehouse


def tenant(**digest) -> Tenant:
    return Tenant(id="acme", name="Acme Realty", timezone="Asia/Kolkata", digest=digest)


def twilio(emulator, **settings) -> Tenant:
    config = {"provider": "twilio", "account_sid_env": "TW_SID", "auth_token_env": "TW_TOKEN"}
    config |= {"from_number": "+14155238886", "api_base_url": emulator.base_url}
    config |= {"timeout_s": 2, "recipients": [R1, R2], "mode": "body", "max_body_chars": 200}
    return tenant(**(config | settings))


def run(t: Tenant, warehouse, outbox: Path, days=(DAY,), force=False):
    sender = DigestSenders(outbox_dir=str(outbox)).for_tenant(t)
    outcomes = Counter()
    rows = deliver_digests(t, list(days), sender, warehouse, outcomes, force=force, now=NOW)
    return rows, outcomes


def test_the_digest_is_rendered_once_from_the_summary_and_kpis(warehouse):
    digest = load_digest(warehouse, tenant(provider="outbox"), DAY)
    expected = compose_digest("Acme Realty", DAY, kpis_for(pd.DataFrame([KPIS])), SUMMARY)
    assert digest == expected
    assert digest.text.startswith("📊 *Acme Realty · Wed 18 Nov 2026*")
    assert digest.facts["body"] == digest.text and "Calls 30" in digest.text
    assert load_digest(warehouse, tenant(provider="outbox"), date(2026, 11, 17)) is None


def test_outbox_writes_the_rendered_text_per_recipient(warehouse, tmp_path):
    t = tenant(provider="outbox", recipients=[R1, R2])
    rows, outcomes = run(t, warehouse, tmp_path / "outbox")
    text = load_digest(warehouse, t, DAY).text
    assert outcomes == {"sent": 2}
    assert [r[:6] for r in rows] == [("acme", DAY, r, "outbox", text, "outboxed") for r in (R1, R2)]
    for recipient, row in zip((R1, R2), rows, strict=True):
        path = Path(row[6])
        assert path == tmp_path / "outbox" / "acme" / "2026-11-18" / f"{recipient[1:]}.txt"
        assert path.read_text(encoding="utf-8") == text and row[7] == NOW
    assert not warehouse.query(f"SELECT * FROM {WHATSAPP_LEDGER.qualified}").shape[0]
    again, _ = run(t, warehouse, tmp_path / "outbox")
    assert again == rows, "a re-run replaces the files: idempotent by itself"


def test_a_day_without_summary_fails_the_tenant_and_counts_what_went_out(warehouse, tmp_path):
    t = tenant(provider="outbox", recipients=[R1])
    outcomes = Counter()
    sender = DigestSenders(outbox_dir=str(tmp_path)).for_tenant(t)
    with pytest.raises(NoSummary, match="acme 2026-11-19: no daily_ai_summary"):
        days = [DAY, date(2026, 11, 19)]
        deliver_digests(t, days, sender, warehouse, outcomes, now=NOW)
    assert outcomes == {"sent": 1}


@pytest.fixture
def emulator():
    with TwilioEmulator(step_s=None) as emu:
        yield emu


def ledger(warehouse) -> pd.DataFrame:
    return warehouse.query(
        f"SELECT * FROM {WHATSAPP_LEDGER.qualified} ORDER BY recipient, part_index"
    )


def test_twilio_parts_go_out_exactly_once_and_force_resends(warehouse, emulator, tmp_path):
    t = twilio(emulator)
    for r in (R1, R2):
        emulator.open_session(r)
    parts = plan_parts(t.digest, load_digest(warehouse, t, DAY).facts)
    assert len(parts) >= 2, "the digest is split into parts"

    rows, outcomes = run(t, warehouse, tmp_path)
    assert outcomes == {"sent": 2} and len(emulator.messages) == 2 * len(parts)
    assert [m["body"] for m in emulator.messages if m["to"] == f"whatsapp:{R1}"] == [
        p.body for p in parts
    ]
    assert {r[5] for r in rows} == {"queued"} and {r[3] for r in rows} == {"twilio"}
    assert ledger(warehouse)["message_sid"].notna().all()

    _, again = run(t, warehouse, tmp_path)  # a part with a sid is never resent
    assert again == {"already_sent": 2} and len(emulator.messages) == 2 * len(parts)

    _, forced = run(t, warehouse, tmp_path, force=True)
    assert forced == {"sent": 2} and len(emulator.messages) == 4 * len(parts)


def test_twilio_part_in_doubt_is_found_at_twilio_not_sent_again(warehouse, emulator, tmp_path):
    t = twilio(emulator, recipients=[R1])
    emulator.open_session(R1)
    run(t, warehouse, tmp_path)
    sent = len(emulator.messages)
    with warehouse.connect() as con:  # the answer of part 2 was lost: the row says "sending"
        con.execute(
            f"UPDATE {WHATSAPP_LEDGER.qualified} SET status = 'sending', message_sid = NULL "
            "WHERE part_index = 1"
        )
    rows, outcomes = run(t, warehouse, tmp_path)
    assert outcomes == {"already_sent": 1} and len(emulator.messages) == sent
    assert ledger(warehouse)["message_sid"].tolist() == [m["sid"] for m in emulator.messages]
    assert rows[0][6] == ",".join(m["sid"] for m in emulator.messages)
