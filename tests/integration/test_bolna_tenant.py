"""A Bolna tenant through Dagster against the emulator: a day lands; a re-read completes calls."""

from datetime import date

import dagster as dg
import pytest

from callintel_dagster.definitions import build_defs, resolved_resource
from callintel_dagster.env import current_env
from conftest import defs_for_tenants, register_tenants
from emulators.bolna import BolnaEmulator

DAY = date(2026, 11, 18)
TENANTS = """
tenants:
  - id: voicebot
    name: Voice Bot Co
    timezone: Asia/Kolkata
    calls: {{provider: bolna, api_key_env: BOLNA_API_KEY, base_url: "{url}"}}
    crm: {{provider: bolna, api_key_env: BOLNA_API_KEY, base_url: "{url}"}}
"""


@pytest.fixture
def bolna():
    with BolnaEmulator(api_key="key-123", trim_share=0.3) as emulator:
        emulator.populate(DAY, n=60, seed=4)
        yield emulator


def sync(tmp_path, monkeypatch, instance, emulator):
    monkeypatch.setenv("BOLNA_API_KEY", "key-123")
    defs = defs_for_tenants(tmp_path, monkeypatch, TENANTS.format(url=emulator.base_url))
    register_tenants(instance, ["voicebot"])
    result = defs.resolve_job_def("sync_job").execute_in_process(
        instance=instance, partition_key=f"{DAY}|voicebot"
    )
    meta = {
        e.asset_key.to_user_string(): {k: v.value for k, v in e.materialization.metadata.items()}
        for e in result.get_asset_materialization_events()
    }
    return resolved_resource(defs, "warehouse"), meta


def test_bolna_day_lands_and_pending_calls_complete_later(tmp_path, monkeypatch, instance, bolna):
    warehouse, meta = sync(tmp_path, monkeypatch, instance, bolna)
    calls = warehouse.query(
        "SELECT call_id, is_final, call_status, phone_valid FROM raw.call_records"
    )
    assert len(calls) == 60 and calls["call_id"].is_unique
    pending = calls.loc[~calls["is_final"].astype(bool), "call_id"].tolist()
    assert pending, "the emulator leaves some executions call-disconnected"
    leads = warehouse.query("SELECT lead_id FROM raw.crm_leads")
    assert len(leads) > 0 and leads["lead_id"].is_unique
    assert meta["call_records"]["requests"] > 0

    for execution_id in pending:  # Bolna completes them seconds later
        bolna.advance(execution_id)
    warehouse, meta = sync(tmp_path, monkeypatch, instance, bolna)
    assert meta["call_records"]["reread_pending"] == len(pending)
    assert meta["call_records"]["inserted"] == 0 and meta["call_records"]["updated"] >= len(pending)
    calls = warehouse.query(
        "SELECT count(*) AS n, sum(CASE WHEN is_final THEN 1 ELSE 0 END) AS f FROM raw.call_records"
    ).iloc[0]
    assert calls["n"] == 60 and calls["f"] == 60


def test_bad_key_fails_naming_tenant_and_provider(tmp_path, monkeypatch, instance, bolna):
    monkeypatch.setenv("BOLNA_API_KEY", "wrong")
    defs = defs_for_tenants(tmp_path, monkeypatch, TENANTS.format(url=bolna.base_url))
    register_tenants(instance, ["voicebot"])
    result = defs.resolve_job_def("sync_job").execute_in_process(
        instance=instance, partition_key=f"{DAY}|voicebot", raise_on_error=False
    )
    errors = [
        str(e.event_specific_data.error)
        for e in result.all_events
        if e.event_type_value == "STEP_FAILURE"
    ]
    assert errors and all("voicebot" in e and "bolna" in e and "403" in e for e in errors)
    assert "wrong" not in " ".join(errors)


def test_sync_failing_midway_then_rerun_loses_and_duplicates_nothing(
    tmp_path, monkeypatch, instance, bolna
):
    # the listing succeeds, then detail reads of trimmed records fail (a 400 is not retried, so
    # the step fails at once): the tenant's sync fails and writes nothing (one transaction per
    # tenant). Retryable failures past the retries end the same way, only later.
    bolna.inject("/executions/{execution_id}", *[{"status": 400}] * 10_000)
    monkeypatch.setenv("BOLNA_API_KEY", "key-123")
    defs = defs_for_tenants(tmp_path, monkeypatch, TENANTS.format(url=bolna.base_url))
    register_tenants(instance, ["voicebot"])
    job = defs.resolve_job_def("sync_job").get_subset(asset_selection={dg.AssetKey("call_records")})
    failed = job.execute_in_process(
        instance=instance, partition_key=f"{DAY}|voicebot", raise_on_error=False
    )
    assert not failed.success
    warehouse = resolved_resource(defs, "warehouse")
    assert warehouse.query("SELECT count(*) AS n FROM raw.call_records")["n"][0] == 0

    bolna.clear_faults()  # the provider recovers
    assert job.execute_in_process(instance=instance, partition_key=f"{DAY}|voicebot").success
    calls = warehouse.query("SELECT call_id FROM raw.call_records")
    assert len(calls) == 60 and calls["call_id"].is_unique


def test_recordings_are_archived_under_the_tenants_prefix(tmp_path, monkeypatch, instance, bolna):
    warehouse, _ = sync(tmp_path, monkeypatch, instance, bolna)
    defs = build_defs(current_env())
    job = defs.resolve_job_def("processing_job").get_subset(
        asset_selection={dg.AssetKey("call_recordings")}
    )
    for _ in range(2):  # the second run fetches nothing again
        result = job.execute_in_process(instance=instance, partition_key=f"{DAY}|voicebot")
    [event] = result.get_asset_materialization_events()
    assert event.materialization.metadata["fetched_now"].value == 0
    rows = warehouse.query("SELECT * FROM raw.call_recordings")
    assert len(rows) > 0 and set(rows["recording_status"]) == {"archived"}
    home = tmp_path / "home" / "audio" / "voicebot"
    assert all(uri.startswith(str(home)) for uri in rows["archive_uri"])


def test_text_transcripts_store_unmeasured_signals_as_null(tmp_path, monkeypatch, instance, bolna):
    warehouse, _ = sync(tmp_path, monkeypatch, instance, bolna)
    defs = build_defs(current_env())
    job = defs.resolve_job_def("processing_job").get_subset(
        asset_selection={dg.AssetKey("call_transcripts"), dg.AssetKey("call_signals")}
    )
    assert job.execute_in_process(instance=instance, partition_key=f"{DAY}|voicebot").success
    signals = warehouse.query("SELECT * FROM core.call_signals")
    assert len(signals) > 0
    # Bolna transcripts are text without timestamps: nothing timed was measured
    for column in ("talk_ratio", "longest_monologue_agent_s", "interruptions", "non_talk_share"):
        assert signals[column].isna().all(), column
    assert signals["agent_word_share"].between(0, 1).all()
    assert (signals["questions_agent"] + signals["questions_customer"]).sum() > 0


def test_a_provider_outage_outlasting_the_http_retries_heals_on_the_step_retry(
    tmp_path, monkeypatch, instance, bolna
):
    # five 503s use up the first attempt's HTTP retries; the step's retry policy (backoff with
    # jitter) tries again and the provider has recovered
    bolna.inject("/v2/agent/all", *[{"status": 503}] * 5)
    monkeypatch.setenv("BOLNA_API_KEY", "key-123")
    defs = defs_for_tenants(tmp_path, monkeypatch, TENANTS.format(url=bolna.base_url))
    register_tenants(instance, ["voicebot"])
    job = defs.resolve_job_def("sync_job").get_subset(asset_selection={dg.AssetKey("call_records")})
    result = job.execute_in_process(instance=instance, partition_key=f"{DAY}|voicebot")
    kinds = [e.event_type_value for e in result.all_events]
    assert result.success and kinds.count("STEP_UP_FOR_RETRY") == 1
    warehouse = resolved_resource(defs, "warehouse")
    assert warehouse.query("SELECT count(*) AS n FROM raw.call_records")["n"][0] == 60


def test_a_refused_key_is_not_retried(tmp_path, monkeypatch, instance, bolna):
    monkeypatch.setenv("BOLNA_API_KEY", "wrong")
    defs = defs_for_tenants(tmp_path, monkeypatch, TENANTS.format(url=bolna.base_url))
    register_tenants(instance, ["voicebot"])
    job = defs.resolve_job_def("sync_job").get_subset(asset_selection={dg.AssetKey("call_records")})
    result = job.execute_in_process(
        instance=instance, partition_key=f"{DAY}|voicebot", raise_on_error=False
    )
    kinds = [e.event_type_value for e in result.all_events]
    assert not result.success and "STEP_UP_FOR_RETRY" not in kinds
