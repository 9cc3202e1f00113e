"""The AI-analysis marts on known rows, built by `dbt build` as the metrics asset runs it.

Two tenants and two days with ok, skipped, failed and pending analyses, objections, LLM usage and
daily summaries; exact figures in kpi_tenant_daily, agent_scorecard_daily, objection_trends_daily,
analysis_failures and llm_cost_daily, then an incremental run for one tenant-day. Tenant "beta"
reuses acme's call ids and agent names with far larger figures, so a leak shows in any sum."""

import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from callintel_dagster.assets.metrics import dbt_partitions
from callintel_dagster.dbt_project import DBT_PROJECT_DIR
from callintel_dagster.lib import tables as t
from callintel_dagster.resources.warehouse import SliceWrite, Warehouse
from conftest import fresh_postgres_db, requires_postgres

D1, D2 = date(2026, 11, 17), date(2026, 11, 18)
DBT = str(Path(sys.executable).parent / "dbt")
A, B = "acme", "beta"


def frame(table: t.Table, rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        [{c: None for c in table.column_names} | r for r in rows], columns=table.column_names
    )


def call(tenant, day, call_id, agent, status="completed", seconds=60.0, talk=None, mono=None):
    """A call record and, when `talk` is given, its signals."""
    start = datetime.combine(day, datetime.min.time()) + timedelta(hours=10)
    record = {
        "tenant_id": tenant,
        "partition_date": day,
        "call_id": call_id,
        "provider": "synthetic",
        "agent_name": agent,
        "phone_raw": "+919800000001",
        "phone_e164": "+919800000001",
        "phone_valid": True,
        "started_at_utc": start,
        "ended_at_utc": start + timedelta(seconds=seconds),
        "duration_seconds": seconds,
        "call_status": status,
        "is_final": True,
        "record_hash": call_id,
        "ingested_at_utc": start,
    }
    key = {"tenant_id": tenant, "partition_date": day, "call_id": call_id}
    signals = (
        None if talk is None else key | {"talk_ratio": talk, "longest_monologue_agent_s": mono}
    )
    return record, signals


def analysis(tenant, day, call_id, status, reason=None, attempts=1, usage=(0, 0, 0, 0, 0.0), **kw):
    """usage: (requests, retries, prompt tokens, completion tokens, cost)."""
    requests, retries, prompt, completion, cost = usage
    return {
        "tenant_id": tenant,
        "partition_date": day,
        "call_id": call_id,
        "analysis_status": status,
        "reason": reason,
        "attempts": attempts,
        "provider": "groq",
        "model": "llama-3.3-70b",
        "agent_version": "sales-v2",
        "input_hash": f"h-{call_id}",
        "analysed_at_utc": datetime(2026, 11, 19, 3, 0),
        "cache_hit": kw.pop("cache_hit", False),
        "requests": requests,
        "retries": retries,
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "cost_usd": cost,
    } | kw


def ok(tenant, day, call_id, quality, sentiment, bant, lead_status, lead_score, **kw):
    return analysis(
        tenant,
        day,
        call_id,
        "ok",
        quality_score=quality,
        sentiment_score=sentiment,
        sentiment_label="positive" if sentiment > 0 else "negative" if sentiment < 0 else "neutral",
        bant_qualified=bant,
        lead_status=lead_status,
        lead_score=lead_score,
        **kw,
    )


def objections(tenant, day, call_id, *types):
    return [
        {"tenant_id": tenant, "partition_date": day, "call_id": call_id, "objection": o}
        for o in types
    ]


def summary(tenant, day, prompt, completion, cost):
    return {
        "tenant_id": tenant,
        "partition_date": day,
        "provider": "groq",
        "model": "llama-3.3-70b",
        "headline": "A day",
        "summary_json": "{}",
        "created_at_utc": datetime(2026, 11, 19, 4, 0),
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "cost_usd": cost,
    }


CALLS = [
    call(A, D1, "c1", "Asha", seconds=120, talk=0.6, mono=30),
    call(A, D1, "c2", "Asha", seconds=60, talk=0.4, mono=10),
    call(A, D1, "c3", None, seconds=90, talk=0.5, mono=20),
    call(A, D1, "c4", "  ", seconds=45, talk=0.7, mono=40),
    call(A, D1, "c5", "Ravi", status="no_answer", seconds=0),
    call(A, D1, "c6", "Ravi", seconds=30, talk=0.3, mono=5),
    call(A, D2, "c7", "Asha", seconds=100, talk=0.2, mono=8),
    call(A, D2, "c8", "Ravi", seconds=50, talk=0.9, mono=50),
    # beta: same call id and agent as acme, huge figures
    call(B, D1, "c1", "Asha", seconds=1000, talk=0.1, mono=500),
    call(B, D1, "b2", "Bob", seconds=1000, talk=0.1, mono=500),
]
WAITING = "waiting: the run cap of 5 calls was reached"
A_D1_ANALYSES = [
    ok(A, D1, "c1", 80, 0.5, True, "booked", 70, usage=(1, 0, 1000, 200, 0.01)),
    ok(A, D1, "c2", 60, -0.5, False, "purchased", 30, usage=(2, 1, 1500, 300, 0.02)),
    ok(A, D1, "c3", 100, 0.0, True, "callback", 50, cache_hit=True),
    analysis(A, D1, "c4", "failed", "timeout after 3 attempts", 3, (3, 2, 500, 0, 0.005)),
    analysis(A, D1, "c5", "skipped", "no transcript", 0),
    analysis(A, D1, "c6", "pending", WAITING, 0),
]
A_D2_ANALYSES = [
    ok(A, D2, "c7", 90, 1.0, True, "booked", 90, usage=(1, 0, 800, 150, 0.008)),
    analysis(A, D2, "c8", "failed", "output failed validation", 1, (2, 0, 600, 100, 0.004)),
]
B_ANALYSES = [
    ok(B, D1, "c1", 10, -1.0, True, "booked", 5, usage=(50, 20, 90000, 9000, 1.0)),
    analysis(B, D1, "b2", "failed", "rate limited", 2, (40, 30, 5000, 0, 0.5)),
]
A_D1_OBJECTIONS = [
    *objections(A, D1, "c1", "price", "timing"),
    *objections(A, D1, "c2", "price"),
    *objections(A, D1, "c3", "competitor"),
    *objections(A, D1, "c4", "authority"),  # left from an earlier attempt: the call failed since
]
A_D2_OBJECTIONS = objections(A, D2, "c7", "price", "trust")
B_OBJECTIONS = objections(B, D1, "c1", "price", "other")
SYNCED = [(A, D1), (A, D2), (B, D1), (B, D2)]  # beta's D2 was synced and had no calls


def load(warehouse: Warehouse) -> None:
    synced = [
        {
            "tenant_id": tenant,
            "partition_date": day,
            "source": "call_records",
            "provider": "synthetic",
            "fetched": 0,
            "synced_at_utc": datetime(2026, 11, 19),
        }
        for tenant, day in SYNCED
    ]
    writes = [
        (t.SYNC_LOG, synced),
        (t.CALL_RECORDS, [record for record, _ in CALLS]),
        (t.CALL_SIGNALS, [signals for _, signals in CALLS if signals]),
        (t.CALL_ANALYSES, A_D1_ANALYSES + A_D2_ANALYSES + B_ANALYSES),
        (t.CALL_OBJECTIONS, A_D1_OBJECTIONS + A_D2_OBJECTIONS + B_OBJECTIONS),
        (t.DAILY_SUMMARIES, [summary(A, D1, 400, 100, 0.003), summary(B, D1, 7000, 700, 2.0)]),
    ]
    warehouse.write([SliceWrite(table, SYNCED, frame(table, rows)) for table, rows in writes])


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=requires_postgres)])
def target(request, tmp_path):
    """(dbt target, its environment, the warehouse) on a fresh DuckDB file or PG database."""
    if request.param == "duckdb":
        path = tmp_path / "warehouse.duckdb"
        yield "duckdb", {"CALLINTEL_DUCKDB_PATH": str(path)}, Warehouse(url=f"duckdb:///{path}")
        return
    with fresh_postgres_db() as url:
        env = {
            "CALLINTEL_PG_HOST": "127.0.0.1",
            "CALLINTEL_PG_PORT": "5432",
            "CALLINTEL_PG_USER": "postgres",
            "CALLINTEL_PG_PASSWORD": "",
            "CALLINTEL_PG_DBNAME": url.rsplit("/", 1)[1],
        }
        yield "postgres", env, Warehouse(url=url)


def dbt_build(target, tmp_path, partitions=()) -> None:
    """`dbt build --vars partitions` as the dbt_metrics asset runs it, into a private target dir
    (the project's own target/ belongs to whoever else runs dbt now)."""
    name, env, _ = target
    selected = dbt_partitions(list(partitions))
    args = ["build", "--vars", json.dumps({"partitions": selected}), "--target", name]
    paths = ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
    project = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    done = subprocess.run(
        [DBT, *args, *paths, *project],
        env=os.environ | env,
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout[-6000:]
    assert " WARN=0 " in done.stdout and " ERROR=0 " in done.stdout, done.stdout[-6000:]


def check(warehouse: Warehouse, table: str, columns: str, expected: list[tuple]) -> None:
    """The mart's rows (ordered by their leading key columns) equal `expected`, floats ~equal."""
    found = warehouse.query(f"SELECT {columns} FROM marts.{table} ORDER BY 1, 2, 3")
    found = found.astype(object).where(found.notna(), None)
    actual = [
        tuple(v.to_pydatetime() if isinstance(v, pd.Timestamp) else v for v in row)
        for row in found.itertuples(index=False, name=None)
    ]
    assert actual == [
        tuple(pytest.approx(v) if isinstance(v, float) else v for v in row) for row in expected
    ], f"{table}: {columns}"


KPI_ANALYSIS = (
    "tenant_id, partition_date, calls, analysed_calls, skipped_calls, failed_analyses, "
    "pending_analyses, avg_quality_score, avg_lead_score, bant_qualified_calls, "
    "bant_qualified_share, booked"
)
KPI_OBJECTIONS = (
    "tenant_id, partition_date, objections_price, objections_competitor, objections_timing, "
    "objections_no_need, objections_authority, objections_trust, objections_think_about_it, "
    "objections_other"
)
KPI_USAGE = (
    "tenant_id, partition_date, llm_requests, llm_retries, llm_cache_hits, "
    "analysis_prompt_tokens, analysis_completion_tokens, analysis_cost_usd"
)
LLM_COST = (
    "tenant_id, partition_date, analysis_cost_usd, summary_prompt_tokens, "
    "summary_completion_tokens, summary_cost_usd, prompt_tokens, completion_tokens, cost_usd"
)
SCORECARD = (
    "tenant_id, partition_date, agent_name, calls, connected_calls, analysed_calls, "
    "avg_quality_score, avg_sentiment_score, avg_lead_score, bant_qualified_calls, booked_calls, "
    "purchased_calls, objections_raised, calls_with_objections, avg_talk_ratio, "
    "avg_longest_monologue_agent_s"
)
TRENDS = (
    "tenant_id, partition_date, objection, calls_with_objection, analysed_calls, "
    "share_of_analysed_calls, rolling_7d_calls"
)
FAILURES = (
    "tenant_id, partition_date, call_id, analysis_status, reason, attempts, llm_provider, "
    "llm_model, agent_version, analysed_at_utc"
)

# What the incremental run must leave alone: acme's D2 and all of beta (its D2 synced, no calls)
A_D2_ANALYSIS = (A, D2, 2, 1, 0, 1, 0, 90.0, 90.0, 1, 1.0, 1)
A_D2_OBJECTION_KPI = (A, D2, 1, 0, 0, 0, 0, 1, 0, 0)
A_D2_USAGE = (A, D2, 3, 0, 0, 1400, 250, 0.012)
B_ANALYSIS = [
    (B, D1, 2, 1, 0, 1, 0, 10.0, 5.0, 1, 1.0, 1),
    (B, D2, 0, 0, 0, 0, 0, None, None, 0, None, 0),
]
B_OBJECTION_KPIS = [(B, D1, 1, 0, 0, 0, 0, 0, 0, 1), (B, D2, 0, 0, 0, 0, 0, 0, 0, 0)]
B_USAGE = [(B, D1, 90, 50, 0, 95000, 9000, 1.5), (B, D2, 0, 0, 0, 0, 0, 0.0)]
B_COST = [
    (B, D1, 1.5, 7000, 700, 2.0, 102000, 9700, 3.5),
    (B, D2, 0.0, None, None, None, 0, 0, 0.0),  # no summary
]
A_D2_SCORECARD = [
    (A, D2, "Asha", 1, 1, 1, 90.0, 1.0, 90.0, 1, 1, 0, 2, 1, 0.2, 8.0),
    (A, D2, "Ravi", 1, 1, 0, None, None, None, 0, 0, 0, 0, 0, 0.9, 50.0),
]
B_SCORECARD = [
    (B, D1, "Asha", 1, 1, 1, 10.0, -1.0, 5.0, 1, 1, 0, 2, 1, 0.1, 500.0),
    (B, D1, "Bob", 1, 1, 0, None, None, None, 0, 0, 0, 0, 0, 0.1, 500.0),
]
B_TRENDS = [(B, D1, "other", 1, 1, 1.0, 1), (B, D1, "price", 1, 1, 1.0, 1)]


def failure(tenant, day, call_id, status, reason, attempts):
    at = datetime(2026, 11, 19, 3, 0)
    return (tenant, day, call_id, status, reason, attempts, "groq", "llama-3.3-70b", "sales-v2", at)


def test_analysis_marts_exact_figures_and_incremental_rebuild(target, tmp_path):
    _, _, warehouse = target
    load(warehouse)
    dbt_build(target, tmp_path)

    kpis = [(A, D1, 6, 3, 1, 1, 1, 80.0, 50.0, 2, 2 / 3, 1), A_D2_ANALYSIS, *B_ANALYSIS]
    check(warehouse, "kpi_tenant_daily", KPI_ANALYSIS, kpis)
    # c4's stale "authority" objection does not count: its analysis failed
    kpis = [(A, D1, 2, 1, 1, 0, 0, 0, 0, 0), A_D2_OBJECTION_KPI, *B_OBJECTION_KPIS]
    check(warehouse, "kpi_tenant_daily", KPI_OBJECTIONS, kpis)
    # cost: 0.01 + 0.02 + 0 (cache hit) + 0.005 (the failed attempts)
    kpis = [(A, D1, 6, 3, 1, 3000, 500, 0.035), A_D2_USAGE, *B_USAGE]
    check(warehouse, "kpi_tenant_daily", KPI_USAGE, kpis)
    costs = [
        (A, D1, 0.035, 400, 100, 0.003, 3400, 600, 0.038),  # plus the daily summary
        (A, D2, 0.012, None, None, None, 1400, 250, 0.012),  # no summary yet
        *B_COST,
    ]
    check(warehouse, "llm_cost_daily", LLM_COST, costs)
    scorecard = [
        (A, D1, "Asha", 2, 2, 2, 70.0, 0.0, 50.0, 1, 1, 1, 3, 2, 0.5, 20.0),
        (A, D1, "Ravi", 2, 1, 0, None, None, None, 0, 0, 0, 0, 0, 0.3, 5.0),
        (A, D1, "unknown", 2, 2, 1, 100.0, 0.0, 50.0, 1, 0, 0, 1, 1, 0.6, 30.0),  # NULL and "  "
        *A_D2_SCORECARD,
        *B_SCORECARD,
    ]
    check(warehouse, "agent_scorecard_daily", SCORECARD, scorecard)
    # Ravi's no-answer call has no signals: his averages rest on one call of two, and say so
    measured = warehouse.query(
        "SELECT agent_name, calls, talk_ratio_calls, monologue_calls, avg_talk_ratio "
        "FROM marts.agent_scorecard_daily WHERE tenant_id = ? AND partition_date = ? "
        "AND agent_name IN ('Asha', 'Ravi') ORDER BY agent_name",
        [A, D1],
    )
    assert measured.values.tolist() == [["Asha", 2, 2, 2, 0.5], ["Ravi", 2, 1, 1, 0.3]]
    trends = [
        (A, D1, "competitor", 1, 3, 1 / 3, 1),
        (A, D1, "price", 2, 3, 2 / 3, 2),
        (A, D1, "timing", 1, 3, 1 / 3, 1),
        (A, D2, "price", 1, 1, 1.0, 3),  # not 4: beta's price objection on D1 is beta's
        (A, D2, "trust", 1, 1, 1.0, 1),
        *B_TRENDS,
    ]
    check(warehouse, "objection_trends_daily", TRENDS, trends)
    failures = [
        failure(A, D1, "c4", "failed", "timeout after 3 attempts", 3),
        failure(A, D1, "c6", "pending", WAITING, 0),
        failure(A, D2, "c8", "failed", "output failed validation", 1),
        failure(B, D1, "b2", "failed", "rate limited", 2),
    ]
    check(warehouse, "analysis_failures", FAILURES, failures)

    # D2's daily summary is written after the build, and counts at once: llm_cost_daily is a view
    warehouse.write(
        [
            SliceWrite(
                t.DAILY_SUMMARIES,
                [(A, D2)],
                frame(t.DAILY_SUMMARIES, [summary(A, D2, 200, 50, 0.002)]),
            )
        ]
    )
    costs[1] = (A, D2, 0.012, 200, 50, 0.002, 1600, 300, 0.014)
    check(warehouse, "llm_cost_daily", LLM_COST, costs)

    # A later run analyses acme's pending D1 call (Ravi; a price objection) and re-drives c4 ...
    c4 = ok(A, D1, "c4", 40, -0.5, False, "callback", 20, attempts=4, usage=(1, 0, 100, 10, 0.001))
    c6 = ok(A, D1, "c6", 50, 0.5, False, "not_interested", 10, usage=(1, 0, 100, 10, 0.001))
    analyses = [*A_D1_ANALYSES[:3], c4, A_D1_ANALYSES[4], c6]
    found = [*A_D1_OBJECTIONS[:4], *objections(A, D1, "c6", "price")]  # c4's stale one is gone
    warehouse.write(
        [
            SliceWrite(t.CALL_ANALYSES, [(A, D1)], frame(t.CALL_ANALYSES, analyses)),
            SliceWrite(t.CALL_OBJECTIONS, [(A, D1)], frame(t.CALL_OBJECTIONS, found)),
        ]
    )
    # ... which the failures list shows at once, before any dbt run: it is a view
    check(warehouse, "analysis_failures", FAILURES, failures[2:])

    dbt_build(target, tmp_path, partitions=[(A, D1)])

    kpis = [(A, D1, 6, 5, 1, 0, 0, 66.0, 36.0, 2, 2 / 5, 1), A_D2_ANALYSIS, *B_ANALYSIS]
    check(warehouse, "kpi_tenant_daily", KPI_ANALYSIS, kpis)
    kpis = [(A, D1, 3, 1, 1, 0, 0, 0, 0, 0), A_D2_OBJECTION_KPI, *B_OBJECTION_KPIS]
    check(warehouse, "kpi_tenant_daily", KPI_OBJECTIONS, kpis)
    kpis = [(A, D1, 5, 1, 1, 2700, 520, 0.032), A_D2_USAGE, *B_USAGE]
    check(warehouse, "kpi_tenant_daily", KPI_USAGE, kpis)
    costs[0] = (A, D1, 0.032, 400, 100, 0.003, 3100, 620, 0.035)
    check(warehouse, "llm_cost_daily", LLM_COST, costs)
    scorecard = [
        scorecard[0],
        (A, D1, "Ravi", 2, 1, 1, 50.0, 0.5, 10.0, 0, 0, 0, 1, 1, 0.3, 5.0),
        (A, D1, "unknown", 2, 2, 2, 70.0, -0.25, 35.0, 1, 0, 0, 1, 1, 0.6, 30.0),
        *A_D2_SCORECARD,
        *B_SCORECARD,
    ]
    check(warehouse, "agent_scorecard_daily", SCORECARD, scorecard)
    trends = [
        (A, D1, "competitor", 1, 5, 1 / 5, 1),
        (A, D1, "price", 3, 5, 3 / 5, 3),
        (A, D1, "timing", 1, 5, 1 / 5, 1),
        (A, D2, "price", 1, 1, 1.0, 4),  # D2 was not selected, but its 7 days include D1
        (A, D2, "trust", 1, 1, 1.0, 1),
        *B_TRENDS,
    ]
    check(warehouse, "objection_trends_daily", TRENDS, trends)
    check(warehouse, "analysis_failures", FAILURES, failures[2:])


def test_numberless_calls_and_leads_never_merge_into_one_contact(target, tmp_path):
    """A call or a lead without any number is a contact of its own: an "empty" contact shared by
    every numberless row would own a lead and all those calls."""
    _, _, warehouse = target
    numberless = {
        "phone_raw": None,
        "phone_e164": None,
        "phone_valid": False,
        "phone_issue": "empty",
    }
    calls = [call(A, D1, "n1", "Asha")[0] | numberless, call(A, D1, "n2", "Asha")[0] | numberless]
    lead = {
        "tenant_id": A,
        "partition_date": D1,
        "lead_id": "L-nophone",
        "provider": "synthetic",
        "full_name": "No Phone",
        "phone_valid": False,
        "phone_issue": "empty",
        "created_at_utc": datetime(2026, 11, 18, 9),
        "modified_at_utc": datetime(2026, 11, 18, 9),
        "record_hash": "x",
        "ingested_at_utc": datetime(2026, 11, 18, 9),
    }
    warehouse.write(
        [
            SliceWrite(t.CALL_RECORDS, [(A, D1)], frame(t.CALL_RECORDS, calls)),
            SliceWrite(t.CRM_LEADS, [(A, D1)], frame(t.CRM_LEADS, [lead])),
        ]
    )
    dbt_build(target, tmp_path)
    contacts = warehouse.query(
        "SELECT contact_key, lead_id, calls FROM marts.dim_contacts WHERE tenant_id = ? "
        "ORDER BY contact_key",
        [A],
    ).to_dict("records")
    assert len(contacts) == 3, contacts  # two calls, one lead: three contacts
    owner = [c for c in contacts if c["lead_id"] == "L-nophone"]
    assert len(owner) == 1 and owner[0]["calls"] == 0
    fct = warehouse.query("SELECT call_id, contact_key, lead_id FROM marts.fct_calls ORDER BY 1")
    assert fct["contact_key"].is_unique and fct["lead_id"].isna().all()
