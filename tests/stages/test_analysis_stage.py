"""The analysis stage on a temporary DuckDB with the offline analyser: analysed, skipped with a
reason, held back as pending by the run cap, reused on the next run, and split with an
overlapping run by call claims."""

from datetime import date, datetime

import pytest

from callintel_dagster.lib.tables import CALL_ANALYSES, CALL_TRANSCRIPTS
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.synthetic import SyntheticSource
from callintel_dagster.resources.analyzers import OfflineAnalyzer
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.analysis import analyse_tenant
from callintel_dagster.stages.claims import Claimer
from callintel_dagster.stages.sync import sync_tenant
from callintel_dagster.stages.sync_specs import CALLS
from callintel_dagster.stages.transcription import transcribe_tenant

DAY = date(2026, 11, 18)
NOW = datetime(2026, 11, 20, 12, 0)
SLICES = [("acme", DAY)]


def tenant(**llm) -> Tenant:
    return Tenant.model_validate(
        {
            "id": "acme",
            "name": "Acme",
            "timezone": "Asia/Kolkata",
            "calls": {"provider": "synthetic", "calls_per_day": 20, "seed": 3},
            "llm": {"provider": "offline", **llm},
        }
    )


@pytest.fixture
def warehouse(tmp_path):
    """A day of synthetic calls, synced and transcribed from the source."""
    return seeded(Warehouse(url=f"duckdb:///{tmp_path}/w.duckdb"))


@pytest.fixture
def any_warehouse(warehouse_url):
    """The same day on DuckDB, then on PostgreSQL."""
    return seeded(Warehouse(url=warehouse_url))


def seeded(warehouse: Warehouse) -> Warehouse:
    sync_tenant(warehouse, tenant(), [DAY], SyntheticSource(tenant()), CALLS, NOW)
    warehouse.write(transcribe_tenant(warehouse, tenant(), [DAY], None).writes())
    return warehouse


def analyse(warehouse, t: Tenant):
    done = analyse_tenant(warehouse, t, [DAY], OfflineAnalyzer(t), NOW)
    warehouse.write(done.writes())
    return done, {r["call_id"]: r for r in done.rows}


def test_calls_with_a_transcript_are_analysed_and_the_others_skipped_with_a_reason(warehouse):
    done, rows = analyse(warehouse, tenant())
    assert len(rows) == 20 and done.counts["ok"] > 0 and done.counts["skipped"] > 0
    assert done.counts["ok"] + done.counts["skipped"] == 20
    for row in rows.values():
        if row["analysis_status"] == "ok":
            assert row["attempts"] == 1 and row["summary"] and row["reason"] is None
        else:
            assert row["analysis_status"] == "skipped" and row["attempts"] == 0
            assert row["reason"].startswith("empty: no speech")


def test_the_run_cap_holds_calls_back_as_pending_until_a_later_run(warehouse):
    capped = tenant(max_calls_per_run=3)
    done, rows = analyse(warehouse, capped)
    ok, skipped = done.counts["ok"], done.counts["skipped"]
    assert ok == 3 and done.counts["pending"] > 0
    pending = [r for r in rows.values() if r["analysis_status"] == "pending"]
    assert {r["reason"] for r in pending} == {"waiting: the run cap of 3 calls was reached"}

    done, rows = analyse(warehouse, capped)  # the next run takes the next 3; the rest reused
    assert done.counts["ok"] == 3 and done.counts["reused"] == ok + skipped
    assert done.counts["pending"] == len(pending) - 3


def test_a_second_run_reuses_every_outcome(warehouse):
    first, before = analyse(warehouse, tenant())
    second, after = analyse(warehouse, tenant())
    assert second.counts["reused"] == 20 and second.counts["ok"] == 0
    assert second.answers == first.answers and second.objections == first.objections
    for call_id, row in after.items():
        assert row["input_hash"] == before[call_id]["input_hash"]
        assert row["analysis_status"] == before[call_id]["analysis_status"]

    greeted = {"item": "Greeted", "weight": 1, "patterns": ["hello|namaste|hi "]}
    changed = tenant(checklist=[greeted])
    third, _ = analyse(warehouse, changed)  # a new agent version analyses again
    assert third.counts["reused"] == 0 and third.counts["ok"] == first.counts["ok"]


def test_two_overlapping_runs_split_a_day_and_keep_each_others_rows(any_warehouse):
    warehouse = any_warehouse
    calls = warehouse.read_slices(CALL_TRANSCRIPTS.qualified, SLICES)
    refs = [(d, c) for d, c in zip(calls["partition_date"], calls["call_id"], strict=True)]
    first = Claimer(warehouse, "analysis", "run-a", NOW)
    second = Claimer(warehouse, "analysis", "run-b", NOW)
    assert first.take("acme", refs[:8]) == {}  # run a is busy with the first 8 calls
    b = analyse_tenant(warehouse, tenant(), [DAY], OfflineAnalyzer(tenant()), NOW, claimer=second)
    assert b.counts["left_to_other_run"] == 8 and len(b.rows) == 12
    assert b.left == {"run-a": {str(DAY): 8}}
    a = analyse_tenant(warehouse, tenant(), [DAY], OfflineAnalyzer(tenant()), NOW, claimer=first)
    assert a.counts["left_to_other_run"] == 12 and len(a.rows) == 8  # b holds the rest
    warehouse.write(a.writes())
    warehouse.write(b.writes())  # the later write keeps the other run's rows
    stored = warehouse.read_slices(CALL_ANALYSES.qualified, SLICES)
    assert sorted(stored["call_id"]) == sorted(calls["call_id"])  # each call once
    analysed = {r["call_id"] for r in a.rows} | {r["call_id"] for r in b.rows}
    assert len(analysed) == 20  # and by one run only


def test_the_analysis_of_a_call_without_a_transcript_any_more_goes(warehouse):
    done, rows = analyse(warehouse, tenant())
    gone = sorted(rows)[0]
    with warehouse.connect() as con:
        con.execute(f"DELETE FROM {CALL_TRANSCRIPTS.qualified} WHERE call_id = ?", [gone])
    done, rows = analyse(warehouse, tenant())
    stored = warehouse.read_slices(CALL_ANALYSES.qualified, SLICES)
    assert gone not in rows and gone not in set(stored["call_id"]) and len(stored) == 19
