"""Zoho CRM v8: the mapping, and ZohoSource against the real emulator on 127.0.0.1 (no mocks)."""

import logging
import time
from datetime import date, datetime, timedelta

import httpx
import pytest

from callintel_dagster.lib.ingest.rows import deal_rows, lead_rows
from callintel_dagster.lib.ingest.window import SyncWindow
from callintel_dagster.lib.tenants.source_configs import ZohoConfig
from callintel_dagster.providers.base import PermanentProviderError
from callintel_dagster.providers.zoho.mapping import deal_to_record, lead_to_record, parse_zoho_time
from callintel_dagster.providers.zoho.source import ZohoSource, clear_token_cache
from emulators.zoho import ZohoEmulator

DAY = date(2026, 11, 18)
START = datetime(2026, 11, 17, 18, 30)  # the day's start in Asia/Kolkata, as naive UTC
END = START + timedelta(days=1)
TOKEN = "POST /oauth/v2/token"
LIST = "GET /crm/v8/{module}"


def window(since: datetime | None = None) -> SyncWindow:
    return SyncWindow("acme", DAY, START, END, END + timedelta(hours=2), since)


@pytest.fixture(autouse=True)
def fresh_token_cache():
    clear_token_cache()  # emulator ports are reused: a stale cached token would skew counts
    yield
    clear_token_cache()


@pytest.fixture
def zoho():
    with ZohoEmulator() as emulator:
        yield emulator


def source(em: ZohoEmulator, tenant: str = "acme", **kw) -> ZohoSource:
    config = {"timeout_s": 2.0, **kw.pop("config", {})}
    cfg = ZohoConfig(
        provider="zoho",
        accounts_url=em.base_url,
        client_id_env="ZOHO_CLIENT_ID",
        client_secret_env="ZOHO_CLIENT_SECRET",
        refresh_token_env="ZOHO_REFRESH_TOKEN",
        **config,
    )
    return ZohoSource(
        tenant,
        cfg,
        em.client_id,
        kw.pop("client_secret", em.client_secret),
        kw.pop("refresh_token", next(iter(em.refresh_tokens))),
        max_backoff_s=kw.pop("max_backoff_s", 0.2),
        **kw,
    )


def modified_in_window(em: ZohoEmulator, module: str = "Leads") -> set[str]:
    return {
        rid
        for rid, rec in em.records[module].items()
        if START <= parse_zoho_time(rec["Modified_Time"]) < END
    }


# ---- mapping -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2026-11-18T10:15:30+05:30", datetime(2026, 11, 18, 4, 45, 30)),
        ("2026-11-18T01:00:00-08:00", datetime(2026, 11, 18, 9, 0)),
        ("2026-11-18T04:45:30Z", datetime(2026, 11, 18, 4, 45, 30)),
        ("2026-11-18T04:45:30", datetime(2026, 11, 18, 4, 45, 30)),  # bare: taken as UTC
        (None, None),
        ("", None),
        ("not a time", None),
    ],
)
def test_zoho_times_become_naive_utc(value, expected):
    assert parse_zoho_time(value) == expected


@pytest.mark.parametrize(
    "fields,phone_raw,extra_phone",
    [
        ({"Mobile": "+91 98123 45678", "Phone": "022 2345 6789"}, "+91 98123 45678", True),
        ({"Mobile": None, "Phone": "098123 45678"}, "098123 45678", False),
        ({"Mobile": "  ", "Phone": "9812345678"}, "9812345678", False),
        ({"Mobile": "9812345678", "Phone": "9812345678"}, "9812345678", False),
        ({}, None, False),
    ],
)
def test_lead_phone_prefers_mobile_and_keeps_the_other(fields, phone_raw, extra_phone):
    record = lead_to_record({"id": 1, **fields})
    assert record["phone_raw"] == phone_raw
    assert ("phone" in record["extra"]) is extra_phone


@pytest.mark.parametrize(
    "lead,full_name,status,source",
    [
        ({"Full_Name": "Priya Nair", "Lead_Status": "Contacted"}, "Priya Nair", "Contacted", None),
        (
            {"First_Name": "Emma", "Last_Name": "Lee", "Lead_Source": "Chat"},
            "Emma Lee",
            None,
            "Chat",
        ),
        (
            {"Last_Name": "Iyer", "Lead_Status": "-None-", "Lead_Source": "-None-"},
            "Iyer",
            None,
            None,
        ),
    ],
)
def test_lead_names_and_empty_picklists(lead, full_name, status, source):
    record = lead_to_record({"id": "5", **lead})
    assert (record["full_name"], record["lead_status"], record["lead_source"]) == (
        full_name,
        status,
        source,
    )


def test_lead_extra_flattens_owner_and_keeps_other_fields():
    lead = {
        "id": "48768760001",
        "Company": "Nimbus Labs",
        "City": "Pune",
        "Owner": {"name": "Ritika Sharma", "id": "777", "email": "r@x.example"},
        "$approval_state": "approved",
        "Designation": None,
        "Created_Time": "2026-11-18T09:00:00+05:30",
        "Modified_Time": "2026-11-18T10:00:00+05:30",
    }
    record = lead_to_record(lead)
    assert record["extra"] == {
        "company": "Nimbus Labs",
        "city": "Pune",
        "owner_name": "Ritika Sharma",
        "owner_id": "777",
        "owner_email": "r@x.example",
    }
    assert record["created_at_utc"] == datetime(2026, 11, 18, 3, 30)
    assert record["modified_at_utc"] == datetime(2026, 11, 18, 4, 30)


@pytest.mark.parametrize(
    "amount,expected", [(125000, 125000.0), ("99.5", 99.5), (None, None), ("n/a", None)]
)
def test_deal_amounts(amount, expected):
    assert deal_to_record({"id": 9, "Amount": amount})["amount"] == expected


def test_deal_mapping():
    deal = {
        "id": "4876876000000700001",
        "Deal_Name": "Blue Peak Realty - 2BHK",
        "Stage": "Negotiation/Review",
        "Amount": 4500000,
        "Currency": "INR",
        "Closing_Date": "2026-12-05",
        "Probability": 75,
        "Owner": {"name": "Arjun Mehta", "id": "333002", "email": "a@x.example"},
        "Contact_Name": {"name": "Rahul Verma", "id": "500001"},
        "Account_Name": None,
        "Created_Time": "2026-11-01T12:00:00+05:30",
        "Modified_Time": "2026-11-18T12:00:00+05:30",
    }
    record = deal_to_record(deal)
    assert record["deal_id"] == "4876876000000700001"
    assert (record["stage"], record["amount"], record["currency"]) == (
        "Negotiation/Review",
        4500000.0,
        "INR",
    )
    assert (record["owner_name"], record["owner_id"]) == ("Arjun Mehta", "333002")
    assert record["closing_date"] == date(2026, 12, 5)
    assert (record["contact_id"], record["contact_name"]) == ("500001", "Rahul Verma")
    assert record["account_id"] is None and record["probability"] == 75
    assert record["modified_at_utc"] == datetime(2026, 11, 18, 6, 30)


# ---- tokens ------------------------------------------------------------------------------


def test_token_fetched_once_and_shared_across_sources(zoho):
    zoho.populate(5, seed=1, modified_between=(START, END))
    first, second = source(zoho), source(zoho, tenant="acme-2")
    assert len(first.fetch_leads(window())) == 5
    assert len(second.fetch_leads(window())) == 5
    assert zoho.requests[TOKEN] == 1
    assert (first.requests, second.requests) == (2, 1)  # token + list; list only


def test_requests_use_api_domain_and_zoho_oauthtoken(zoho):
    port = zoho.base_url.rsplit(":", 1)[1]
    zoho.api_domain = f"http://localhost:{port}"  # another host: CRM calls on 127.0.0.1 get 404
    zoho.add_lead(Last_Name="Rao", Mobile="98123 45678", Modified_Time=START + timedelta(hours=1))
    assert [lead["full_name"] for lead in source(zoho).fetch_leads(window())] == ["Rao"]
    assert {entry["host"] for entry in zoho.api_log} == {f"localhost:{port}"}
    # the same token as Bearer is refused: only the Zoho-oauthtoken scheme works
    token = httpx.post(
        f"{zoho.base_url}/oauth/v2/token",
        params={
            "refresh_token": next(iter(zoho.refresh_tokens)),
            "client_id": zoho.client_id,
            "client_secret": zoho.client_secret,
            "grant_type": "refresh_token",
        },
    ).json()["access_token"]
    url = f"{zoho.api_domain}/crm/v8/Leads?fields=Last_Name"
    bearer = httpx.get(url, headers={"Authorization": f"Bearer {token}"})
    assert bearer.status_code == 401 and bearer.json()["code"] == "INVALID_TOKEN"
    assert httpx.get(url, headers={"Authorization": f"Zoho-oauthtoken {token}"}).status_code == 200


def test_invalid_token_refreshes_once_and_retries(zoho):
    zoho.populate(3, seed=2, modified_between=(START, END))
    src = source(zoho)
    src.fetch_leads(window())
    zoho.revoke_all_tokens()
    assert len(src.fetch_leads(window())) == 3
    assert zoho.requests[TOKEN] == 2
    assert [e["status"] for e in zoho.api_log] == [200, 401, 200]


def test_invalid_token_after_refresh_is_permanent(zoho):
    invalid = {"status": 401, "body": {"status": "error", "code": "INVALID_TOKEN"}}
    zoho.inject("/crm/v8/{module}", invalid, invalid)
    with pytest.raises(PermanentProviderError, match=r"tenant acme: zoho: .*INVALID_TOKEN"):
        source(zoho).fetch_leads(window())
    assert (zoho.requests[TOKEN], zoho.requests[LIST]) == (2, 2)


def test_expiring_token_is_refreshed_before_use():
    with ZohoEmulator(expires_in=1) as zoho:
        src = source(zoho)
        src.fetch_leads(window())
        time.sleep(1.0)  # cached for 0.9 s: lifetime minus a tenth
        src.fetch_leads(window())
        assert zoho.requests[TOKEN] == 2
        assert 401 not in [e["status"] for e in zoho.api_log]


@pytest.mark.parametrize(
    "credential,error",
    [("refresh_token", "invalid_code"), ("client_secret", "invalid_client")],
)
def test_bad_credentials_fail_at_once_without_leaking(zoho, credential, error):
    src = source(zoho, **{credential: "s3cret-wrong"})
    with pytest.raises(PermanentProviderError) as err:
        src.fetch_leads(window())
    assert str(err.value) == f"tenant acme: zoho: token refresh refused: {error}"
    assert src.requests == 1 and zoho.requests[LIST] == 0


def test_scope_mismatch_is_permanent(zoho):
    scope = {"status": 401, "body": {"status": "error", "code": "OAUTH_SCOPE_MISMATCH"}}
    zoho.inject("/crm/v8/{module}", scope)
    with pytest.raises(PermanentProviderError, match="OAUTH_SCOPE_MISMATCH"):
        source(zoho).fetch_deals(window())
    assert (zoho.requests[TOKEN], zoho.requests[LIST]) == (1, 1)


def test_refresh_rate_limit_is_waited_out():
    with ZohoEmulator(refreshes_per_minute=1, refresh_window_s=0.1) as zoho:
        source(zoho)._refresh()  # spends the allowance: the next refresh is "Access Denied"
        src = source(zoho, max_attempts=8)
        src.fetch_leads(window())
        assert zoho.requests[TOKEN] >= 3 and zoho.requests[LIST] == 1


def test_emulator_caps_live_tokens_and_refresh_rate():
    with ZohoEmulator(refreshes_per_minute=None, max_live_tokens=30) as zoho:
        form = {
            "refresh_token": next(iter(zoho.refresh_tokens)),
            "client_id": zoho.client_id,
            "client_secret": zoho.client_secret,
            "grant_type": "refresh_token",
        }
        tokens = [
            httpx.post(f"{zoho.base_url}/oauth/v2/token", data=form).json()["access_token"]
            for _ in range(31)
        ]
        url = f"{zoho.base_url}/crm/v8/Leads?fields=Last_Name"
        auth = [{"Authorization": f"Zoho-oauthtoken {t}"} for t in (tokens[0], tokens[1])]
        assert httpx.get(url, headers=auth[0]).status_code == 401  # the oldest was revoked
        assert httpx.get(url, headers=auth[1]).status_code == 204
        zoho.refreshes_per_minute = 0
        denied = httpx.post(f"{zoho.base_url}/oauth/v2/token", data=form)
        assert denied.status_code == 400 and denied.json()["error"] == "Access Denied"


def test_secrets_never_logged(zoho, caplog):
    caplog.set_level(logging.DEBUG)
    zoho.populate(2, seed=3, modified_between=(START, END))
    source(zoho).fetch_leads(window())
    assert zoho.requests[TOKEN] == 1
    assert zoho.client_secret not in caplog.text
    assert next(iter(zoho.refresh_tokens)) not in caplog.text


# ---- records -----------------------------------------------------------------------------


def test_window_keeps_the_local_day_and_stops_paging_at_its_end(zoho):
    zoho.populate(60, seed=4, modified_between=(START - timedelta(days=1), END + timedelta(days=1)))
    wanted = modified_in_window(zoho)
    leads = source(zoho, config={"per_page": 5}).fetch_leads(window())
    assert {lead["lead_id"] for lead in leads} == wanted
    assert all(START <= lead["modified_at_utc"] < END for lead in leads)
    # records before the day are filtered by If-Modified-Since; after it, paging stops
    assert zoho.requests[LIST] == len(wanted) // 5 + 1
    assert zoho.api_log[0]["if_modified_since"] == "2026-11-17T18:30:00+00:00"
    assert zoho.api_log[0]["query"]["sort_by"] == "Modified_Time"


def test_paging_past_2000_records_switches_to_page_token(zoho):
    zoho.populate(2300, seed=5, modified_between=(START, END))
    leads = source(zoho).fetch_leads(window())
    assert len({lead["lead_id"] for lead in leads}) == len(leads) == 2300
    pages = [e["query"].get("page") for e in zoho.api_log]
    assert pages == [str(p) for p in range(1, 11)] + [None, None]
    assert all("page_token" in e["query"] for e in zoho.api_log[10:])
    # the emulator refuses what a page-only client would ask next
    token = httpx.post(
        f"{zoho.base_url}/oauth/v2/token",
        data={
            "refresh_token": next(iter(zoho.refresh_tokens)),
            "client_id": zoho.client_id,
            "client_secret": zoho.client_secret,
            "grant_type": "refresh_token",
        },
    ).json()["access_token"]
    refused = httpx.get(
        f"{zoho.base_url}/crm/v8/Leads",
        params={"fields": "Last_Name", "page": 11, "per_page": 200},
        headers={"Authorization": f"Zoho-oauthtoken {token}"},
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "DISCRETE_PAGINATION_LIMIT_EXCEEDED"


def test_incremental_returns_only_changes_then_304(zoho):
    zoho.populate(30, seed=6, modified_between=(START, START + timedelta(hours=12)))
    src = source(zoho)
    assert len(src.fetch_leads(window())) == 30
    changed = list(zoho.records["Leads"])[:3]
    for rid in changed:
        zoho.update("Leads", rid, START + timedelta(hours=14), Lead_Status="Contacted")
    before = zoho.requests[LIST]
    leads = src.fetch_leads(window(since=START + timedelta(hours=13)))
    assert sorted(lead["lead_id"] for lead in leads) == sorted(changed)
    assert {lead["lead_status"] for lead in leads} == {"Contacted"}
    assert zoho.requests[LIST] - before == 1
    assert zoho.api_log[-1]["if_modified_since"] == "2026-11-18T07:30:00+00:00"
    assert src.fetch_leads(window(since=START + timedelta(hours=15))) == []
    assert zoho.api_log[-1]["status"] == 304 and zoho.requests[LIST] - before == 2
    assert zoho.requests[TOKEN] == 1


@pytest.mark.parametrize("status", [304, 204])
def test_empty_module_is_no_records(zoho, status):
    zoho.not_modified_status = status  # 204 or 304 without a body: both mean "nothing"
    assert source(zoho).fetch_deals(window()) == []
    assert zoho.api_log[-1]["status"] == status


def test_empty_module_without_if_modified_since_is_204(zoho):
    src = source(zoho)
    token = src._token()
    response = httpx.get(
        f"{token.api_domain}/crm/v8/Deals",
        params={"fields": "Deal_Name"},
        headers={"Authorization": f"Zoho-oauthtoken {token.access_token}"},
    )
    assert response.status_code == 204 and response.content == b""


def test_fields_are_required(zoho):
    token = source(zoho)._token()
    response = httpx.get(
        f"{token.api_domain}/crm/v8/Leads",
        headers={"Authorization": f"Zoho-oauthtoken {token.access_token}"},
    )
    assert response.status_code == 400 and response.json()["code"] == "REQUIRED_PARAM_MISSING"


@pytest.mark.parametrize(
    "fault",
    [{"status": 429}, {"status": 503}, {"status": 500}, {"malformed": True}, {"timeout": 1.5}],
)
def test_retryable_faults_are_recovered(zoho, fault):
    zoho.populate(4, seed=7, modified_between=(START, END))
    zoho.inject("/crm/v8/{module}", fault)
    src = source(zoho, config={"timeout_s": 1.0})
    assert len(src.fetch_leads(window())) == 4
    assert zoho.requests[LIST] == 2 and src.requests == 3


def test_token_endpoint_faults_are_retried(zoho):
    zoho.inject("/oauth/v2/token", {"status": 502}, {"malformed": True})
    src = source(zoho)
    assert src.fetch_leads(window()) == []
    assert zoho.requests[TOKEN] == 3


def test_retry_after_is_honoured(zoho):
    zoho.inject("/crm/v8/{module}", {"status": 429, "retry_after": 1})
    src = source(zoho, max_backoff_s=5.0)
    began = time.monotonic()
    src.fetch_leads(window())
    assert time.monotonic() - began >= 1.0 and zoho.requests[LIST] == 2


def test_leads_and_deals_reach_warehouse_rows(zoho):
    zoho.populate(20, 8, seed=8, modified_between=(START, END))
    src = source(zoho)
    leads, deals = src.fetch_leads(window()), src.fetch_deals(window())
    assert {d["deal_id"] for d in deals} == modified_in_window(zoho, "Deals")
    assert all(isinstance(d["amount"], float) and d["owner_name"] and d["stage"] for d in deals)
    assert all(isinstance(d["closing_date"], date) for d in deals)
    ingested = END + timedelta(hours=1)
    lead_frame = lead_rows("acme", DAY, "IN", "zoho", leads, ingested)
    deal_frame = deal_rows("acme", DAY, "zoho", deals, ingested)
    assert len(lead_frame) == 20 and len(deal_frame) == 8
    # numbers typed as +91 98..., 098... or 98... all normalise; leads without one are flagged
    with_phone = lead_frame[lead_frame.phone_raw.notna()]
    assert with_phone.phone_valid.all() and with_phone.phone_e164.str.startswith("+").all()
    assert set(deal_frame.columns) >= {"deal_id", "stage", "amount", "owner_name", "extra_json"}
    assert '"currency"' in deal_frame.extra_json.iloc[0]
