"""Digest numbers as the tenant allows (`privacy.digest_numbers`): a summary that names a
customer's number shows it masked by default (`+91 ••••• •3210`), whole only with `full`."""

from datetime import date, datetime

import pandas as pd
import pytest

from callintel_dagster.lib.digest.daily_summary import DailySummary
from callintel_dagster.lib.digest.text import compose_digest, numbers_as_allowed
from callintel_dagster.lib.tables import DAILY_SUMMARIES, KPI_TENANT_DAILY
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.digest import load_digest

DAY = date(2026, 11, 18)
SUMMARY = DailySummary(
    headline="2 follow-ups, one from +919876543210",
    wins=["Asha booked +14155550123 for Friday"],
    risks=["A bad number: +9100000012345 (Ravi)"],
    actions=["Call back 2 follow-ups: +919876543210 (Ravi), +919812345678 (Asha)"],
)
KPIS = {"calls": 3, "connected_calls": 2, "connect_rate": 0.66, "talk_minutes": 4.0}


def test_numbers_are_masked_by_default_and_whole_only_when_allowed():
    masked = compose_digest("Acme", DAY, KPIS, SUMMARY).text
    assert "+91 ••••• •3210 (Ravi), +91 ••••• •5678 (Asha)" in masked
    assert "one from +91 ••••• •3210" in masked and "+1 •••-•••-0123" in masked
    assert "9876543210" not in masked and "98765" not in masked
    assert "00000012345" not in masked and "2345 (Ravi)" in masked  # invalid: masked all the same
    full = compose_digest("Acme", DAY, KPIS, SUMMARY, digest_numbers="full").text
    assert "+91 98765 43210 (Ravi), +91 98123 45678 (Asha)" in full


def test_the_template_facts_carry_the_masked_numbers_too():
    digest = compose_digest("Acme", DAY, KPIS, SUMMARY)
    assert not any("43210" in value for value in digest.facts.values())


def test_a_wrong_mode_is_refused():
    with pytest.raises(ValueError, match="'masked' or 'full'"):
        numbers_as_allowed(SUMMARY, "partial")


def test_the_stage_shows_numbers_as_the_tenant_allows(tmp_path):
    warehouse = Warehouse(url=f"duckdb:///{tmp_path}/w.duckdb")
    row = {"tenant_id": "acme", "partition_date": DAY, "provider": "offline", "model": "m"}
    row |= {"headline": SUMMARY.headline, "summary_json": SUMMARY.model_dump_json()}
    row |= {"created_at_utc": datetime(2026, 11, 19, 3, 0)}
    warehouse.replace_slices(DAILY_SUMMARIES, [("acme", DAY)], pd.DataFrame([row]))
    kpis = pd.DataFrame([{"tenant_id": "acme", "partition_date": DAY, **KPIS}])
    with warehouse.connect() as con:
        con.register("kpis", kpis)
        con.execute(f"CREATE TABLE {KPI_TENANT_DAILY} AS SELECT * FROM kpis")

    def text(**privacy) -> str:
        tenant = Tenant(id="acme", name="Acme", timezone="Asia/Kolkata", privacy=privacy)
        return load_digest(warehouse, tenant, DAY).text

    assert "+91 ••••• •3210" in text() and "9876543210" not in text()
    assert "+91 98765 43210" in text(digest_numbers="full")
