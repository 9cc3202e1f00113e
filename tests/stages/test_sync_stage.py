"""The sync stage on a temporary DuckDB: full and incremental windows, the cursor, re-reading
records that are not final, companion rows, and a failing source that leaves everything as it
was. `ScriptedSource` stands in for an outside provider (what it returns is scripted)."""

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from callintel_dagster.lib.dayspan import local_today
from callintel_dagster.lib.tables import (
    CALL_RECORDS,
    CRM_DEALS,
    CRM_LEADS,
    HELD_CALLS,
    QUARANTINED_RECORDS,
    SYNC_CURSORS,
    SYNC_LOG,
)
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.base import NO_CAPABILITIES, SourceCapabilities
from callintel_dagster.providers.synthetic import SyntheticSource
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.sync import CURSOR_OVERLAP, sync_tenant
from callintel_dagster.stages.sync_specs import CALLS, LEADS

DAY = date(2026, 11, 18)  # a past day: complete in every timezone
NOW = datetime(2026, 11, 20, 12, 0)
TENANT = Tenant.model_validate(
    {
        "id": "acme",
        "name": "Acme",
        "timezone": "Asia/Kolkata",
        "calls": {"provider": "synthetic", "calls_per_day": 12, "seed": 3},
        "crm": {"provider": "synthetic", "leads_per_day": 5},
    }
)


@pytest.fixture
def warehouse(tmp_path):
    return Warehouse(url=f"duckdb:///{tmp_path}/w.duckdb")


class ScriptedSource:
    """A provider whose answers the test sets; it records what it was asked."""

    provider = "scripted"
    requests = 0

    def __init__(self, capabilities=NO_CAPABILITIES, calls=(), leads=(), deals=(), final=()):
        self.capabilities = capabilities
        self.calls, self.leads, self.deals = list(calls), list(leads), deals
        self.final = {c["call_id"]: c for c in final}  # what fetch_by_ids answers
        self.windows, self.reread, self.committed = [], [], False

    def fetch_calls(self, window):
        self.windows.append(window)
        return self.calls

    def fetch_leads(self, window):
        self.windows.append(window)
        return self.leads

    def fetch_deals(self, window):
        if isinstance(self.deals, Exception):
            raise self.deals
        return list(self.deals)

    def fetch_by_ids(self, ids):
        self.reread += ids
        return [self.final[i] for i in ids]

    def commit(self):
        self.committed = True


def call(call_id: str, status="completed", final=True, hour=10) -> dict:
    started = datetime(2026, 11, 18, hour, 0)  # 15:30 in Kolkata: on DAY
    return {
        "call_id": call_id,
        "phone_raw": "+91 98123 45678",
        "started_at_utc": started,
        "ended_at_utc": started + timedelta(minutes=3),
        "duration_seconds": 180.0,
        "call_status": status,
        "is_final": final,
    }


def lead(lead_id: str) -> dict:
    at = datetime(2026, 11, 18, 9, 0)
    return {
        "lead_id": lead_id,
        "full_name": "Asha",
        "phone_raw": "9812345678",
        "created_at_utc": at,
        "modified_at_utc": at,
    }


def deal(deal_id: str) -> dict:
    at = datetime(2026, 11, 18, 9, 30)
    return {"deal_id": deal_id, "deal_name": "Flat 4B", "stage": "Qualification", "amount": 9e6,
            "created_at_utc": at, "modified_at_utc": at}  # fmt: skip


def count(warehouse, table, where="") -> int:
    return int(warehouse.query(f"SELECT count(*) AS n FROM {table.qualified} {where}")["n"][0])


def cursor(warehouse, source="call_records"):
    found = warehouse.query(
        f"SELECT cursor_utc FROM {SYNC_CURSORS.qualified} WHERE source = ?", [source]
    )
    return None if found.empty else found["cursor_utc"][0].to_pydatetime()


def test_a_full_sync_upserts_its_days_and_a_repeat_changes_nothing(warehouse):
    days = [DAY, DAY + timedelta(days=1)]
    first = sync_tenant(warehouse, TENANT, days, SyntheticSource(TENANT), CALLS, NOW)
    assert first.counts["full_windows"] == 2 and first.counts["incremental_windows"] == 0
    assert first.counts["fetched"] == first.counts["inserted"] == len(first.rows) > 0
    assert count(warehouse, CALL_RECORDS) == len(first.rows)
    assert count(warehouse, SYNC_LOG, "WHERE source = 'call_records'") == 2
    assert cursor(warehouse) is None  # past days only: "today" was not read

    again = sync_tenant(warehouse, TENANT, days, SyntheticSource(TENANT), CALLS, NOW)
    assert again.counts["unchanged"] == again.counts["fetched"] == len(first.rows)
    assert again.counts["inserted"] == again.counts["updated"] == 0
    assert count(warehouse, CALL_RECORDS) == len(first.rows)  # upserted, never duplicated


def test_an_incremental_sync_reads_today_since_the_cursor(warehouse):
    today = local_today(TENANT.timezone)
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    source = ScriptedSource()
    first = sync_tenant(warehouse, TENANT, [today], source, CALLS, now, incremental=True)
    assert first.counts["full_windows"] == 1  # no cursor yet: the whole day
    assert source.windows[-1].since_utc is None and cursor(warehouse) == now

    later = now + timedelta(minutes=5)
    second = sync_tenant(warehouse, TENANT, [today], source, CALLS, later, incremental=True)
    assert second.counts["incremental_windows"] == 1
    assert source.windows[-1].since_utc == now - CURSOR_OVERLAP
    assert cursor(warehouse) == later

    full = sync_tenant(warehouse, TENANT, [today], source, CALLS, later, incremental=False)
    assert full.counts["full_windows"] == 1 and source.windows[-1].since_utc is None


def test_calls_not_final_are_read_again_by_id_until_final(warehouse):
    source = ScriptedSource(
        SourceCapabilities(rereads_by_id=True),
        calls=[call("c1", "no_answer", final=False), call("c2")],
        final=[call("c1")],
    )
    first = sync_tenant(warehouse, TENANT, [DAY], source, CALLS, NOW)
    assert "reread_pending" not in first.counts and first.counts["inserted"] == 2

    source.calls = []  # the provider's list no longer shows them: only the re-read finds c1
    second = sync_tenant(warehouse, TENANT, [DAY], source, CALLS, NOW)
    assert source.reread == ["c1"] and second.counts["reread_pending"] == 1
    assert second.counts["updated"] == 1 and second.counts["fetched"] == 1
    stored = warehouse.query(f"SELECT call_status, is_final FROM {CALL_RECORDS.qualified} "
                             "WHERE call_id = 'c1'")  # fmt: skip
    assert stored.to_dict("records") == [{"call_status": "completed", "is_final": True}]

    third = sync_tenant(warehouse, TENANT, [DAY], source, CALLS, NOW)
    assert "reread_pending" not in third.counts and source.reread == ["c1"]


def test_a_source_that_does_not_declare_rereads_is_not_asked(warehouse):
    source = ScriptedSource(calls=[call("c1", "no_answer", final=False)], final=[call("c1")])
    sync_tenant(warehouse, TENANT, [DAY], source, CALLS, NOW)
    done = sync_tenant(warehouse, TENANT, [DAY], source, CALLS, NOW)
    assert source.reread == [] and "reread_pending" not in done.counts


def test_deals_come_with_leads_from_a_crm_that_has_them(warehouse):
    crm = ScriptedSource(
        SourceCapabilities(has_deals=True), leads=[lead("l1"), lead("l2")], deals=[deal("d1")]
    )
    done = sync_tenant(warehouse, TENANT, [DAY], crm, LEADS, NOW)
    assert done.counts["deals"] == 1 and done.counts["inserted"] == 2
    assert count(warehouse, CRM_LEADS) == 2 and count(warehouse, CRM_DEALS) == 1

    without = ScriptedSource(leads=[lead("l3")], deals=[deal("d2")])
    done = sync_tenant(warehouse, TENANT, [DAY], without, LEADS, NOW)
    assert "deals" not in done.counts and count(warehouse, CRM_DEALS) == 1


def test_a_drop_folder_commits_only_after_the_rows_are_written(warehouse):
    seen = []

    class Folder(ScriptedSource):
        def commit(self):
            seen.append(count(warehouse, CALL_RECORDS))

    sync_tenant(warehouse, TENANT, [DAY], Folder(calls=[call("c1")]), CALLS, NOW)
    assert seen == []  # not declared: never committed
    folder = Folder(SourceCapabilities(commits_after_write=True), calls=[call("c2")])
    sync_tenant(warehouse, TENANT, [DAY], folder, CALLS, NOW)
    assert seen == [2]


def test_a_failing_source_writes_nothing_and_keeps_the_cursor(warehouse):
    today = local_today(TENANT.timezone)
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    crm = ScriptedSource(SourceCapabilities(has_deals=True), leads=[lead("l1")])
    sync_tenant(warehouse, TENANT, [today], crm, LEADS, now, incremental=True)
    before = (
        count(warehouse, CRM_LEADS),
        count(warehouse, SYNC_LOG),
        cursor(warehouse, "crm_leads"),
    )

    broken = ScriptedSource(
        SourceCapabilities(has_deals=True),
        leads=[lead("l2")],  # fetched, then the deals request fails: the leads are not written
        deals=RuntimeError("503 from the CRM"),
    )
    with pytest.raises(RuntimeError, match="503"):
        later = now + timedelta(minutes=5)
        sync_tenant(warehouse, TENANT, [today], broken, LEADS, later, incremental=True)
    after = (
        count(warehouse, CRM_LEADS),
        count(warehouse, SYNC_LOG),
        cursor(warehouse, "crm_leads"),
    )
    assert after == before and before[2] == now


@pytest.fixture
def any_warehouse(warehouse_url):
    return Warehouse(url=warehouse_url)


def test_nul_and_control_characters_land_repaired_and_noted(any_warehouse):
    dirty = {
        **call("c1"),
        "agent_name": "Ri\x00ya",
        "transcript_text": "agent: hello\x00\x1b there",
        "turns": [{"role": "agent", "text": "hello\x00"}],
    }
    source = ScriptedSource(calls=[dirty, call("c2")])
    done = sync_tenant(any_warehouse, TENANT, [DAY], source, CALLS, NOW)
    assert done.counts["inserted"] == 2 and "quarantined" not in done.counts
    rows = any_warehouse.query(
        f"SELECT call_id, agent_name, transcript_text, transcript_turns_json, repairs "
        f"FROM {CALL_RECORDS.qualified} ORDER BY call_id"
    ).to_dict("records")
    assert rows[0]["agent_name"] == "Riya" and "\x00" not in rows[0]["transcript_turns_json"]
    assert rows[0]["transcript_text"] == "agent: hello there"
    assert (
        rows[0]["repairs"]
        == "agent_name:control_chars, transcript_text:control_chars, turns:control_chars"
    )
    assert rows[1]["repairs"] is None


def test_a_bad_record_is_quarantined_alone_and_resolved_when_it_lands(warehouse):
    broken = {**call("c2"), "started_at_utc": None}
    source = ScriptedSource(calls=[call("c1"), broken, call("c3")])
    done = sync_tenant(warehouse, TENANT, [DAY], source, CALLS, NOW)
    assert done.counts["inserted"] == 2 and done.counts["quarantined"] == 1
    assert done.counts["quarantined: started_at_utc: missing"] == 1
    landed = warehouse.query(f"SELECT call_id FROM {CALL_RECORDS.qualified} ORDER BY 1")
    assert landed["call_id"].tolist() == ["c1", "c3"]
    held = warehouse.query(f"SELECT * FROM {QUARANTINED_RECORDS.qualified}").to_dict("records")
    assert len(held) == 1 and held[0]["record_id"] == "c2" and held[0]["status"] == "open"
    assert held[0]["reason"] == "started_at_utc: missing"
    assert str(held[0]["partition_date"])[:10] == str(DAY)  # the window that fetched it

    source.calls = [call("c1"), call("c2"), call("c3")]  # the source fixed it: re-drive the day
    again = sync_tenant(warehouse, TENANT, [DAY], source, CALLS, NOW)
    assert again.counts["quarantine_resolved"] == 1
    held = warehouse.query(f"SELECT status, resolved_at_utc FROM {QUARANTINED_RECORDS.qualified}")
    assert held["status"].tolist() == ["resolved"] and held["resolved_at_utc"].notna().all()


def test_a_recordless_id_is_quarantined_under_a_hash(warehouse):
    source = ScriptedSource(calls=[{**call("x"), "call_id": None}, {**call("y"), "call_id": " "}])
    done = sync_tenant(warehouse, TENANT, [DAY], source, CALLS, NOW)
    held = warehouse.query(f"SELECT quarantine_id, reason FROM {QUARANTINED_RECORDS.qualified}")
    assert done.counts["quarantined"] == 2 and set(held["reason"]) == {"call_id: missing"}
    assert held["quarantine_id"].str.startswith("hash:").all() and held["quarantine_id"].is_unique


class WatermarkSource(ScriptedSource):
    capabilities = SourceCapabilities(own_watermark=True)

    def __init__(self, marks, **kw):
        super().__init__(SourceCapabilities(own_watermark=True), **kw)
        self.marks = list(marks)

    def fetch_calls(self, window):
        self.next_cursor = self.marks.pop(0)
        return super().fetch_calls(window)


def test_a_source_with_its_own_watermark_keeps_it_as_the_cursor(warehouse):
    today = local_today(TENANT.timezone)
    mark = datetime(2020, 1, 1, 8, 0)  # the database's clock, far from ours
    source = WatermarkSource([mark, None], calls=[call("c1")])
    sync_tenant(warehouse, TENANT, [today], source, CALLS, NOW, incremental=True)
    stored = warehouse.query(f"SELECT cursor_utc FROM {SYNC_CURSORS.qualified}")
    assert stored["cursor_utc"].tolist() == [pd.Timestamp(mark)]
    source.calls = []  # nothing new: the cursor stays where the source left it
    sync_tenant(warehouse, TENANT, [today], source, CALLS, NOW, incremental=True)
    assert source.windows[-1].since_utc == mark - CURSOR_OVERLAP
    stored = warehouse.query(f"SELECT cursor_utc FROM {SYNC_CURSORS.qualified}")
    assert stored["cursor_utc"].tolist() == [pd.Timestamp(mark)]


SQL_TENANT = Tenant.model_validate(
    {
        "id": "acme",
        "name": "Acme",
        "timezone": "Asia/Kolkata",
        "calls": {
            "provider": "sql",
            "url_env": "X",
            "table": "cdr",
            "watermark_column": "t",
            "only_crm_phones": True,
            "columns": {"call_id": "id", "phone": "p", "started_at": "t"},
        },
    }
)


def test_a_call_to_a_lead_that_lands_later_is_held_then_released(warehouse):
    crm = ScriptedSource(leads=[lead("L1")])  # +91 98123 45678
    sync_tenant(warehouse, SQL_TENANT, [DAY], crm, LEADS, NOW)
    stranger = {**call("c2"), "phone_raw": "+91 98123 45679"}
    calls = ScriptedSource(calls=[call("c1"), stranger])
    first = sync_tenant(warehouse, SQL_TENANT, [DAY], calls, CALLS, NOW)
    assert first.counts["crm_filter_held"] == 1 and list(first.rows["call_id"]) == ["c1"]
    held = warehouse.query(f"SELECT call_id FROM {HELD_CALLS.qualified}")
    assert held["call_id"].tolist() == ["c2"]

    # the CRM sync (which ran after the calls') brings c2's caller as a new lead
    crm.leads = [lead("L1"), {**lead("L2"), "phone_raw": "9812345679"}]
    sync_tenant(warehouse, SQL_TENANT, [DAY], crm, LEADS, NOW)
    calls.calls = []  # the next call sync sees nothing new from the source
    second = sync_tenant(warehouse, SQL_TENANT, [DAY], calls, CALLS, NOW)
    assert second.counts["crm_filter_released"] == 1 and second.counts["inserted"] == 1
    landed = warehouse.query(f"SELECT call_id, started_at_utc FROM {CALL_RECORDS.qualified}")
    assert sorted(landed["call_id"]) == ["c1", "c2"]
    assert warehouse.query(f"SELECT * FROM {HELD_CALLS.qualified}").empty
