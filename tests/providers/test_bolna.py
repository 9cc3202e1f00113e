"""Bolna: the execution mapping, and the client against the emulator on 127.0.0.1 (no mocks)."""

import time
from datetime import date, datetime, timedelta

import pytest

from callintel_dagster.lib.ingest.rows import call_rows, lead_rows
from callintel_dagster.lib.ingest.window import SyncWindow
from callintel_dagster.lib.tenants.source_configs import BolnaConfig
from callintel_dagster.providers.base import PermanentProviderError
from callintel_dagster.providers.bolna.mapping import (
    execution_to_call,
    execution_to_customer,
    flatten_extracted,
    map_status,
    parse_utc,
    pending_ids,
)
from callintel_dagster.providers.bolna.source import BolnaSource
from emulators.bolna import BolnaEmulator

KEY = "k-123"
DAY = date(2026, 11, 18)
START = datetime(2026, 11, 17, 18, 30)  # the IST day in naive UTC
END = START + timedelta(days=1)
LIST = "GET /v2/agent/{agent_id}/executions"
DETAIL = "GET /executions/{execution_id}"

FULL = {
    "id": "e1",
    "agent_id": "a1",
    "conversation_duration": 42.3,
    "total_cost": 14.9,
    "status": "completed",
    "answered_by_voice_mail": False,
    "transcript": "assistant: Hi, this is Maya.\nuser: Yes, tell me.\n",
    "created_at": "2024-01-23T01:14:37Z",
    "updated_at": "2024-01-23T01:16:02Z",
    "cost_breakdown": {"llm": 4.2, "synthesizer": 6.8},
    "telephony_data": {
        "duration": "42",
        "to_number": "+919800000000",
        "from_number": "+19876543007",
        "recording_url": "https://x/RE1.mp3",
        "provider_call_id": "CA1",
        "call_type": "outbound",
        "hangup_by": "Caller",
        "hangup_reason": "Normal Hangup",
    },
    "extracted_data": {"user_interested": True, "name": "Priya Nair"},
}
NESTED = {
    "customer_name": {"subjective": "Rohan Gupta", "objective": None, "confidence": 0.9},
    "appointment_booked": {"subjective": "Saturday 11 am", "objective": True, "confidence": 0.8},
    "email": {"subjective": None, "objective": "rohan@example.com", "reasoning_objective": "said"},
}


def execution(**changes) -> dict:
    tel = {**FULL["telephony_data"], **changes.pop("telephony_data", {})}
    return {**FULL, **changes, "telephony_data": tel}


# ---- mapping ----


@pytest.mark.parametrize(
    "status, voicemail, expected",
    [
        ("completed", False, ("completed", True)),
        ("completed", True, ("voicemail", True)),
        ("no-answer", False, ("no_answer", True)),
        ("busy", False, ("busy", True)),
        ("failed", False, ("failed", True)),
        ("error", False, ("failed", True)),
        ("canceled", False, ("failed", True)),
        ("balance-low", False, ("failed", True)),
        ("call-disconnected", False, ("completed", False)),
        ("in-progress", False, ("completed", False)),
        ("queued", False, ("no_answer", False)),
        ("ringing", False, ("no_answer", False)),
        ("something-new", False, ("failed", True)),
    ],
)
def test_status_mapping(status, voicemail, expected):
    assert map_status(status, voicemail) == expected


@pytest.mark.parametrize(
    "changes, seconds",
    [
        ({}, 42.3),
        ({"conversation_duration": None, "conversation_time": 30}, 30.0),
        ({"conversation_duration": None, "telephony_data": {"duration": "17"}}, 17.0),
        ({"conversation_duration": None, "telephony_data": {"duration": None}}, None),
    ],
)
def test_duration_fields(changes, seconds):
    call = execution_to_call(execution(**changes))
    assert call["duration_seconds"] == seconds
    ended = call["ended_at_utc"]
    assert ended == (
        None if seconds is None else datetime(2024, 1, 23, 1, 14, 37) + timedelta(seconds=seconds)
    )


def test_full_execution_to_call():
    call = execution_to_call(FULL, "Maya")
    expected = {
        "call_id": "e1",
        "direction": "outbound",
        "agent_name": "Maya",
        "phone_raw": "+919800000000",
        "started_at_utc": datetime(2024, 1, 23, 1, 14, 37),
        "call_status": "completed",
        "recording_url": "https://x/RE1.mp3",
        "language": None,
        "terminal": True,
        "is_final": True,
        "bolna_status": "completed",
        "cost_cents": 14.9,
        "hangup_by": "Caller",
        "provider_call_id": "CA1",
        "updated_at_utc": datetime(2024, 1, 23, 1, 16, 2),
    }
    assert {k: call[k] for k in expected} == expected
    assert [t["role"] for t in call["turns"]] == ["agent", "customer"]
    rows = call_rows("acme", DAY, "IN", "bolna", [call], datetime(2026, 11, 19))
    assert rows.loc[0, "phone_e164"] == "+919800000000" and rows.loc[0, "is_final"]


def test_inbound_customer_is_the_caller_and_offsets_become_utc():
    call = execution_to_call(
        execution(telephony_data={"call_type": "inbound"}, created_at="2024-01-23T06:44:37+05:30")
    )
    assert call["phone_raw"] == "+19876543007"
    assert call["started_at_utc"] == datetime(2024, 1, 23, 1, 14, 37)


def test_trimmed_record_maps_without_details():
    trimmed = {
        "id": "e2",
        "status": "completed",
        "conversation_time": 9,
        "created_at": FULL["created_at"],
    }
    call = execution_to_call(trimmed)
    assert (call["duration_seconds"], call["phone_raw"], call["turns"]) == (9.0, None, [])
    assert execution_to_customer(trimmed) is None  # no extracted_data: no customer


@pytest.mark.parametrize(
    "extracted, name, email, status",
    [
        ({"user_interested": True, "name": "Priya Nair"}, "Priya Nair", None, "interested"),
        (
            {"user_interested": False, "first_name": "Priya", "last_name": "N"},
            "Priya N",
            None,
            "not_interested",
        ),
        ({"Lead Status": "Call Back Later"}, None, None, "call_back_later"),
        ({"address": {"city": "Pune"}}, None, None, "contacted"),
        (NESTED, "Rohan Gupta", "rohan@example.com", "booked"),
        ('{"name": "Meera", "booked": "yes"}', "Meera", None, "booked"),
    ],
)
def test_customer_from_both_extracted_shapes(extracted, name, email, status):
    lead = execution_to_customer(execution(extracted_data=extracted))
    assert (lead["full_name"], lead["email"], lead["lead_status"]) == (name, email, status)
    assert lead["lead_id"] == "bolna:+919800000000" and lead["lead_source"] == "voice_agent"
    rows = lead_rows("acme", DAY, "IN", "bolna", [lead], datetime(2026, 11, 19))
    assert rows.loc[0, "phone_valid"]


def test_nested_shape_flattens_value_and_keeps_details():
    flat = flatten_extracted(NESTED)
    assert flat["customer_name"] == "Rohan Gupta" and flat["customer_name.confidence"] == 0.9
    assert flat["appointment_booked"] is True
    assert flat["appointment_booked.subjective"] == "Saturday 11 am"
    assert flatten_extracted({"address": {"city": "Pune"}}) == {"address.city": "Pune"}


# ---- client against the emulator ----


@pytest.fixture
def emu():
    with BolnaEmulator(api_key=KEY) as emulator:
        yield emulator


def source(emu, key=KEY, page_size=50, **kw) -> BolnaSource:
    config = BolnaConfig(
        provider="bolna",
        base_url=emu.base_url,
        api_key_env="BOLNA_KEY",
        page_size=page_size,
        timeout_s=2.0,  # far above a local answer on a loaded machine, below the timeout fault
    )
    return BolnaSource("acme", config, key, **{"max_backoff_s": 0.05, **kw})


def window(since: datetime | None = None) -> SyncWindow:
    return SyncWindow("acme", DAY, START, END, now_utc=END + timedelta(hours=1), since_utc=since)


def test_pages_until_has_more_is_false(emu):
    emu.populate(DAY, n=45, agents=1)
    bolna = source(emu, page_size=10)
    calls = bolna.fetch_calls(window())
    assert len({c["call_id"] for c in calls}) == 45
    assert emu.requests[LIST] == 5 and bolna.requests == 6  # + the agent list
    assert {c["agent_name"] for c in calls} == {"Agent 0"}


def test_trimmed_records_are_fetched_by_id(emu):
    emu.trim_share = 0.5
    made = emu.populate(DAY, n=30, agents=1)
    trimmed = sum(emu.is_trimmed(e["id"]) for e in made)
    assert 0 < trimmed < 30
    calls = source(emu).fetch_calls(window())
    assert emu.requests[DETAIL] == trimmed
    assert all(c["phone_raw"] and c["direction"] and c["hangup_by"] for c in calls)


def test_both_duration_fields_and_extracted_shapes_from_the_api(emu):
    made = emu.populate(DAY, n=40, agents=2)
    bolna = source(emu)
    calls = {c["call_id"]: c for c in bolna.fetch_calls(window())}
    for e in made:
        if e["status"] == "completed":
            seconds = e.get("conversation_duration", e.get("conversation_time"))
            assert calls[e["id"]]["duration_seconds"] == seconds
    assert {"conversation_duration", "conversation_time"} <= {k for e in made for k in e}
    leads = bolna.fetch_leads(window())
    assert bolna.requests == 3  # the leads came from the same fetch: agents + one page per agent
    by_agent = {lead["extra"]["agent_id"]: lead for lead in leads if lead["full_name"]}
    assert set(by_agent) == {"agent-0-0", "agent-0-1"}  # a name from both shapes
    assert {lead["lead_status"] for lead in leads} <= {"booked", "interested", "not_interested"}


def test_disconnected_calls_complete_on_a_later_read_by_id(emu):
    agent = emu.add_agent("Maya")["id"]
    emu.add_execution(
        agent,
        START + timedelta(hours=3),
        id="d1",
        status="call-disconnected",
        conversation_duration=None,
        total_cost=None,
        extracted_data=None,
        telephony_data={"duration": None, "recording_url": None},
        completion={
            "conversation_duration": 61.0,
            "total_cost": 20.5,
            "extracted_data": {"name": "Kabir"},
        },
    )
    bolna = source(emu)
    [call] = bolna.fetch_calls(window())
    assert (call["call_status"], call["terminal"], call["duration_seconds"]) == (
        "completed",
        False,
        None,
    )
    assert bolna.fetch_leads(window()) == []  # nothing extracted yet
    emu.advance("d1", status="completed")
    before = bolna.requests
    [done] = bolna.fetch_by_ids(pending_ids([call]) + ["gone"])  # a deleted one is skipped
    assert (done["terminal"], done["duration_seconds"], done["cost_cents"]) == (True, 61.0, 20.5)
    assert done["agent_name"] == "Maya" and bolna.requests - before == 2


def test_populated_pending_calls_finish_on_advance(emu):
    emu.populate(DAY, n=40, agents=2)
    bolna = source(emu)
    pending = pending_ids(bolna.fetch_calls(window()))
    assert pending and all(emu.executions[i]["status"] == "call-disconnected" for i in pending)
    for execution_id in pending:
        emu.advance(execution_id)
    done = bolna.fetch_by_ids(pending)
    assert all(c["terminal"] and c["duration_seconds"] is not None for c in done)
    assert all(c["extracted_data"] and c["recording_url"] for c in done)


def test_bad_key_fails_at_once_naming_tenant_and_provider(emu):
    emu.populate(DAY, n=3, agents=1)
    bolna = source(emu, key="wrong")
    with pytest.raises(
        PermanentProviderError, match=r"tenant acme: bolna: GET /v2/agent/all → 403"
    ):
        bolna.fetch_calls(window())
    assert bolna.requests == 1


@pytest.mark.parametrize(
    "fault",
    [{"status": 429}, {"status": 503}, {"status": 500}, {"timeout": 3.0}, {"malformed": True}],
)
@pytest.mark.parametrize("route", ["/v2/agent/{agent_id}/executions", "/executions/{execution_id}"])
def test_transient_faults_are_retried(emu, fault, route):
    emu.trim_share = 1.0  # every record needs a detail read, so the detail route is exercised
    emu.populate(DAY, n=3, agents=1)
    emu.inject(route, fault)
    bolna = source(emu)
    assert len(bolna.fetch_calls(window())) == 3
    assert bolna.requests == 1 + 1 + 3 + 1  # agents, one page, three details, one retry


def test_retry_after_is_honoured(emu):
    emu.populate(DAY, n=3, agents=1)
    emu.inject("/v2/agent/{agent_id}/executions", {"status": 429, "retry_after": 1})
    bolna = source(emu, max_backoff_s=5)
    began = time.monotonic()
    assert len(bolna.fetch_calls(window())) == 3
    assert time.monotonic() - began >= 1.0 and bolna.requests == 3


def test_window_boundaries(emu):
    agent = emu.add_agent("Maya")["id"]
    offsets = {"before": -1.0, "first": 0.0, "last": 86399.999, "end": 86400.0, "after": 86401.0}
    for name, seconds in offsets.items():
        emu.add_execution(agent, START + timedelta(seconds=seconds), id=name)
    assert {c["call_id"] for c in source(emu).fetch_calls(window())} == {"first", "last"}


def test_incremental_window_reads_fewer_pages_with_a_margin(emu):
    made = emu.populate(DAY, n=100, agents=1)
    since = END - timedelta(hours=3)
    full = source(emu, page_size=10)
    assert len(full.fetch_calls(window())) == 100
    full_pages = emu.requests[LIST]
    emu.requests.clear()
    calls = source(emu, page_size=10).fetch_calls(window(since))
    low = since - timedelta(minutes=30)
    expected = {e["id"] for e in made if parse_utc(e["created_at"]) >= low}
    assert {c["call_id"] for c in calls} == expected and expected
    assert emu.requests[LIST] < full_pages
    assert any(c["started_at_utc"] < since for c in calls)  # the re-read margin


def test_customers_dedupe_per_phone_across_formats(emu):
    agent = emu.add_agent("Maya")["id"]
    for i, (number, data) in enumerate(
        [("+91 98123 45678", {"name": "Priya"}), ("09812345678", {"user_interested": True})]
    ):
        emu.add_execution(
            agent,
            START + timedelta(hours=i + 1),
            updated_at=(START + timedelta(hours=i + 1, minutes=2)).isoformat() + "Z",
            telephony_data={"to_number": number},
            extracted_data=data,
        )
    [lead] = source(emu).fetch_leads(window())
    assert lead["lead_id"] == "bolna:+919812345678"
    assert (lead["full_name"], lead["lead_status"]) == ("Priya", "interested")
    assert lead["created_at_utc"] == START + timedelta(hours=1)
