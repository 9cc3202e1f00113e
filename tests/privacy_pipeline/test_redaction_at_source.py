"""Redaction at the source on a temporary DuckDB: the sync stores a delivered transcript redacted
(or as spoken for a keep_raw tenant), the transcription stage writes only redacted text to core.*
with per-call counts, and raw turns live in the admin-only table for keep_raw tenants only."""

import json
from collections import Counter
from datetime import date, datetime

import pytest
from pii_canaries import canaries, hits, spoken

from callintel_dagster.lib.ingest.redaction import TenantRedaction, redact_call_record
from callintel_dagster.lib.tables import CALL_RECORDS, TRANSCRIPT_TURNS_RAW
from callintel_dagster.lib.tenants.privacy_config import PrivacyConfig
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.privacy import PrivacyError
from callintel_dagster.providers.synthetic import SyntheticSource
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.sync import sync_tenant
from callintel_dagster.stages.sync_specs import CALLS
from callintel_dagster.stages.transcription import transcribe_tenant

DAY = date(2026, 11, 18)
NOW = datetime(2026, 11, 20, 12, 0)
COLUMNS = {  # where transcript text lands before any other stage reads it
    "raw.call_records": ("transcript_text", "transcript_turns_json", "extra_json"),
    "core.call_transcripts": ("text",),
    "core.transcript_turns": ("text",),
}


def tenant(tenant_id="acme", **privacy) -> Tenant:
    return Tenant.model_validate(
        {
            "id": tenant_id,
            "name": "Acme",
            "timezone": "Asia/Kolkata",
            "calls": {"provider": "synthetic", "calls_per_day": 40, "seed": 3},
            **({"privacy": privacy} if privacy else {}),
        }
    )


def run(warehouse: Warehouse, t: Tenant) -> None:
    sync_tenant(warehouse, t, [DAY], SyntheticSource(t), CALLS, NOW)
    warehouse.write(transcribe_tenant(warehouse, t, [DAY], None).writes())


def texts(warehouse: Warehouse, tenant_id: str, tables=COLUMNS):
    for table, columns in tables.items():
        frame = warehouse.query(f"SELECT * FROM {table} WHERE tenant_id = ?", [tenant_id])
        for column in columns:
            yield f"{table}.{column}", "\n".join(frame[column].dropna().astype(str))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """Four tenants with the same calls: default privacy, keep_raw, switched off, phones only."""
    warehouse = Warehouse(url=f"duckdb:///{tmp_path_factory.mktemp('pp')}/w.duckdb")
    run(warehouse, tenant())
    run(warehouse, tenant("keeper", keep_raw=True))
    run(warehouse, tenant("open", enabled=False))
    run(warehouse, tenant("phones", entities=["PHONE"]))
    return warehouse


def test_the_day_speaks_personal_data_of_every_kind():
    pii = canaries(tenant(), DAY)
    assert {entity for entity, _ in pii.values()} == {"PHONE", "EMAIL", "AADHAAR", "PAN", "UPI"}


def test_no_personal_data_is_stored_and_each_call_counts_what_was_replaced(warehouse):
    pii = canaries(tenant(), DAY)
    assert hits(texts(warehouse, "acme"), pii) == []
    stored = warehouse.query(
        "SELECT t.call_id, t.redactions_json AS core, r.redactions_json AS raw "
        "FROM core.call_transcripts t JOIN raw.call_records r USING (tenant_id, call_id) "
        "WHERE t.tenant_id = 'acme'"
    )
    said = spoken(tenant(), DAY)
    for row in stored.to_dict("records"):
        assert row["core"] == row["raw"]  # found at sync; the transcription finds nothing more
        expected = Counter(entity for entity, _, _ in said.get(row["call_id"], ()))
        assert Counter(json.loads(row["core"])) == expected, row["call_id"]
    turns = " ".join(warehouse.query("SELECT text FROM core.transcript_turns")["text"])
    assert "<PHONE_1>" in turns and "<AADHAAR_1>" in turns  # replaced, not dropped


def test_a_keep_raw_tenant_keeps_the_spoken_turns_for_admins_only(warehouse):
    pii = canaries(tenant("keeper"), DAY)
    everyone = {k: v for k, v in COLUMNS.items() if k.startswith("core.")}
    assert hits(texts(warehouse, "keeper", everyone), pii) == []
    admin = {
        TRANSCRIPT_TURNS_RAW.qualified: ("text",),
        CALL_RECORDS.qualified: ("transcript_text",),
    }
    kept = hits(texts(warehouse, "keeper", admin), pii)
    assert {h.split(":")[0] for h in kept} == {
        "core.transcript_turns_raw.text",
        "raw.call_records.transcript_text",
    }
    counted = warehouse.query(
        "SELECT redactions_json FROM core.call_transcripts WHERE tenant_id = 'keeper' "
        "AND redactions_json <> '{}'"
    )
    assert len(counted) == len({call for _, call in pii.values()})
    # the others keep nothing raw
    others = warehouse.query(f"SELECT DISTINCT tenant_id FROM {TRANSCRIPT_TURNS_RAW.qualified}")
    assert others["tenant_id"].tolist() == ["keeper"]


def test_switching_keep_raw_off_drops_the_raw_turns(tmp_path):
    warehouse = Warehouse(url=f"duckdb:///{tmp_path}/w.duckdb")
    run(warehouse, tenant(keep_raw=True))
    assert len(warehouse.query(f"SELECT * FROM {TRANSCRIPT_TURNS_RAW.qualified}")) > 0
    run(warehouse, tenant())
    assert len(warehouse.query(f"SELECT * FROM {TRANSCRIPT_TURNS_RAW.qualified}")) == 0


def test_privacy_switched_off_or_narrowed_stores_what_was_said(warehouse):
    pii = canaries(tenant("open"), DAY)
    assert hits(texts(warehouse, "open"), pii)  # the canaries do find what is there
    counts = warehouse.query(
        "SELECT DISTINCT redactions_json AS r FROM core.call_transcripts WHERE tenant_id = 'open'"
    )
    assert counts["r"].isna().all()  # never checked, so never counted
    narrowed = {k: v for k, v in canaries(tenant("phones"), DAY).items() if v[0] == "PHONE"}
    assert hits(texts(warehouse, "phones"), narrowed) == []
    others = {k: v for k, v in canaries(tenant("phones"), DAY).items() if v[0] == "PAN"}
    assert hits(texts(warehouse, "phones"), others)


def test_a_hash_tenant_without_its_salt_is_refused_by_name(tmp_path, monkeypatch):
    monkeypatch.delenv("ACME_PII_SALT", raising=False)
    t = tenant(method="hash", hash_salt_env="ACME_PII_SALT")
    warehouse = Warehouse(url=f"duckdb:///{tmp_path}/w.duckdb")
    with pytest.raises(PrivacyError, match="ACME_PII_SALT is not set"):
        sync_tenant(warehouse, t, [DAY], SyntheticSource(t), CALLS, NOW)
    monkeypatch.setenv("ACME_PII_SALT", "pepper")
    run(warehouse, t)
    turns = " ".join(warehouse.query("SELECT text FROM core.transcript_turns")["text"])
    assert "<PHONE:" in turns and hits([("turns", turns)], canaries(t, DAY)) == []


def test_a_delivered_record_is_redacted_with_what_its_voice_agent_took_down():
    record = {
        "call_id": "b1",
        "transcript_text": "user: mail asha at the rate gmail dot com\nassistant: noted",
        "turns": [
            {"role": "customer", "text": "mail asha at the rate gmail dot com"},
            {"role": "agent", "text": "noted"},
        ],
        "extracted_data": {"email": "asha@gmail.com", "callback": ["98765 43210"], "hot": True},
    }
    out = redact_call_record(PrivacyConfig(), record)
    assert out["transcript_text"] == "user: mail <EMAIL_1>\nassistant: noted"
    assert [t["text"] for t in out["turns"]] == ["mail <EMAIL_1>", "noted"]
    assert out["extracted_data"] == {"email": "<EMAIL_1>", "callback": ["<PHONE_1>"], "hot": True}
    assert out["redactions"] == {"EMAIL": 2, "PHONE": 1}
    assert redact_call_record(PrivacyConfig(keep_raw=True), record) == record
    odd = record | {"turns": "not a list"}  # the sync's checks quarantine it, by id
    assert redact_call_record(PrivacyConfig(), odd) == odd


def test_a_transcript_stored_before_redaction_is_redacted_when_reused():
    privacy = TenantRedaction(PrivacyConfig())
    turns = [{"turn_index": 0, "role": "customer", "text": "call me on 98765 43210"}]
    legacy = {"call_id": "a1", "text": "Customer: call me on 98765 43210", "redactions_json": None}
    row, redacted = privacy.upgrade(legacy, turns)
    assert (
        row["text"] == "Customer: call me on <PHONE_1>" and row["redactions_json"] == '{"PHONE": 1}'
    )
    assert redacted == [turns[0] | {"text": "call me on <PHONE_1>"}]
    checked = legacy | {"redactions_json": "{}"}  # redacted when stored: kept exactly
    assert privacy.upgrade(checked, turns) == (checked, turns)
    assert TenantRedaction(PrivacyConfig(enabled=False)).upgrade(legacy, turns) == (legacy, turns)
