"""The CRM write-back stage on a temporary DuckDB: the exactly-once ledger's rules with a scripted
writer, and the real Zoho writer against the Zoho emulator (no Dagster run)."""

from datetime import datetime

import pandas as pd
import pytest

from callintel_dagster.lib.tables import CALL_ANALYSES, CRM_WRITEBACKS
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.lib.tenants.source_configs import ZohoConfig
from callintel_dagster.providers.base import PermanentProviderError
from callintel_dagster.providers.bolna.writeback import BolnaNoWriter
from callintel_dagster.providers.zoho.source import clear_token_cache
from callintel_dagster.providers.zoho.writeback import ZohoWriter
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.writeback import write_back
from conftest import DAY
from emulators.zoho import ZohoEmulator

TZ = "Asia/Kolkata"
LEDGER = CRM_WRITEBACKS.qualified
TENANT = Tenant(id="acme", name="Acme", timezone=TZ)
ZOHO_LEAD = "4876876000000200001"
NOTES = "POST /crm/v8/{module}/{record_id}/Notes"


class ScriptedWriter:
    """Fails the first `failures` writes; remembers what it was asked."""

    provider, requests, can_write, reason = "zoho", 0, True, None

    def __init__(self, failures: int = 0):
        self.failures, self.calls = failures, []

    def write_call_note(self, lead_id, note, *, check_existing=False):
        self.calls.append((lead_id, note.call_id, check_existing))
        if len(self.calls) <= self.failures:
            raise PermanentProviderError("acme", "zoho", f"lead {lead_id}: 400 INVALID_DATA")
        return f"note-{len(self.calls)}"

    def close(self):
        pass


def analysed_day(tmp_path, lead: str = "L1") -> Warehouse:
    """c1 analysed ok with lead `lead`, c2 analysed ok without a lead, c3 skipped."""
    warehouse = Warehouse(url=f"duckdb:///{tmp_path}/w.duckdb")
    base = {"tenant_id": "acme", "partition_date": DAY, "attempts": 1, "provider": "offline"}
    base |= {"model": "m", "agent_version": "v1", "input_hash": "h"}
    rows = [
        {**base, "call_id": "c1", "analysis_status": "ok", "contact_tag": "interested"},
        {**base, "call_id": "c2", "analysis_status": "ok", "summary": "No lead for me."},
        {**base, "call_id": "c3", "analysis_status": "skipped"},
    ]
    frame = pd.DataFrame([{**r, "analysed_at_utc": datetime(2026, 11, 18, 9)} for r in rows])
    warehouse.replace_slices(CALL_ANALYSES, [("acme", DAY)], frame)
    with warehouse.connect() as con:
        con.execute(
            "CREATE TABLE marts.fct_calls AS SELECT 'acme' AS tenant_id, DATE '2026-11-18' AS "
            "partition_date, * FROM (VALUES ('c1', ?), ('c2', NULL), ('c3', 'L3')) "
            "AS t(call_id, lead_id), (SELECT TIMESTAMP '2026-11-18 06:00:00' AS started_at_utc)",
            [lead],
        )
    return warehouse


@pytest.fixture
def ledger_warehouse(tmp_path):
    return analysed_day(tmp_path)


def ledger_of(warehouse):
    rows = warehouse.query("SELECT call_id, status, attempts, remote_id FROM " + LEDGER)
    return {r.call_id: (r.status, r.attempts, r.remote_id) for r in rows.itertuples()}


def test_failed_writes_are_retried_by_later_runs_up_to_three_attempts(ledger_warehouse):
    tenant = Tenant(id="acme", name="Acme", timezone=TZ)
    writer = ScriptedWriter(failures=3)
    for _ in range(4):
        out = write_back(tenant, [DAY], writer, ledger_warehouse)
        assert out.counts["no_lead"] == 1  # c2; c3 was not analysed ok
    assert writer.calls == [("L1", "c1", False), ("L1", "c1", True), ("L1", "c1", True)]
    assert ledger_of(ledger_warehouse)["c1"] == ("failed", 3, None)
    assert out.counts["gave_up"] == 1 and out.counts["failed"] == 0

    # an interrupted write ("sending") counts as an attempt and looks on the lead first
    with ledger_warehouse.connect() as con:
        con.execute(f"UPDATE {LEDGER} SET status = 'sending', attempts = 1 WHERE call_id = 'c1'")
    writer = ScriptedWriter()
    write_back(tenant, [DAY], writer, ledger_warehouse)
    assert writer.calls == [("L1", "c1", True)]
    assert ledger_of(ledger_warehouse)["c1"] == ("written", 2, "note-1")
    assert ledger_of(ledger_warehouse)["c2"][0] == "no_lead"


def test_bolna_tenant_is_recorded_as_no_crm_api_not_written(ledger_warehouse):
    tenant = Tenant(id="acme", name="Acme", timezone=TZ)
    out = write_back(tenant, [DAY], BolnaNoWriter(), ledger_warehouse)
    assert out.counts["no_crm_api"] == 2 and out.counts["written"] == 0
    ledger = ledger_of(ledger_warehouse)
    assert {k: v[0] for k, v in ledger.items()} == {"c1": "no_crm_api", "c2": "no_crm_api"}
    again = write_back(tenant, [DAY], BolnaNoWriter(), ledger_warehouse)
    assert again.counts["no_crm_api"] == 2 and again.rows == []  # nothing rewritten


def test_the_sending_row_is_committed_before_the_crm_is_asked(ledger_warehouse):
    seen = []

    class Peeking(ScriptedWriter):
        def write_call_note(self, lead_id, note, *, check_existing=False):
            seen.append(ledger_of(ledger_warehouse)[note.call_id])  # another connection
            return super().write_call_note(lead_id, note, check_existing=check_existing)

    out = write_back(TENANT, [DAY], Peeking(), ledger_warehouse)
    assert seen == [("sending", 1, None)]
    assert ledger_of(ledger_warehouse)["c1"] == ("written", 1, "note-1")
    assert [r["status"] for r in out.rows] == ["written", "no_lead"]  # not the "sending" row


@pytest.fixture
def zoho():
    clear_token_cache()
    with ZohoEmulator() as emulator:
        emulator.add_lead(id=ZOHO_LEAD, First_Name="Kavya", Last_Name="Iyer")
        yield emulator
    clear_token_cache()


def zoho_writer(em: ZohoEmulator) -> ZohoWriter:
    cfg = ZohoConfig(
        provider="zoho", accounts_url=em.base_url, client_id_env="ZC", client_secret_env="ZS",
        refresh_token_env="ZR", writeback=True, timeout_s=2.0,
    )  # fmt: skip
    refresh = next(iter(em.refresh_tokens))
    return ZohoWriter("acme", cfg, em.client_id, em.client_secret, refresh, max_backoff_s=0.1)


def test_zoho_gets_one_note_however_often_the_day_runs_or_crashes(zoho, tmp_path):
    warehouse = analysed_day(tmp_path, lead=ZOHO_LEAD)
    first = write_back(TENANT, [DAY], zoho_writer(zoho), warehouse)
    assert (first.counts["written"], first.counts["no_lead"]) == (1, 1)
    [note] = zoho.notes_of(ZOHO_LEAD)
    assert "callintel ref: c1 / v1" in note["Note_Content"]
    assert ledger_of(warehouse)["c1"] == ("written", 1, note["id"])

    again = write_back(TENANT, [DAY], zoho_writer(zoho), warehouse)
    assert again.counts["already_written"] == 1 and again.rows == []

    # the process died after Zoho took the note, before the ledger heard of it
    with warehouse.connect() as con:
        con.execute(
            f"UPDATE {LEDGER} SET status = 'sending', remote_id = NULL WHERE call_id = 'c1'"
        )
    found = write_back(TENANT, [DAY], zoho_writer(zoho), warehouse)
    assert found.counts["written"] == 1
    assert ledger_of(warehouse)["c1"] == ("written", 2, note["id"]), "adopted, not reposted"
    assert len(zoho.notes_of(ZOHO_LEAD)) == 1 and zoho.requests[NOTES] == 1
