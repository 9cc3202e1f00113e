"""One call's page data and its audio, on DuckDB (the snapshot) and PostgreSQL, from real rows."""

from pathlib import Path

import pytest
from explorer_rows import DAY1, DAY2, PHONE, WAV, filled_reader

from callintel_dagster.explorer.call_page import _problem, call_audio, call_detail, moment
from conftest import requires_postgres

BACKENDS = ["duckdb", pytest.param("postgres", marks=requires_postgres)]


@pytest.fixture(scope="module", params=BACKENDS)
def world(request, tmp_path_factory):
    with filled_reader(request.param, tmp_path_factory.mktemp(request.param)) as found:
        yield found


@pytest.fixture
def reader(world):
    return world[0]


def test_an_analysed_call_with_everything(reader):
    got = call_detail(reader, "acme", "call-0001")
    call = got["call"]
    assert (call["call_id"], call["day"], call["agent_name"]) == ("call-0001", DAY1, "Asha")
    assert call["is_connected"] is True and call["duration_seconds"] == 125.0
    assert "recording_url" not in call  # the source's URL may carry a signature
    assert [t["index"] for t in got["turns"]] == [0, 1, 2]
    assert got["turns"][2] | {"text": ""} == {
        "index": 2,
        "role": "agent",
        "start_s": 65.2,
        "end_s": 70.0,
        "moment": "01:05",
        "text": "",
    }
    assert got["recording"] == {
        "status": "archived",
        "content_type": "audio/wav",
        "bytes": len(WAV),
        "reason": None,
    }
    assert got["signals"]["talk_ratio"] == 0.6 and "tenant_id" not in got["signals"]
    assert got["lead"]["lead_id"] == "acme-L1" and got["lead"]["phone_e164"] == PHONE["acme"]
    assert got["problems"] == []


def test_the_analysis_with_its_evidence(reader):
    a = call_detail(reader, "acme", "call-0001")["analysis"]
    assert (a["status"], a["provider"], a["model"]) == ("ok", "offline", "rules-v1")
    assert a["summary"] == "Asha booked a site visit"
    assert a["summary_paragraph"].endswith("More detail.")
    assert (a["sentiment_label"], a["quality_score"], a["lead_score"]) == ("positive", 80.0, 70.0)
    assert (a["qualification_stage"], a["contact_tag"]) == ("qualified", "interested")
    bant = {b["name"]: (b["value"], b["evidence"]) for b in a["bant"]}
    assert bant["budget"] == (True, "budget is ten lakh") and bant["authority"] == (False, None)
    assert set(bant) == {"budget", "authority", "need", "timeline", "qualified"}
    assert a["quality"][0] == {
        "item": "Greets the customer",
        "passed": True,
        "applies": True,
        "evidence": "Hello, Asha here",
    }
    assert a["quality"][1]["applies"] is False
    assert a["objections"] == ["price"]
    assert a["answers"] == [
        {
            "kind": "question",
            "name": "visit",
            "question": "Visit booked?",
            "answer": "yes",
            "quote": "Shall I book a visit",
        }
    ]


def test_a_call_id_shared_by_two_tenants_shows_each_its_own(reader):
    globex = call_detail(reader, "globex", "call-0001")
    assert globex["call"]["agent_name"] == "Gina"
    assert "globex" in globex["turns"][0]["text"] and len(globex["turns"]) == 3
    assert globex["lead"]["lead_id"] == "globex-L1"


@pytest.mark.parametrize(
    ("tenant", "call_id"),
    [
        ("acme", "globex-c2"),  # another tenant's call
        ("acme", "globex-held"),
        ("acme", "globex-quar"),
        ("acme", "no-such-call"),
        ("nobody", "call-0001"),
        ("acme", "' OR '1'='1"),
    ],
)
def test_unknown_or_foreign_calls_are_none(reader, tenant, call_id):
    assert call_detail(reader, tenant, call_id) is None


def test_why_a_call_was_skipped(reader):
    no_answer = call_detail(reader, "acme", "acme-c2")
    assert no_answer["call"]["is_connected"] is False and no_answer["turns"] == []
    assert no_answer["recording"] is None and no_answer["analysis"]["status"] == "skipped"
    assert no_answer["problems"] == [
        {"stage": "transcript", "status": "empty", "reason": "no speech (no_answer)"},
        {"stage": "analysis", "status": "skipped", "reason": "empty: no speech (no_answer)"},
    ]
    unrecorded = call_detail(reader, "acme", "acme-c3")
    assert unrecorded["problems"] == [
        {"stage": "recording", "status": "unavailable", "reason": "not_found"}
    ]
    assert unrecorded["recording"]["status"] == "unavailable"


def test_held_and_quarantined_calls_say_why(reader):
    held = call_detail(reader, "acme", "acme-held")
    assert held["call"]["call_id"] == "acme-held" and held["call"]["day"] == DAY2
    assert held["call"]["agent_name"] == "Ravi" and held["call"]["call_status"] == "completed"
    assert "transcript_text" not in held["call"]
    assert held["turns"] == [] and held["analysis"] is None
    assert [(p["stage"], p["status"]) for p in held["problems"]] == [("sync", "held")]
    quarantined = call_detail(reader, "acme", "acme-quar")
    assert quarantined["problems"] == [
        {"stage": "sync", "status": "quarantined", "reason": "started_at: missing"}
    ]


def test_audio_of_the_tenants_archive_only(world, tmp_path):
    reader, home = world
    path, content_type = call_audio(reader, home, "acme", "call-0001")
    assert path == (home / "audio" / "acme" / "call-0001.wav").resolve()
    assert path.read_bytes() == WAV and content_type == "audio/wav"
    assert call_audio(reader, home, "acme", "acme-c3") is None  # unavailable
    assert call_audio(reader, home, "acme", "globex-c2") is None
    # a home whose archive does not hold the stored path (moved, or another machine's)
    assert call_audio(reader, tmp_path, "acme", "call-0001") is None
    assert call_audio(reader, Path(home), "globex", "call-0001")[0].parent.name == "globex"


@pytest.mark.parametrize(
    ("seconds", "shown"),
    # rounded, as the digest, search hits and citations write a moment
    [(None, ""), (0, "00:00"), (3.9, "00:04"), (65.2, "01:05"), (3725, "62:05"), (-1, "00:00")],
)
def test_moment(seconds, shown):
    assert moment(seconds) == shown


def test_a_reason_never_quotes_the_refused_input():
    reason = (
        "invalid analysis: 1 validation error for Out\nscore\n  Input should be a valid integer "
        "[type=int_parsing, input_value='the customer said her budget is 5 lakh', input_type=str]"
    )
    shown = _problem("analysis", "failed", reason)["reason"]
    assert "budget" not in shown and "input_value=…" in shown and "int_parsing" in shown
    assert len(_problem("analysis", "failed", "x" * 5000)["reason"]) == 300
