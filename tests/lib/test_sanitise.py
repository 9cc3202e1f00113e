import pytest

from callintel_dagster.lib.ingest.checks import call_problem, deal_problem, lead_problem
from callintel_dagster.lib.ingest.sanitise import sanitise


def test_nul_and_c0_controls_removed_tab_and_newline_kept():
    clean, repairs = sanitise({"call_id": "c1", "transcript_text": "agent: hi\x00\x07\tthere\nok"})
    assert clean["transcript_text"] == "agent: hi\tthere\nok"
    assert repairs == ["transcript_text:control_chars"]


def test_invalid_utf8_bytes_decoded_with_replacement():
    clean, repairs = sanitise({"transcript_text": b"caf\xe9 ok", "agent_name": b"Riya"})
    assert clean == {"transcript_text": "caf\ufffd ok", "agent_name": "Riya"}
    assert repairs == ["transcript_text:invalid_utf8"]


def test_lone_surrogates_replaced_and_nested_values_cleaned():
    turns = [{"role": "agent", "text": "a\ud83d b"}, {"role": "customer", "text": "x\x00y"}]
    clean, repairs = sanitise({"turns": turns, "extra": {"note\x01": ("p\x00",)}})
    assert clean["turns"][0]["text"] == "a\ufffd b" and clean["turns"][1]["text"] == "xy"
    assert clean["extra"] == {"note": ("p",)}
    assert repairs == ["extra:control_chars", "turns:control_chars", "turns:invalid_unicode"]


def test_clean_records_are_untouched():
    record = {"call_id": "c1", "duration_seconds": 3.5, "turns": [{"text": "héllo"}], "n": None}
    assert sanitise(record) == (record, [])


GOOD_CALL = {
    "call_id": "c1",
    "started_at_utc": __import__("datetime").datetime(2026, 11, 18, 5),
    "duration_seconds": 30.0,
    "call_status": "completed",
}


@pytest.mark.parametrize(
    "change,reason",
    [
        ({"call_id": None}, "call_id: missing"),
        ({"call_id": "  "}, "call_id: missing"),
        ({"started_at_utc": None}, "started_at_utc: missing"),
        ({"started_at_utc": "yesterday"}, "started_at_utc: not a timestamp"),
        ({"duration_seconds": "thirty"}, "duration_seconds: not a number"),
        ({"duration_seconds": float("nan")}, "duration_seconds: not a number"),
        ({"duration_seconds": -4}, "duration_seconds: negative"),
        ({"call_status": "weird"}, "call_status: unknown"),
    ],
)
def test_call_problems_name_the_field_never_the_value(change, reason):
    assert call_problem({**GOOD_CALL, **change}) == reason
    assert call_problem(GOOD_CALL) is None


def test_lead_and_deal_problems():
    assert lead_problem({"lead_id": "", "modified_at_utc": None}) == "lead_id: missing"
    assert lead_problem({"lead_id": "L1"}) == "modified_at_utc: missing (and no created_at_utc)"
    assert deal_problem({"deal_id": "D1", "amount": "lots", "created_at_utc": None}) == (
        "amount: not a number"
    )
