"""Definitions load in every environment with the same resource keys and the expected graph."""

from callintel_dagster.definitions import build_defs, resources_for
from callintel_dagster.env import current_env

EXPECTED_ASSETS = {
    "crm_leads": "ingest",
    "call_records": "ingest",
    "call_transcripts": "transcribe",
    "call_signals": "transcribe",
    "call_analyses": "analyse",
    "transcript_embeddings": "search",
    "fct_calls": "metrics",
    "kpi_tenant_daily": "metrics",
    "dim_contacts": "metrics",
    "agent_scorecard_daily": "metrics",
    "objection_trends_daily": "metrics",
    "analysis_failures": "metrics",
    "llm_cost_daily": "metrics",
    "daily_ai_summary": "deliver",
    "whatsapp_digest": "deliver",
    "crm_writeback": "deliver",
}


def test_graph_has_every_stage(defs, instance):  # a live instance: defs resolve against it
    graph = defs.resolve_asset_graph()
    groups = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    for asset, group in EXPECTED_ASSETS.items():
        assert groups.get(asset) == group, asset
    checks = {key.name for key in graph.asset_check_keys}
    assert {
        "call_ids_unique_per_tenant",
        "call_phones_e164_or_flagged",
        "analyses_conform_to_schema",
    } <= checks
    assert any("kpi_tenant_daily" in k.asset_key.to_user_string() for k in graph.asset_check_keys)
    assert {j.name for j in defs.resolve_all_job_defs()} >= {
        "sync_job",
        "processing_job",
        "daily_job",
        "redrive_analyses_job",
    }


def test_same_resource_keys_for_duckdb_and_postgres(callintel_env, monkeypatch, instance):
    local = resources_for(callintel_env)
    monkeypatch.setenv("CALLINTEL_WAREHOUSE_URL", "postgresql://postgres@127.0.0.1:5432/x")
    pg_env = current_env()
    assert set(resources_for(pg_env)) == set(local)
    assert build_defs(pg_env).resolve_asset_graph().get_all_asset_keys()


def test_calls_job_and_marts_job_split_daily_job_in_two(defs, instance):
    assets = {
        name: defs.resolve_job_def(name).asset_layer.executable_asset_keys
        for name in ("daily_job", "calls_job", "marts_job")
    }
    assert assets["calls_job"] | assets["marts_job"] == assets["daily_job"]
    assert not assets["calls_job"] & assets["marts_job"]
    assert dg_names(assets["calls_job"]) >= {"call_records", "call_analyses"}
    assert dg_names(assets["marts_job"]) >= {"fct_calls", "kpi_tenant_daily", "whatsapp_digest"}


def dg_names(keys) -> set[str]:
    return {key.to_user_string() for key in keys}
