"""The whole graph for a tenant-day on a temporary DuckDB warehouse, for real."""

import json

import dagster as dg
import pandas as pd
import pytest

from callintel_dagster.definitions import build_defs, resolved_resource
from callintel_dagster.env import current_env
from callintel_dagster.lib.agents.outputs import output_model
from callintel_dagster.lib.dayspan import day_window_utc
from callintel_dagster.lib.tenants.llm_config import OfflineLlm
from callintel_dagster.partitions import range_tags
from callintel_dagster.resources.embeddings import VectorStore
from conftest import DAY, TENANTS_YAML, register_tenants, run_job

TABLES = [
    "raw.crm_leads",
    "raw.call_records",
    "raw.sync_log",
    "core.call_transcripts",
    "core.transcript_turns",
    "core.call_signals",
    "core.call_analyses",
    "marts.fct_calls",
    "marts.kpi_tenant_daily",
    "marts.dim_contacts",
    "delivery.daily_summaries",
    "delivery.digests",
]


def snapshot(warehouse, tenant="acme"):
    """Every table's rows for the tenant, minus wall-clock columns, sorted: comparable."""
    out = {}
    for table in TABLES:
        frame = warehouse.query(f"SELECT * FROM {table} WHERE tenant_id = ?", [tenant])
        frame = frame.drop(
            columns=[
                c
                for c in frame.columns
                if c.endswith("_at_utc") and c not in ("started_at_utc", "ended_at_utc")
            ]
        )
        out[table] = frame.sort_values(list(frame.columns[:4])).reset_index(drop=True)
    return out


@pytest.fixture(scope="module")
def acme_day(tmp_path_factory):
    """(defs, instance, env, result) after one daily run of acme's day: the whole-graph test
    reads it, the idempotency test runs the same day again on top of it."""
    root = tmp_path_factory.mktemp("pipeline-duckdb")
    (root / "tenants.yaml").write_text(TENANTS_YAML)
    with pytest.MonkeyPatch.context() as mp, dg.instance_for_test() as instance:
        mp.setenv("CALLINTEL_HOME", str(root / "home"))
        mp.setenv("CALLINTEL_TENANTS", str(root / "tenants.yaml"))
        mp.delenv("CALLINTEL_WAREHOUSE_URL", raising=False)
        env = current_env()
        defs = build_defs(env)
        yield defs, instance, env, run_job(defs, instance)


def test_whole_graph_for_a_tenant_day(acme_day):
    defs, _instance, callintel_env, result = acme_day
    lead_funnel_languages_and_new_leads(resolved_resource(defs, "warehouse"))
    warehouse = resolved_resource(defs, "warehouse")
    calls = warehouse.query("SELECT * FROM raw.call_records WHERE tenant_id = 'acme'")
    assert len(calls) == 30 and calls["call_id"].is_unique
    assert set(calls["partition_date"].astype(str)) == {DAY.isoformat()}
    # every phone is valid E.164 or flagged with a reason; none dropped
    assert (calls["phone_valid"] | calls["phone_issue"].notna()).all()

    analyses = warehouse.query("SELECT * FROM core.call_analyses WHERE tenant_id = 'acme'")
    assert len(analyses) == len(calls)
    assert set(analyses["analysis_status"]) <= {"ok", "skipped", "failed"}
    assert (analyses["analysis_status"] == "ok").sum() > 10
    assert analyses.loc[analyses["analysis_status"] == "skipped", "reason"].notna().all()
    ok = analyses[analyses["analysis_status"] == "ok"]
    schema = output_model(OfflineLlm(provider="offline"))
    for blob in ok["analysis_json"]:
        schema.model_validate_json(blob)
    assert (ok["prompt_tokens"] == 0).all() and (ok["cost_usd"] == 0).all()  # rules cost nothing

    kpi = warehouse.query("SELECT * FROM marts.kpi_tenant_daily WHERE tenant_id = 'acme'")
    assert len(kpi) == 1
    assert int(kpi["calls"][0]) == 30
    connected = calls[(calls["call_status"] == "completed") & (calls["duration_seconds"] > 0)]
    assert int(kpi["connected_calls"][0]) == len(connected)
    fct = warehouse.query("SELECT * FROM marts.fct_calls WHERE tenant_id = 'acme'")
    assert len(fct) == 30
    assert fct["lead_id"].notna().any(), "callers whose number is a lead link to it"

    contacts = warehouse.query("SELECT * FROM marts.dim_contacts WHERE tenant_id = 'acme'")
    assert contacts["contact_key"].is_unique
    assert set(fct["contact_key"]) <= set(contacts["contact_key"]), "every call has its contact"
    merged = contacts[(contacts["leads"] > 0) & (contacts["calls"] > 0)]
    assert (merged["raw_formats"] > 1).any(), "a lead and a caller in different formats are one"
    flagged = contacts[~contacts["phone_valid"].astype(bool)]
    assert (
        flagged["phone_issue"].notna().all()
        and flagged["contact_key"].str.startswith("unparsed:").all()
    )

    store = VectorStore(path=str(callintel_env.lancedb_path))
    assert store.count("acme", DAY.isoformat()) > 0
    assert store.count("globex") == 0, "another tenant's table is untouched"

    digest = warehouse.query("SELECT * FROM delivery.digests WHERE tenant_id = 'acme'")
    assert list(digest["recipient"]) == ["+919812345678"]
    outbox = callintel_env.outbox_path / "acme" / DAY.isoformat() / "919812345678.txt"
    assert outbox.read_text() == digest["body"][0]
    summary = json.loads(
        warehouse.query("SELECT summary_json FROM delivery.daily_summaries")["summary_json"][0]
    )
    assert set(summary) == {"headline", "wins", "risks", "actions"}

    checks = result.get_asset_check_evaluations()
    assert checks and all(c.passed for c in checks), [c.check_name for c in checks if not c.passed]


def test_rematerializing_is_idempotent(acme_day):
    """The day acme_day materialized, run again: every table the same, no call analysed twice."""
    defs, instance, _env, _result = acme_day
    warehouse = resolved_resource(defs, "warehouse")
    first = snapshot(warehouse)
    run_job(defs, instance)
    second = snapshot(warehouse)
    for table in TABLES:
        pd.testing.assert_frame_equal(first[table], second[table], obj=table)
    analyses = warehouse.query("SELECT attempts FROM core.call_analyses WHERE tenant_id='acme'")
    assert analyses["attempts"].max() <= 1, "a re-run reuses outcomes: each call analysed once"


def test_tenants_never_see_each_other_and_each_partition_has_its_own_metadata(defs, instance):
    """Both tenants' day in ONE run (a range, as backfills run): nothing crosses tenants, and each
    partition shows its own figures and preview in the UI."""
    register_tenants(instance)
    result = defs.resolve_job_def("daily_job").execute_in_process(
        instance=instance,
        tags=range_tags(f"{DAY}|acme", f"{DAY}|globex"),
    )
    assert result.success
    assert_each_partition_has_its_own_metadata(result)
    warehouse = resolved_resource(defs, "warehouse")
    fct = warehouse.query(
        "SELECT f.tenant_id, l.tenant_id AS lead_tenant FROM marts.fct_calls f "
        "JOIN raw.crm_leads l ON l.lead_id = f.lead_id"
    )
    assert (fct["tenant_id"] == fct["lead_tenant"]).all()
    kpi = warehouse.query(
        "SELECT tenant_id, count(*) AS n FROM marts.kpi_tenant_daily "
        "GROUP BY tenant_id ORDER BY tenant_id"
    )
    assert kpi.to_dict("records") == [
        {"tenant_id": "acme", "n": 1},
        {"tenant_id": "globex", "n": 1},
    ]


def test_partition_day_is_the_tenants_local_day(defs, instance):
    """The same date partition covers different UTC windows for Kolkata and Los Angeles."""
    run_job(defs, instance, job="sync_job", tenant="acme")
    run_job(defs, instance, job="sync_job", tenant="globex")
    warehouse = resolved_resource(defs, "warehouse")
    for tenant, tz in (("acme", "Asia/Kolkata"), ("globex", "America/Los_Angeles")):
        start, end = day_window_utc(DAY, tz)
        calls = warehouse.query(
            "SELECT min(started_at_utc) AS earliest, max(started_at_utc) AS latest, count(*) AS n "
            "FROM raw.call_records WHERE tenant_id = ?",
            [tenant],
        ).iloc[0]
        assert calls["n"] > 0
        assert start <= calls["earliest"].to_pydatetime() and calls["latest"].to_pydatetime() < end
    assert day_window_utc(DAY, "Asia/Kolkata")[0] != day_window_utc(DAY, "America/Los_Angeles")[0]


def assert_each_partition_has_its_own_metadata(result) -> None:
    meta = {
        (e.asset_key.to_user_string(), e.partition): {
            k: v.value for k, v in e.materialization.metadata.items()
        }
        for e in result.get_asset_materialization_events()
    }
    acme, globex = f"{DAY}|acme", f"{DAY}|globex"
    # conftest's registry: acme has 30 calls a day, globex 20
    assert meta[("call_records", acme)]["dagster/row_count"] == 30
    assert meta[("call_records", globex)]["dagster/row_count"] == 20
    assert meta[("call_records", acme)]["run_partitions"] == 2
    assert meta[("call_analyses", acme)]["dagster/row_count"] == 30
    assert meta[("fct_calls", globex)]["dagster/row_count"] == 20
    assert meta[("kpi_tenant_daily", acme)]["dagster/row_count"] == 1
    # each partition previews its own digest
    assert "Acme Realty" in meta[("whatsapp_digest", acme)]["preview"]
    assert "Globex" in meta[("whatsapp_digest", globex)]["preview"]
    assert "Globex" not in meta[("whatsapp_digest", acme)]["preview"]
    # reasons are counted by code, not listed call by call
    reasons = meta[("call_analyses", acme)]["reasons"]
    assert all(":" not in code for code in reasons) and sum(reasons.values()) <= 30


def lead_funnel_languages_and_new_leads(warehouse) -> None:
    leads = warehouse.query("SELECT created_date FROM raw.crm_leads WHERE tenant_id = 'acme'")
    created_today = int((leads["created_date"].astype(str).str[:10] == DAY.isoformat()).sum())
    kpi = warehouse.query(
        "SELECT new_leads, leads_modified FROM marts.kpi_tenant_daily WHERE tenant_id = 'acme'"
    ).iloc[0]
    assert kpi["new_leads"] == created_today and kpi["leads_modified"] == len(leads)
    funnel = warehouse.query("SELECT * FROM marts.lead_funnel_daily WHERE tenant_id = 'acme'")
    assert len(funnel) == 1
    f = funnel.iloc[0]
    assert f["new_leads"] == created_today
    assert f["contacted_leads"] > 0, "synthetic callers include the CRM's leads"
    assert f["contacted_leads"] >= f["connected_leads"] >= f["qualified_leads"]
    assert f["contacted_leads"] >= f["booked_leads"]
    languages = warehouse.query(
        "SELECT language, calls FROM marts.language_daily WHERE tenant_id = 'acme'"
    )
    assert languages["calls"].sum() == 30
    assert "en" in set(languages["language"])
    fct = warehouse.query("SELECT language FROM marts.fct_calls WHERE tenant_id = 'acme'")
    assert fct["language"].notna().sum() > 0
