"""The analysis stage on a temporary DuckDB with the offline analyser: analysed, skipped with a
reason, held back as pending by the run cap, and reused on the next run."""

from datetime import date, datetime

import pytest

from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.synthetic import SyntheticSource
from callintel_dagster.resources.analyzers import OfflineAnalyzer
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.analysis import analyse_tenant
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
    warehouse = Warehouse(url=f"duckdb:///{tmp_path}/w.duckdb")
    sync_tenant(warehouse, tenant(), [DAY], SyntheticSource(tenant()), CALLS, NOW)
    warehouse.write(transcribe_tenant(warehouse, tenant(), [DAY], None).writes(SLICES))
    return warehouse


def analyse(warehouse, t: Tenant):
    done = analyse_tenant(warehouse, t, [DAY], OfflineAnalyzer(t), NOW)
    warehouse.write(done.writes(SLICES))
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
