"""CRM write-back through Dagster against the Zoho and LeadSquared emulators: a Zoho tenant and a
LeadSquared tenant with `writeback: true` get exactly one note / activity per analysed call with a
lead, however often the day runs; a tenant with write-back off gets none."""

from datetime import datetime

import dagster as dg
import pytest

from callintel_dagster.definitions import resolved_resource
from callintel_dagster.lib.synthetic import generate_day
from callintel_dagster.providers.zoho.source import clear_token_cache
from callintel_dagster.stages.writeback import COUNTS
from conftest import DAY, defs_for_tenants, register_tenants
from emulators.leadsquared import LeadSquaredEmulator
from emulators.zoho import ZohoEmulator

TZ = "Asia/Kolkata"
SEEDS = {"zoho_co": 3, "lsq_co": 4, "quiet_co": 5}
ZOHO_AUTH = "client_id_env: ZC, client_secret_env: ZS, refresh_token_env: ZR"
TENANTS = """
tenants:
  - id: zoho_co
    name: Zoho Co
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: 8, seed: 3}}
    crm: {{provider: zoho, accounts_url: "{zoho}", {auth}, writeback: true}}
  - id: lsq_co
    name: LSQ Co
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: 8, seed: 4}}
    crm: {{provider: leadsquared, base_url: "{lsq}", access_key_env: LA, secret_key_env: LS,
           requests_per_5s: 20, writeback: true, activity_event: 201, tag_field: mx_Custom_1}}
  - id: quiet_co
    name: Quiet Co
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: 8, seed: 5}}
    crm: {{provider: zoho, accounts_url: "{zoho}", {auth}}}
"""
# everything crm_writeback needs (ingest, transcripts, analyses, dbt up to fct_calls) and itself;
# dim_contacts too: a dbt test of fct_calls refers to it
JOB = dg.define_asset_job(
    "writeback_test_job",
    selection=dg.AssetSelection.assets("crm_writeback").upstream()
    | dg.AssetSelection.assets("dim_contacts"),
)


def day_phones(tenant: str) -> list[str]:
    """The callers of the tenant's synthetic day but the first one who answered: that call is
    analysed and recorded as no_lead."""
    calls = generate_day(tenant, DAY, TZ, calls_per_day=8, leads_per_day=0, seed=SEEDS[tenant])
    answered = next(c for c in calls.calls if c["call_status"] == "completed")
    return [c["phone_raw"] for c in calls.calls if c["phone_raw"] != answered["phone_raw"]]


@pytest.fixture
def emulators(monkeypatch):
    clear_token_cache()
    modified = datetime(2026, 11, 18, 4, 0)  # 09:30 in Kolkata: inside DAY
    with ZohoEmulator() as zoho, LeadSquaredEmulator() as lsq:
        lsq.add_account("ak", "sk")
        for tenant in ("zoho_co", "quiet_co"):
            for i, phone in enumerate(day_phones(tenant)):
                zoho.add_lead(First_Name=f"{tenant}{i}", Mobile=phone, Modified_Time=modified)
        for i, phone in enumerate(day_phones("lsq_co")):
            lsq.add_lead(modified, ProspectID=f"p-{i}", Mobile=phone, FirstName=f"L{i}")
        for name, value in (("ZC", zoho.client_id), ("ZS", zoho.client_secret), ("LA", "ak")):
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("ZR", next(iter(zoho.refresh_tokens)))
        monkeypatch.setenv("LS", "sk")
        yield zoho, lsq
    clear_token_cache()


def with_writeback(defs: dg.Definitions) -> dg.Definitions:
    """The definitions plus a job that runs the graph up to the write-back."""
    return dg.Definitions.merge(defs, dg.Definitions(jobs=[JOB]))


def run_day(defs, instance) -> dict:
    result = defs.resolve_job_def(JOB.name).execute_in_process(
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": f"{DAY}|zoho_co",
            "dagster/asset_partition_range_end": f"{DAY}|quiet_co",
        },
    )
    assert result.success
    # one event per tenant-day of the range, each with its own counts: the run's are their sum
    events = [
        {k: v.value for k, v in e.materialization.metadata.items()}
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey("crm_writeback")
    ]
    summed = (*COUNTS, "dagster/row_count")
    return events[0] | {name: sum(e.get(name, 0) for e in events) for name in summed}


def test_each_analysed_call_with_a_lead_gets_exactly_one_note(
    tmp_path, monkeypatch, instance, emulators
):
    zoho, lsq = emulators
    urls = {"zoho": zoho.base_url, "lsq": lsq.base_url, "auth": ZOHO_AUTH}
    defs = with_writeback(defs_for_tenants(tmp_path, monkeypatch, TENANTS.format(**urls)))
    register_tenants(instance, ["zoho_co", "lsq_co", "quiet_co"])

    first = run_day(defs, instance)
    second = run_day(defs, instance)

    warehouse = resolved_resource(defs, "warehouse")
    ok = warehouse.query(
        "SELECT a.tenant_id, a.call_id, f.lead_id FROM core.call_analyses a "
        "JOIN marts.fct_calls f USING (tenant_id, partition_date, call_id) "
        "WHERE a.analysis_status = 'ok'"
    )
    ledger = warehouse.query("SELECT * FROM delivery.crm_writebacks")
    written = ledger[ledger["status"] == "written"]
    with_lead = ok[ok["lead_id"].notna() & (ok["tenant_id"] != "quiet_co")]
    assert len(with_lead) >= 4, "the synthetic day should give both tenants analysed calls"
    assert sorted(written["call_id"]) == sorted(with_lead["call_id"])
    no_lead = ledger.loc[ledger["status"] == "no_lead", "call_id"]
    assert set(no_lead) == set(
        ok.loc[ok["lead_id"].isna() & (ok["tenant_id"] != "quiet_co"), "call_id"]
    )
    assert len(no_lead) >= 1
    assert "quiet_co" not in set(ledger["tenant_id"])
    assert (written["attempts"] == 1).all() and written["remote_id"].is_unique

    # in the CRMs: one note / activity per written call, carrying its reference line
    notes = [n for notes in zoho.notes.values() for n in notes]
    activities = [a for acts in lsq.accounts["ak"].activities.values() for a in acts]
    assert len(notes) == (written["tenant_id"] == "zoho_co").sum() > 0
    assert len(activities) == (written["tenant_id"] == "lsq_co").sum() > 0
    for row in written.itertuples():
        if row.tenant_id == "zoho_co":
            [note] = [n for n in zoho.notes_of(row.lead_id) if n["id"] == row.remote_id]
            assert f"callintel ref: {row.call_id} / " in note["Note_Content"]
        else:
            [act] = [a for a in lsq.activities_of(row.lead_id) if a["Id"] == row.remote_id]
            assert f"callintel ref: {row.call_id} / " in act["Data"]["ActivityEvent_Note"]
            assert act["EventCode"] == 201 and act["Data"]["mx_Custom_1"]
    quiet_leads = {lead["id"] for lead in zoho.records["Leads"].values()
                   if lead["First_Name"].startswith("quiet_co")}  # fmt: skip
    assert not quiet_leads & set(zoho.notes)

    assert first["written"] == len(written) and first["failed"] == 0
    assert first["writeback_off"] == ["quiet_co"]
    assert second["written"] == 0 and second["already_written"] == len(written)
    assert second["dagster/row_count"] == 0
