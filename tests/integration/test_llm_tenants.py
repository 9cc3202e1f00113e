"""A tenant on each LLM provider (Groq, OpenAI-compatible, Bedrock) through Dagster against its
emulator: schema-valid analyses for a day, under injected faults, with the counts to show it."""

import dagster as dg
import pytest

from callintel_dagster.definitions import resolved_resource
from conftest import DAY, defs_for_tenants, register_tenants
from emulators.bedrock import CONVERSE, BedrockEmulator
from emulators.llm import GROQ_PATH, OPENAI_PATH, LlmEmulator

CALLS = 10
TENANTS = """
tenants:
  - id: groq_co
    name: Groq Co
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: {calls}, seed: 3}}
    llm:
      provider: groq
      api_key_env: GROQ_KEY
      base_url: "{groq}"
      max_backoff_s: 0.2
      {groq_extra}
      prices:
        llama-3.3-70b-versatile: {{input_per_mtok: 0.59, output_per_mtok: 0.79}}
      questions: [{{id: demo_offered, text: "Did the agent offer a demo?"}}]
      fields: [{{name: Budget, kind: number}}, {{name: Special requests}}]
  - id: ollama_co
    name: Ollama Co
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: {calls}, seed: 4}}
    llm: {{provider: openai_compatible, base_url: "{openai}", model: "llama3.1:8b",
           max_backoff_s: 0.2}}
  - id: bedrock_co
    name: Bedrock Co
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: {calls}, seed: 5}}
    llm: {{provider: bedrock, endpoint_url: "{bedrock}", region: us-east-1,
           access_key_id_env: AWS_KEY_ID, secret_access_key_env: AWS_SECRET, max_backoff_s: 0.2}}
"""
ANALYSIS = dg.AssetSelection.assets("call_analyses").upstream()


@pytest.fixture
def providers(monkeypatch):
    monkeypatch.setenv("GROQ_KEY", "gsk_test")
    monkeypatch.setenv("AWS_KEY_ID", "AKIDTEST")
    monkeypatch.setenv("AWS_SECRET", "secret")
    with (
        LlmEmulator(latency_s=0.02, api_key="gsk_test") as groq,
        LlmEmulator(latency_s=0.02) as openai,
        BedrockEmulator(latency_s=0.02) as bedrock,
    ):
        yield groq, openai, bedrock


def make_defs(tmp_path, monkeypatch, providers, groq_extra=""):
    groq, openai, bedrock = providers
    yaml = TENANTS.format(
        calls=CALLS,
        groq=groq.base_url,
        openai=openai.base_url,
        bedrock=bedrock.base_url,
        groq_extra=groq_extra,
    )
    defs = defs_for_tenants(tmp_path, monkeypatch, yaml)
    return dg.Definitions.merge(
        defs, dg.Definitions(jobs=[dg.define_asset_job("analysis_job", selection=ANALYSIS)])
    )


def analyse(defs, instance, tenant, **kwargs) -> dict:
    register_tenants(instance, ("groq_co", "ollama_co", "bedrock_co"))
    result = defs.resolve_job_def("analysis_job").execute_in_process(
        instance=instance, partition_key=f"{DAY}|{tenant}", raise_on_error=False, **kwargs
    )
    mats = [
        m
        for m in result.asset_materializations_for_node("call_analyses")
        if m.asset_key == dg.AssetKey("call_analyses")
    ]
    meta = {k: v.value for k, v in mats[-1].metadata.items()} if mats else {}
    checks = {
        c.check_name: c.passed
        for c in result.get_asset_check_evaluations()
        if c.asset_key == dg.AssetKey("call_analyses")
    }
    return {"success": result.success, "checks": checks, **meta}


def rows(defs, sql, *params):
    return resolved_resource(defs, "warehouse").query(sql, params)


def test_each_provider_gives_schema_valid_analyses(tmp_path, monkeypatch, providers, instance):
    defs = make_defs(tmp_path, monkeypatch, providers)
    for tenant in ("groq_co", "ollama_co", "bedrock_co"):
        meta = analyse(defs, instance, tenant)
        assert meta["success"], tenant
        assert meta["ok"] + meta["skipped"] + meta["cached"] == CALLS and meta["failed"] == 0, str(
            meta
        )
        # the asset check validates every analysis against its tenant's output schema
        assert meta["checks"] == {"analyses_conform_to_schema": True}, tenant
    got = rows(
        defs,
        "SELECT tenant_id, provider, count(*) AS n, sum(prompt_tokens) AS pt, "
        "sum(cost_usd) AS cost FROM core.call_analyses WHERE analysis_status = 'ok' "
        "GROUP BY tenant_id, provider ORDER BY tenant_id",
    ).to_dict("records")
    assert {(r["tenant_id"], r["provider"]) for r in got} == {
        ("bedrock_co", "bedrock"),
        ("groq_co", "groq"),
        ("ollama_co", "openai_compatible"),
    }
    assert all(r["pt"] > 0 for r in got)
    priced = {r["tenant_id"]: r["cost"] for r in got}
    assert priced["groq_co"] > 0 and priced["ollama_co"] == 0  # only Groq has a price table
    answers = rows(
        defs, "SELECT kind, name, count(*) AS n FROM core.call_answers GROUP BY kind, name"
    ).to_dict("records")
    assert {(a["kind"], a["name"]) for a in answers} == {
        ("question", "demo_offered"),
        ("field", "Budget"),
        ("field", "Special requests"),
    }


@pytest.mark.parametrize(
    ("tenant", "index", "route"),
    [("groq_co", 0, GROQ_PATH), ("ollama_co", 1, OPENAI_PATH), ("bedrock_co", 2, CONVERSE)],
)
def test_faults_are_retried_repaired_or_recorded(
    tmp_path, monkeypatch, providers, instance, tenant, index, route
):
    emulator = providers[index]
    defs = make_defs(tmp_path, monkeypatch, providers)
    emulator.inject(
        route,
        {"status": 429, "retry_after": 0.05},
        {"status": 429, "retry_after": 0.05},
        {"status": 503},
        {"reply": "not_json"},  # repaired by the second request
        {"reply": "missing_fields"},
        {"reply": "missing_fields"},  # the repair fails too: recorded, not raised
    )
    first = analyse(defs, instance, tenant)
    assert first["success"]
    assert first["retried"] >= 3 and first["failed"] == 1
    failed = rows(
        defs,
        "SELECT call_id, reason, attempts FROM core.call_analyses WHERE analysis_status = 'failed'",
    ).to_dict("records")
    assert len(failed) == 1 and failed[0]["reason"].startswith("invalid_output:")
    assert failed[0]["attempts"] == 1
    before = sum(emulator.requests.values())
    second = analyse(defs, instance, tenant)  # only the failed call is asked again
    assert second["ok"] == 1 and second["failed"] == 0 and second["reused"] == CALLS - 1
    assert sum(emulator.requests.values()) - before == 1
    third = analyse(defs, instance, tenant)  # nothing left to do: no request at all
    assert third["reused"] == CALLS and sum(emulator.requests.values()) - before == 1
    # money adds up: the ledger keeps every request, the failed attempt's and the retries' too,
    # while each call's analysis row keeps only its latest attempt
    sql = "SELECT sum(requests) AS r, sum(prompt_tokens) AS pt FROM {}"
    spent = rows(defs, sql.format("core.ai_usage WHERE purpose = 'analysis'")).iloc[0]
    kept = rows(defs, sql.format("core.call_analyses")).iloc[0]
    assert spent["r"] == first["requests"] + second["requests"]
    assert spent["r"] > kept["r"] and spent["pt"] > kept["pt"]


def test_run_cap_leaves_the_rest_pending_for_the_next_run(
    tmp_path, monkeypatch, providers, instance
):
    defs = make_defs(tmp_path, monkeypatch, providers, groq_extra="max_calls_per_run: 4")
    first = analyse(defs, instance, "groq_co")
    assert first["ok"] + first["cached"] == 4 and first["pending"] + first["skipped"] == CALLS - 4
    waiting = rows(defs, "SELECT reason FROM core.call_analyses WHERE analysis_status = 'pending'")[
        "reason"
    ].tolist()
    assert waiting and all("run cap of 4" in r for r in waiting)
    second = analyse(defs, instance, "groq_co")
    assert second["reused"] >= 4 and second["ok"] + second["cached"] == 4


def test_a_bad_key_fails_its_tenant_only(tmp_path, monkeypatch, providers, instance):
    defs = make_defs(tmp_path, monkeypatch, providers)
    monkeypatch.setenv("GROQ_KEY", "gsk_wrong")
    register_tenants(instance, ("groq_co", "ollama_co", "bedrock_co"))
    result = defs.resolve_job_def("analysis_job").execute_in_process(
        instance=instance,
        raise_on_error=False,
        tags={
            "dagster/asset_partition_range_start": f"{DAY}|groq_co",
            "dagster/asset_partition_range_end": f"{DAY}|ollama_co",
        },
    )
    assert not result.success
    failure = [e for e in result.all_events if e.is_step_failure][0]
    assert "groq_co" in failure.event_specific_data.error.message
    assert "gsk_wrong" not in str(result.all_events)
    landed = rows(defs, "SELECT DISTINCT tenant_id FROM core.call_analyses")["tenant_id"]
    assert "ollama_co" in set(landed) and "groq_co" not in set(landed)
