"""The daily-summary stage on a temporary DuckDB: a tenant-day's KPIs and notable calls read from
the marts and summarised by the real offline summarizer (no Dagster run)."""

import json
from datetime import date, datetime

import pandas as pd

from callintel_dagster.lib.digest.daily_summary import OFFLINE_SUMMARY_MODEL, DailySummary
from callintel_dagster.lib.tables import FCT_CALLS, KPI_TENANT_DAILY
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.resources.summaries import LlmSummarizer, OfflineSummarizer
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.daily_summary import summarise_days
from conftest import DAY
from emulators.llm import LlmEmulator

NOW = datetime(2026, 11, 19, 3, 0)
TENANT = Tenant(id="acme", name="Acme Realty", timezone="Asia/Kolkata")
CALL = {
    "tenant_id": "acme", "partition_date": DAY, "agent_name": "Asha", "contact_tag": "interested",
    "sentiment_label": "positive", "summary": "Booked a site visit.", "objections_json": "[]",
    "analysis_status": "ok",
}  # fmt: skip


def marts(tmp_path) -> Warehouse:
    warehouse = Warehouse(url=f"duckdb:///{tmp_path}/w.duckdb")
    kpis = pd.DataFrame(
        [{"tenant_id": "acme", "partition_date": DAY, "calls": 2, "connected_calls": 2,
          "analysed_calls": 2, "positive_calls": 1, "negative_calls": 1, "booked": 1,
          "avg_quality_score": 70.0}]
    )  # fmt: skip
    calls = pd.DataFrame(
        [
            {**CALL, "call_id": "c1", "phone_e164": "+919812345601", "lead_status": "booked",
             "quality_score": 90.0},
            {**CALL, "call_id": "c2", "phone_e164": "+919812345602", "lead_status": "callback",
             "sentiment_label": "negative", "quality_score": 40.0,
             "objections_json": json.dumps(["price"])},
        ]
    )  # fmt: skip
    with warehouse.connect() as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        for name, frame in ((KPI_TENANT_DAILY, kpis), (FCT_CALLS, calls)):
            con.register("frame", frame)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
            con.unregister("frame")
    return warehouse


def test_each_day_gets_one_summary_row(tmp_path):
    warehouse = marts(tmp_path)
    days = [DAY, date(2026, 11, 19)]  # the second day has no calls
    rows, fallbacks = summarise_days(TENANT, days, OfflineSummarizer(TENANT), warehouse, NOW)
    assert fallbacks == [] and [r["partition_date"] for r in rows] == days
    first, quiet = rows
    assert (first["provider"], first["model"]) == ("offline", OFFLINE_SUMMARY_MODEL)
    summary = DailySummary.model_validate_json(first["summary_json"])
    assert summary.headline == first["headline"] and summary.headline.startswith("1 booked")
    assert any("Call back 1 follow-up: +919812345602 (Asha)" in a for a in summary.actions)
    assert quiet["headline"] == "No calls on Thu 19 Nov 2026."
    assert all(r["created_at_utc"] == NOW and r["cost_usd"] == 0.0 for r in rows)
    assert (first["prompt_tokens"], first["completion_tokens"]) == (0, 0)


def test_an_llm_summariser_never_gets_a_callers_number(tmp_path):
    with LlmEmulator(latency_s=0) as emulator:
        tenant = Tenant.model_validate(
            {"id": "acme", "name": "Acme Realty", "timezone": "Asia/Kolkata",
             "llm": {"provider": "openai_compatible", "base_url": emulator.base_url,
                     "model": "llama3.1:8b", "max_backoff_s": 0.1}}
        )  # fmt: skip
        summarise_days(tenant, [DAY], LlmSummarizer(tenant), marts(tmp_path), NOW)
        sent = " ".join(c["user"] for c in emulator.calls)
    assert emulator.calls and "+919812345602" not in sent and "98123 45602" not in sent
    assert "+91 ••••• •5602" in sent  # the manager can still tell the callers apart
