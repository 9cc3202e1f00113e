"""LeadSquared: the pure mapping, then the client against real emulators on 127.0.0.1."""

import time
import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from callintel_dagster.lib.dayspan import day_window_utc
from callintel_dagster.lib.ingest.rows import lead_rows
from callintel_dagster.lib.ingest.window import SyncWindow
from callintel_dagster.lib.tables import CRM_LEADS
from callintel_dagster.lib.tenants.source_configs import LeadSquaredConfig
from callintel_dagster.providers.base import PermanentProviderError
from callintel_dagster.providers.leadsquared.mapping import (
    flatten,
    format_lsq_date,
    lead_to_record,
    parse_lsq_date,
)
from callintel_dagster.providers.leadsquared.source import LeadSquaredSource, _api_host
from emulators.leadsquared import LEADS_PATH, USER_PATH, LeadSquaredEmulator

DAY = date(2026, 11, 18)
KEY, SECRET = "u$r1a2b3c4", "s3cr3t-value"
LEADS = f"POST {LEADS_PATH}"
USER = f"GET {USER_PATH}"
RATE_LIMIT_BODY = {
    "Status": "Error",
    "ExceptionType": "MXAPIRateLimitExceededException",
    "ExceptionMessage": "API calls exceeded the limit of 20 in 5 second(s)",
}

# ---- mapping (pure) --------------------------------------------------------------------------


def _props(**attrs) -> dict:
    return {"LeadPropertyList": [{"Attribute": k, "Value": v} for k, v in attrs.items()]}


def test_flatten_attribute_value_list():
    lead = _props(ProspectID="p1", FirstName="Priya", Phone=None)
    assert flatten(lead) == {"ProspectID": "p1", "FirstName": "Priya", "Phone": None}
    assert flatten({"ProspectID": "p1"}) == {"ProspectID": "p1"}  # already flat


@pytest.mark.parametrize(
    "tz,modified,expected_utc",
    [
        ("UTC", "2026-11-18 10:00:00", datetime(2026, 11, 18, 10, 0)),
        ("Asia/Kolkata", "2026-11-18 10:00:00", datetime(2026, 11, 18, 4, 30)),
        ("Asia/Kolkata", "2026-11-18 02:00:00", datetime(2026, 11, 17, 20, 30)),  # day before
        ("Asia/Kolkata", "2026-11-18 10:00:00.000", datetime(2026, 11, 18, 4, 30)),
        ("Asia/Kolkata", "2026-11-18T10:00:00Z", datetime(2026, 11, 18, 10, 0)),  # offset wins
        ("UTC", "2026-11-18 10:00:00+05:30", datetime(2026, 11, 18, 4, 30)),
    ],
)
def test_dates_read_in_the_configured_timezone(tz, modified, expected_utc):
    record = lead_to_record({"ProspectID": "p1", "ModifiedOn": modified}, tz)
    assert record["modified_at_utc"] == expected_utc
    assert record["modified_at_utc"].tzinfo is None


def test_full_lead_maps_to_ingest_keys():
    flat = flatten(
        _props(
            ProspectID="p1",
            FirstName="Priya",
            LastName="Iyer",
            EmailAddress="priya@example.in",
            Phone="080-41234567",
            Mobile="+91-9812345678",
            ProspectStage="Opportunity",
            Source="99acres",
            CreatedOn="2026-11-01 09:00:00",
            ModifiedOn="2026-11-18 10:00:00",
            mx_City="Pune",
        )
    )
    assert lead_to_record(flat, "Asia/Kolkata") == {
        "lead_id": "p1",
        "full_name": "Priya Iyer",
        "phone_raw": "+91-9812345678",
        "email": "priya@example.in",
        "lead_source": "99acres",
        "lead_status": "Opportunity",
        "created_at_utc": datetime(2026, 11, 1, 3, 30),
        "modified_at_utc": datetime(2026, 11, 18, 4, 30),
        # the landline is not the phone we keep, so it stays with the custom fields
        "extra": {"Phone": "080-41234567", "mx_City": "Pune"},
    }


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_empty_values_are_none_and_mobile_falls_back_to_phone(empty):
    flat = {
        "ProspectID": "p1",
        "FirstName": empty,
        "LastName": "Rao",
        "EmailAddress": empty,
        "Mobile": empty,
        "Phone": "09812345678",
        "CreatedOn": empty,
        "mx_City": empty,
    }
    record = lead_to_record(flat, "UTC")
    assert record["full_name"] == "Rao" and record["phone_raw"] == "09812345678"
    assert record["email"] is None and record["created_at_utc"] is None
    assert record["extra"] == {}  # empty values carry nothing


@pytest.mark.parametrize("tz", ["UTC", "Asia/Kolkata"])
def test_missing_fields(tz):
    record = lead_to_record({"ProspectID": "p1"}, tz)
    assert record["lead_id"] == "p1" and record["extra"] == {}
    assert all(v is None for k, v in record.items() if k not in ("lead_id", "extra"))


def test_unreadable_date_is_kept_in_extra():
    record = lead_to_record({"ProspectID": "p1", "ModifiedOn": "yesterday"}, "UTC")
    assert record["modified_at_utc"] is None and record["extra"] == {"ModifiedOn": "yesterday"}


@pytest.mark.parametrize(
    "dt,tz,expected",
    [
        (datetime(2026, 11, 17, 18, 30), "Asia/Kolkata", "2026-11-18 00:00:00"),
        (datetime(2026, 11, 17, 18, 30), "UTC", "2026-11-17 18:30:00"),
        (datetime(2026, 11, 17, 18, 30, tzinfo=UTC), "Asia/Kolkata", "2026-11-18 00:00:00"),
    ],
)
def test_format_lsq_date(dt, tz, expected):
    assert format_lsq_date(dt, tz) == expected
    assert parse_lsq_date(expected, tz) == dt.replace(tzinfo=None)


@pytest.mark.parametrize(
    "answer,expected",
    [
        (
            {"LSQCommonServiceURLs": {"api": "api-in21.leadsquared.com"}},
            "https://api-in21.leadsquared.com",
        ),
        (
            [{"lsqCommonServiceUrls": {"API": "https://api-us11.leadsquared.com/"}}],
            "https://api-us11.leadsquared.com",
        ),
        ({"Id": "u1"}, None),
        ({"LSQCommonServiceURLs": {"api": ""}}, None),
        (None, None),
    ],
)
def test_discovery_answer_shapes(answer, expected):
    assert _api_host(answer) == expected


# ---- client against the emulator -------------------------------------------------------------


def window(tz: str = "UTC", since: datetime | None = None) -> SyncWindow:
    start, end = day_window_utc(DAY, tz)
    return SyncWindow("t", DAY, start, end, now_utc=end + timedelta(hours=1), since_utc=since)


def source(base_url: str | None, **config) -> LeadSquaredSource:
    """A source for a fresh tenant id: the rate limiter is shared per tenant across the process."""
    key, secret = config.pop("keys", (KEY, SECRET))
    settings = {"requests_per_5s": 100, "page_size": 5, "timeout_s": 1.0, **config}
    cfg = LeadSquaredConfig(
        provider="leadsquared",
        base_url=base_url,
        access_key_env="LSQ_ACCESS_KEY",
        secret_key_env="LSQ_SECRET_KEY",
        **settings,
    )
    return LeadSquaredSource(f"t-{uuid.uuid4().hex[:8]}", cfg, key, secret, max_backoff_s=0.2)


@pytest.fixture
def lsq():
    with LeadSquaredEmulator(region="in21") as emulator:
        emulator.add_account(KEY, SECRET)
        yield emulator


def populate_day(emulator: LeadSquaredEmulator, n: int, tz: str = "UTC") -> set[str]:
    start, end = day_window_utc(DAY, tz)
    return set(emulator.populate(n, seed=7, modified_between=(start, end - timedelta(seconds=1))))


@pytest.mark.parametrize("n,page_requests", [(12, 3), (10, 3), (4, 1), (0, 1)])
def test_pages_until_a_short_page(lsq, n, page_requests):
    ids = populate_day(lsq, n)
    src = source(lsq.base_url)
    leads = src.fetch_leads(window())
    assert {lead["lead_id"] for lead in leads} == ids and len(leads) == n
    assert lsq.requests[LEADS] == page_requests == src.requests


def test_leads_are_flattened_into_ingest_records(lsq):
    populate_day(lsq, 30)
    lead_id = lsq.add_lead(
        datetime(2026, 11, 18, 9, 15),
        created_utc=datetime(2026, 11, 2, 8),
        FirstName="Kavya",
        LastName="Menon",
        Mobile="",
        Phone="+91 98123 45678",
        EmailAddress="kavya@example.in",
        ProspectStage="Prospect",
        Source="Walk-in",
    )
    leads = {lead["lead_id"]: lead for lead in source(lsq.base_url).fetch_leads(window())}
    assert leads[lead_id] == {
        "lead_id": lead_id,
        "full_name": "Kavya Menon",
        "phone_raw": "+91 98123 45678",
        "email": "kavya@example.in",
        "lead_source": "Walk-in",
        "lead_status": "Prospect",
        "created_at_utc": datetime(2026, 11, 2, 8),
        "modified_at_utc": datetime(2026, 11, 18, 9, 15),
        "extra": {},
    }
    frame = lead_rows("t", DAY, "IN", "leadsquared", list(leads.values()), datetime(2026, 11, 19))
    assert list(frame.columns) == CRM_LEADS.column_names and len(frame) == 31
    assert frame["phone_valid"].mean() > 0.8  # the mixed phone formats normalise


@pytest.mark.parametrize("tz", ["UTC", "Asia/Kolkata"])
def test_window_dates_in_the_account_timezone(tz):
    start, end = day_window_utc(DAY, tz)
    second = timedelta(seconds=1)
    with LeadSquaredEmulator(region="in21") as emulator:
        emulator.add_account(KEY, SECRET, timezone=tz)
        inside = {emulator.add_lead(t) for t in (start, start + second, end - second)}
        for t in (start - second, end, end + timedelta(hours=3)):
            emulator.add_lead(t)
        leads = source(emulator.base_url, date_timezone=tz).fetch_leads(window(tz))
        assert {lead["lead_id"] for lead in leads} == inside
        assert min(lead["modified_at_utc"] for lead in leads) == start
        # the trap: an account on local time read as UTC shifts the window by 5:30
        if tz != "UTC":
            wrong = source(emulator.base_url, date_timezone="UTC").fetch_leads(window(tz))
            assert {lead["lead_id"] for lead in wrong} != inside


@pytest.mark.parametrize(
    "throttle", [{"status": 429}, {"status": 200, "body": RATE_LIMIT_BODY}], ids=["429", "200"]
)
def test_throttling_is_retried(lsq, throttle):
    ids = populate_day(lsq, 7)
    lsq.inject(LEADS_PATH, throttle, throttle)
    src = source(lsq.base_url)
    assert {lead["lead_id"] for lead in src.fetch_leads(window())} == ids
    assert src.requests == 2 + 2  # two pages, two refusals


def test_provider_rate_limit_is_retried():
    with LeadSquaredEmulator(rate_limit=2, rate_window_s=0.5, throttle="alternate") as emulator:
        emulator.add_account(KEY, SECRET)
        ids = populate_day(emulator, 7)
        # a limiter far above the account's limit: the provider refuses, the client waits
        src = LeadSquaredSource(
            f"t-{uuid.uuid4().hex[:8]}",
            LeadSquaredConfig(
                provider="leadsquared",
                base_url=emulator.base_url,
                access_key_env="A",
                secret_key_env="B",
                requests_per_5s=100,
                page_size=2,
            ),
            KEY,
            SECRET,
        )
        assert {lead["lead_id"] for lead in src.fetch_leads(window())} == ids
        assert emulator.throttled >= 1 and src.requests == 4 + emulator.throttled


@pytest.mark.integration  # waits out a real 5-second rate window
def test_client_limiter_matching_the_account_is_never_throttled():
    with LeadSquaredEmulator(rate_limit=3, throttle="200") as emulator:
        emulator.add_account(KEY, SECRET)
        ids = populate_day(emulator, 4)
        src = source(emulator.base_url, requests_per_5s=3, page_size=1)
        began = time.monotonic()
        assert {lead["lead_id"] for lead in src.fetch_leads(window())} == ids
        assert emulator.throttled == 0 and src.requests == 5
        assert time.monotonic() - began >= 5.0  # the 4th request waited for the next window


def test_wrong_key_fails_at_once(lsq):
    src = source(lsq.base_url, keys=(KEY, "not-the-secret"))
    with pytest.raises(PermanentProviderError, match=r"leadsquared: .*bad key or wrong region"):
        src.fetch_leads(window())
    assert src.requests == 1


def test_wrong_region_fails_at_once_like_a_wrong_key(lsq):
    with LeadSquaredEmulator(region="us11") as us11:
        us11.link(lsq)  # the keys are real, just not this region's
        src = source(us11.base_url)
        with pytest.raises(PermanentProviderError, match="bad key or wrong region") as err:
            src.fetch_leads(window())
        assert src.requests == 1 and us11.requests[LEADS] == 1
        assert SECRET not in str(err.value) and KEY not in str(err.value)


def test_host_is_discovered_once(lsq):
    ids = populate_day(lsq, 7)
    with LeadSquaredEmulator(region="api") as generic:
        generic.link(lsq)
        cfg = LeadSquaredConfig(
            provider="leadsquared", access_key_env="A", secret_key_env="B", page_size=5
        )
        src = LeadSquaredSource("t-discover", cfg, KEY, SECRET, discovery_url=generic.base_url)
        for _ in range(2):
            assert {lead["lead_id"] for lead in src.fetch_leads(window())} == ids
        assert generic.requests[USER] == 1 and generic.requests[LEADS] == 0
        assert lsq.requests[LEADS] == 4 and src.requests == 5


def test_discovery_without_a_host_stays_on_the_discovery_host(lsq):
    ids = populate_day(lsq, 3)
    lsq.inject(USER_PATH, {"status": 200, "body": {"Id": "u1"}})
    cfg = LeadSquaredConfig(provider="leadsquared", access_key_env="A", secret_key_env="B")
    src = LeadSquaredSource(
        f"t-{uuid.uuid4().hex[:8]}", cfg, KEY, SECRET, discovery_url=lsq.base_url
    )
    assert {lead["lead_id"] for lead in src.fetch_leads(window())} == ids


def test_discovery_with_a_bad_key_fails_at_once(lsq):
    cfg = LeadSquaredConfig(provider="leadsquared", access_key_env="A", secret_key_env="B")
    src = LeadSquaredSource("t-bad", cfg, KEY, "wrong", discovery_url=lsq.base_url)
    with pytest.raises(PermanentProviderError, match="bad key or wrong region"):
        src.fetch_leads(window())
    assert src.requests == 1


@pytest.mark.parametrize(
    "fault",
    [{"status": 503}, {"status": 500}, {"timeout": 1.5}, {"malformed": True}],
    ids=["503", "500", "timeout", "malformed"],
)
def test_transient_faults_are_recovered(lsq, fault):
    ids = populate_day(lsq, 7)
    lsq.inject(LEADS_PATH, fault)
    src = source(lsq.base_url)
    assert {lead["lead_id"] for lead in src.fetch_leads(window())} == ids
    assert src.requests == 3


def test_error_in_a_200_body_is_permanent(lsq):
    body = {"Status": "Error", "ExceptionType": "MXInvalidInputException", "ExceptionMessage": "x"}
    lsq.inject(LEADS_PATH, {"status": 200, "body": body})
    src = source(lsq.base_url)
    with pytest.raises(PermanentProviderError, match="MXInvalidInputException"):
        src.fetch_leads(window())
    assert src.requests == 1


def test_incremental_window_returns_only_recent_changes(lsq):
    start, _ = day_window_utc(DAY, "UTC")
    ids = sorted(lsq.populate(20, seed=3, modified_between=(start, start + timedelta(hours=6))))
    since = start + timedelta(hours=8)
    lsq.touch_lead(ids[0], since + timedelta(minutes=5), ProspectStage="Customer")
    lsq.touch_lead(ids[1], since, ProspectStage="Opportunity")  # FromDate is inclusive
    new = lsq.add_lead(since + timedelta(hours=1), FirstName="Arjun")
    leads = source(lsq.base_url).fetch_leads(window(since=since))
    assert {lead["lead_id"] for lead in leads} == {ids[0], ids[1], new}
    assert {lead["lead_status"] for lead in leads if lead["lead_id"] == ids[0]} == {"Customer"}
    assert len(source(lsq.base_url).fetch_leads(window())) == 21  # the full day: everything
    # a cursor before the day (the re-read margin) still reads only this day
    yesterday = lsq.add_lead(start - timedelta(minutes=30))
    early = source(lsq.base_url).fetch_leads(window(since=start - timedelta(hours=1)))
    assert len(early) == 21 and yesterday not in {lead["lead_id"] for lead in early}


def test_emulator_accepts_query_param_keys(lsq):
    answer = httpx.get(f"{lsq.base_url}{USER_PATH}", params={"accessKey": KEY, "secretKey": SECRET})
    assert answer.status_code == 200
    assert answer.json()["LSQCommonServiceURLs"]["api"] == lsq.base_url
    assert httpx.get(f"{lsq.base_url}{USER_PATH}").status_code == 401
