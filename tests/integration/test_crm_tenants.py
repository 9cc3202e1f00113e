"""Zoho CRM and LeadSquared tenants through Dagster against their emulators: today's leads land,
and a second incremental sync asks only for what changed."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from callintel_dagster.definitions import resolved_resource
from callintel_dagster.lib.dayspan import day_window_utc, local_today
from callintel_dagster.providers.zoho.source import clear_token_cache
from conftest import defs_for_tenants, register_tenants
from emulators.leadsquared import LeadSquaredEmulator
from emulators.zoho import ZohoEmulator

TZ = "Asia/Kolkata"
TENANTS = """
tenants:
  - id: zoho_co
    name: Zoho Co
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: 0}}
    crm: {{provider: zoho, accounts_url: "{zoho}", client_id_env: ZC, client_secret_env: ZS,
           refresh_token_env: ZR}}
  - id: lsq_co
    name: LSQ Co
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: 0}}
    crm: {{provider: leadsquared, base_url: "{lsq}", access_key_env: LA, secret_key_env: LS,
           requests_per_5s: 20}}
"""


@pytest.fixture
def emulators(monkeypatch):
    clear_token_cache()
    today = local_today(TZ)
    start = day_window_utc(today, TZ)[0]
    now = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=5)
    with ZohoEmulator() as zoho, LeadSquaredEmulator() as lsq:
        zoho.populate(n_leads=40, n_deals=10, seed=1, modified_between=(start, max(start, now)))
        lsq.add_account("ak", "sk")
        lsq.populate(30, seed=2, modified_between=(start, max(start, now)), access_key="ak")
        monkeypatch.setenv("ZC", zoho.client_id)
        monkeypatch.setenv("ZS", zoho.client_secret)
        monkeypatch.setenv("ZR", next(iter(zoho.refresh_tokens)))
        monkeypatch.setenv("LA", "ak")
        monkeypatch.setenv("LS", "sk")
        yield zoho, lsq


def sync(defs, instance, tenant):
    result = (
        defs.resolve_job_def("sync_job")
        .get_subset(asset_selection={dg.AssetKey("crm_leads")})
        .execute_in_process(
            instance=instance,
            partition_key=f"{local_today(TZ)}|{tenant}",
            tags={"callintel/sync": "incremental"},
        )
    )
    [event] = result.get_asset_materialization_events()
    return {k: v.value for k, v in event.materialization.metadata.items()}


@pytest.mark.parametrize("tenant,leads", [("zoho_co", 40), ("lsq_co", 30)])
def test_crm_day_lands_then_incremental_sync_reads_only_changes(
    tmp_path, monkeypatch, instance, emulators, tenant, leads
):
    zoho, lsq = emulators
    defs = defs_for_tenants(
        tmp_path, monkeypatch, TENANTS.format(zoho=zoho.base_url, lsq=lsq.base_url)
    )
    register_tenants(instance, ["zoho_co", "lsq_co"])

    first = sync(defs, instance, tenant)
    assert first["full_windows"] == 1 and first["inserted"] == leads
    second = sync(defs, instance, tenant)
    assert second["incremental_windows"] == 1
    assert second["inserted"] == 0 and second["fetched"] < leads
    warehouse = resolved_resource(defs, "warehouse")
    stored = warehouse.query("SELECT lead_id FROM raw.crm_leads WHERE tenant_id = ?", [tenant])
    assert len(stored) == leads and stored["lead_id"].is_unique
    if tenant == "zoho_co":
        deals = warehouse.query("SELECT deal_id, stage FROM raw.crm_deals")
        assert len(deals) == 10 and deals["stage"].notna().all()
