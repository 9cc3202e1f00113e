"""CRM write-back clients against the Zoho and LeadSquared emulators on 127.0.0.1 (no mocks)."""

from datetime import datetime

import pytest

from callintel_dagster.lib.crm_notes import CallNote
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.lib.tenants.source_configs import BolnaConfig, LeadSquaredConfig, ZohoConfig
from callintel_dagster.providers.base import PermanentProviderError
from callintel_dagster.providers.leadsquared.writeback import (
    CREATE_PATH,
    LeadSquaredWriter,
)
from callintel_dagster.providers.zoho.source import clear_token_cache
from callintel_dagster.providers.zoho.writeback import ZohoWriter
from callintel_dagster.resources.crm_writeback import CrmWriters
from emulators.leadsquared import LeadSquaredEmulator
from emulators.zoho import ZohoEmulator

NOTE = CallNote(
    call_id="acme-C-20261118-00001",
    agent_version="offline-v3",
    contact_tag="follow_up",
    lead_status="callback",
    summary="Wants a demo tomorrow at 5 pm;\n see https://example.com/offer for the price.",
    started_at_utc=datetime(2026, 11, 18, 6, 23, 19),
    timezone="Asia/Kolkata",
)


@pytest.fixture(autouse=True)
def fresh_token_cache():
    clear_token_cache()
    yield
    clear_token_cache()


@pytest.fixture
def zoho():
    with ZohoEmulator() as emulator:
        emulator.add_lead(id="4876876000000200001", First_Name="Kavya", Last_Name="Iyer")
        yield emulator


@pytest.fixture
def lsq():
    with LeadSquaredEmulator() as emulator:
        emulator.add_account("ak", "sk")
        emulator.add_lead(datetime(2026, 11, 18, 5), ProspectID="p-1", FirstName="Kavya")
        yield emulator


def zoho_writer(em: ZohoEmulator, **config) -> ZohoWriter:
    cfg = ZohoConfig(
        provider="zoho",
        accounts_url=em.base_url,
        client_id_env="ZC",
        client_secret_env="ZS",
        refresh_token_env="ZR",
        writeback=True,
        timeout_s=2.0,
        **config,
    )
    refresh = next(iter(em.refresh_tokens))
    return ZohoWriter("acme", cfg, em.client_id, em.client_secret, refresh, max_backoff_s=0.1)


def lsq_writer(em: LeadSquaredEmulator, **config) -> LeadSquaredWriter:
    cfg = LeadSquaredConfig(
        provider="leadsquared",
        base_url=em.base_url,
        access_key_env="LA",
        secret_key_env="LS",
        requests_per_5s=100,
        writeback=True,
        activity_event=201,
        timeout_s=2.0,
        **config,
    )
    return LeadSquaredWriter("acme", cfg, "ak", "sk", max_backoff_s=0.1)


def test_zoho_note_on_the_lead_carries_tag_status_summary_and_reference(zoho):
    writer = zoho_writer(zoho)
    note_id = writer.write_call_note("4876876000000200001", NOTE)
    [note] = zoho.notes_of("4876876000000200001")
    assert note["id"] == note_id
    assert note["Note_Title"] == "Call summary: Follow up (18 Nov 2026 11:53 IST)"
    content = note["Note_Content"]
    assert "Contact tag: Follow up" in content and "Lead status: Callback" in content
    assert "Wants a demo tomorrow at 5 pm; see for the price." in content
    assert "http" not in content and NOTE.reference in content
    assert zoho.requests["POST /crm/v8/{module}/{record_id}/Notes"] == 1


def test_zoho_retry_finds_the_note_already_written_instead_of_posting_again(zoho):
    writer = zoho_writer(zoho)
    first = writer.write_call_note("4876876000000200001", NOTE)
    again = writer.write_call_note("4876876000000200001", NOTE, check_existing=True)
    assert again == first and len(zoho.notes_of("4876876000000200001")) == 1


def test_zoho_unknown_lead_is_a_clear_permanent_failure(zoho):
    with pytest.raises(PermanentProviderError, match=r"lead 999 not found in Zoho.*INVALID_DATA"):
        zoho_writer(zoho).write_call_note("999", NOTE)
    with pytest.raises(PermanentProviderError, match="not a Zoho record id"):
        zoho_writer(zoho).write_call_note("../Deals", NOTE)


def test_zoho_invalid_token_is_refreshed_once_and_the_note_written(zoho):
    writer = zoho_writer(zoho)
    writer.write_call_note("4876876000000200001", NOTE)
    zoho.revoke_all_tokens()  # the cached token now answers 401 INVALID_TOKEN
    second = CallNote(**{**NOTE.__dict__, "call_id": "acme-C-20261118-00002"})
    writer.write_call_note("4876876000000200001", second)
    assert len(zoho.notes_of("4876876000000200001")) == 2
    assert zoho.requests["POST /oauth/v2/token"] == 2


def test_lsq_activity_on_the_lead_with_event_date_note_and_fields(lsq):
    writer = lsq_writer(lsq, tag_field="mx_Custom_1", status_field="mx_Custom_2")
    activity_id = writer.write_call_note("p-1", NOTE)
    [activity] = lsq.activities_of("p-1")
    assert activity["Id"] == activity_id and activity["EventCode"] == 201
    assert activity["ActivityDateTime"] == "2026-11-18 06:23:19"  # UTC, as documented
    data = activity["Data"]
    assert data["mx_Custom_1"] == "Follow up" and data["mx_Custom_2"] == "Callback"
    assert NOTE.reference in data["ActivityEvent_Note"]
    assert len(data["ActivityEvent_Note"]) <= 2000 and "http" not in data["ActivityEvent_Note"]


def test_lsq_retry_finds_the_activity_already_posted(lsq):
    writer = lsq_writer(lsq)
    first = writer.write_call_note("p-1", NOTE)
    assert writer.write_call_note("p-1", NOTE, check_existing=True) == first
    assert len(lsq.activities_of("p-1")) == 1


def test_lsq_unknown_lead_is_a_clear_permanent_failure(lsq):
    with pytest.raises(PermanentProviderError, match="lead nope not found in LeadSquared"):
        lsq_writer(lsq).write_call_note("nope", NOTE)
    assert lsq.requests[f"POST {CREATE_PATH}"] == 1  # not retried


def test_lsq_throttled_as_http_200_is_retried(lsq):
    throttled = {
        "status": 200,
        "body": {
            "Status": "Error",
            "ExceptionType": "MXAPIRateLimitExceededException",
            "ExceptionMessage": "API calls exceeded the limit of 5 in 5 second(s)",
        },
    }
    lsq.inject(CREATE_PATH, throttled, throttled, {"status": 429})
    lsq_writer(lsq).write_call_note("p-1", NOTE)
    assert len(lsq.activities_of("p-1")) == 1
    assert lsq.requests[f"POST {CREATE_PATH}"] == 4


def test_lsq_region_is_discovered_as_for_reads(lsq):
    with LeadSquaredEmulator(region="in21") as home:
        home.add_account("ak2", "sk2")
        home.add_lead(datetime(2026, 11, 18, 5), ProspectID="p-9")
        lsq.link(home)
        cfg = LeadSquaredConfig(
            provider="leadsquared",
            access_key_env="LA",
            secret_key_env="LS",
            requests_per_5s=100,
            writeback=True,
            activity_event=201,
        )
        # its own tenant: the rate limiter's window is per tenant and process-wide
        writer = LeadSquaredWriter("in21_co", cfg, "ak2", "sk2", discovery_url=lsq.base_url)
        writer.write_call_note("p-9", NOTE)
        assert len(home.activities_of("p-9")) == 1


def test_writers_per_tenant_and_bolna_says_it_cannot_write(zoho, monkeypatch):
    monkeypatch.setenv("ZC", zoho.client_id)
    monkeypatch.setenv("ZS", zoho.client_secret)
    monkeypatch.setenv("ZR", next(iter(zoho.refresh_tokens)))
    crm = ZohoConfig(
        provider="zoho", accounts_url=zoho.base_url, client_id_env="ZC", client_secret_env="ZS",
        refresh_token_env="ZR", writeback=True,
    )  # fmt: skip
    tenant = Tenant(id="acme", name="Acme", timezone="Asia/Kolkata", crm=crm)
    writer = CrmWriters().for_tenant(tenant)
    assert writer.can_write and writer.write_call_note("4876876000000200001", NOTE)
    bolna = BolnaConfig(provider="bolna", api_key_env="BK", writeback=True)
    voice = Tenant(id="voice", name="Voice", timezone="Asia/Kolkata", crm=bolna)
    no_api = CrmWriters().for_tenant(voice)
    assert not no_api.can_write and "no customer-record API" in no_api.reason
