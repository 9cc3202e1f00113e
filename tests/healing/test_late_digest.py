"""A digest sent after its send time says so, in the tenant's own clock."""

from datetime import date

import pytest

from callintel_dagster.definitions import resolved_resource
from callintel_dagster.lib.digest.daily_summary import DailySummary
from callintel_dagster.lib.digest.text import render_digest
from callintel_dagster.stages.digest import LATE_TAG
from conftest import run_job

SUMMARY = DailySummary(
    headline="3 booked from 12 calls.", wins=["3 bookings"], risks=[], actions=[]
)
KPIS = {"calls": 12, "connected": 9, "analysed_calls": 9, "avg_quality_score": 61.0, "booked": 3}


def test_a_late_digest_says_when_it_was_due_and_an_on_time_one_says_nothing():
    late = render_digest("Acme", date(2026, 11, 18), KPIS, SUMMARY, late="08:30 IST")
    lines = late.split("\n")
    assert lines[1] == "⏰ _Sent late: this digest was due at 08:30 IST._"
    on_time = render_digest("Acme", date(2026, 11, 18), KPIS, SUMMARY)
    assert "late" not in on_time and on_time.split("\n")[1:] == lines[2:]


@pytest.mark.integration
def test_the_late_run_marks_the_digest_it_sends(defs, instance):
    run_job(defs, instance, tags={LATE_TAG: "2026-11-19T03:00+00:00"})
    warehouse = resolved_resource(defs, "warehouse")
    [body] = warehouse.query("SELECT body FROM delivery.digests WHERE tenant_id = 'acme'")[
        "body"
    ].tolist()
    assert "due at 08:30 IST" in body  # 03:00 UTC in Kolkata
