"""Citations: parsed from `[call id @ mm:ss] "quote"`, verified verbatim (whitespace and case
only) against the stored turns of that call of that tenant, near the cited moment."""

from datetime import date

import pandas as pd
import pytest

from callintel_dagster.lib.tables import TRANSCRIPT_TURNS
from callintel_dagster.resources.warehouse import SliceWrite, Warehouse
from callintel_dagster.search.citations import (
    TOLERANCE_S,
    Citation,
    content_words,
    load_turns,
    parse_citations,
    verify,
    why_not,
)

TURNS = {
    "c1": [
        {"role": "agent", "start_s": 3.0, "end_s": 9.5, "text": "Hi, this is Riya from Acme."},
        {
            "role": "customer",
            "start_s": 10.0,
            "end_s": 14.0,
            "text": "That's too  expensive\nfor us.",
        },
        {"role": "agent", "start_s": 15.0, "end_s": 19.0, "text": "I can book a demo on Friday."},
        {"role": "customer", "start_s": 95.0, "end_s": 99.0, "text": "Okay, send it on WhatsApp."},
    ],
    "c2": [{"role": "agent", "start_s": None, "end_s": None, "text": "No timings here, sorry."}],
}


@pytest.mark.parametrize(
    "quote, at",
    [
        ("That's too expensive for us.", 10),  # whitespace in the store differs: normalised
        ("that's TOO expensive", 11),  # case
        ("too expensive for us. I can book a demo", 10),  # across two consecutive turns
        ("book a demo", 15 + TOLERANCE_S),  # the edge of the window
        ("Okay, send it", 90),
    ],
)
def test_verbatim_quotes_near_their_moment_verify(quote, at):
    assert verify(Citation("c1", float(at), quote), TURNS)


@pytest.mark.parametrize(
    "citation, reason",
    [
        (Citation("c1", 10.0, "That is too expensive for us."), "quote_not_in_call"),  # paraphrase
        (Citation("c1", 10.0, "That's too expensive... us"), "quote_not_in_call"),  # ellipsis
        (Citation("c1", 10.0, "Thats too expensive"), "quote_not_in_call"),  # punctuation
        (Citation("c1", 15.0, "we guarantee a full refund"), "quote_not_in_call"),  # made up
        (Citation("c1", 95.0, "That's too expensive"), "moment_too_far"),  # wrong moment
        (Citation("c9", 10.0, "That's too expensive"), "unknown_call"),  # another call
        (Citation("c2", 10.0, "That's too expensive"), "quote_not_in_call"),  # wrong call
        (Citation("c1", 10.0, " "), "empty_quote"),
    ],
)
def test_anything_else_fails_with_a_reason(citation, reason):
    assert why_not(citation, TURNS) == reason and not verify(citation, TURNS)


def test_turns_without_timings_are_checked_on_the_quote_alone():
    assert verify(Citation("c2", 500.0, "no timings here"), TURNS)


def test_parse_citations_reads_the_shown_form_and_round_trips():
    text = (
        '- Price was the issue [c1 @ 00:10] "That\'s too expensive for us." and '
        '[acme-C-20261118-00004 @ 01:35] “Okay, send it on WhatsApp.” [bad @ 1:5] "x"'
    )
    found = parse_citations(text)
    assert found == [
        Citation("c1", 10.0, "That's too expensive for us."),
        Citation("acme-C-20261118-00004", 95.0, "Okay, send it on WhatsApp."),
    ]
    assert parse_citations(" ".join(str(c) for c in found)) == found
    assert str(found[1]) == '[acme-C-20261118-00004 @ 01:35] "Okay, send it on WhatsApp."'


def test_only_the_tenants_own_turns_are_loaded(tmp_path):
    """Two tenants with the same call id: one says the quoted words, the other does not. A quote
    from the other tenant's call never verifies for this one."""
    warehouse = Warehouse(url=f"duckdb:///{tmp_path}/w.duckdb")
    day = date(2026, 11, 18)
    rows = []
    for tenant_id, words in (("acme", "We will call you Monday."), ("twin", "Secret twin words.")):
        rows.append(
            {"tenant_id": tenant_id, "partition_date": day, "call_id": "shared-1",
             "turn_index": 0, "role": "agent", "start_s": 1.0, "end_s": 4.0, "text": words,
             "confidence": None}
        )  # fmt: skip
    frame = pd.DataFrame(rows)
    warehouse.write(
        [
            SliceWrite(TRANSCRIPT_TURNS, [(t, day)], frame[frame.tenant_id == t])
            for t in ("acme", "twin")
        ]
    )
    acme = load_turns(warehouse, "acme", ["shared-1", "other"])
    twin = load_turns(warehouse, "twin", ["shared-1"])
    foreign = Citation("shared-1", 1.0, "Secret twin words.")
    assert verify(foreign, twin) and not verify(foreign, acme)
    assert verify(Citation("shared-1", 1.0, "we will call you monday"), acme)
    assert list(acme) == ["shared-1"] and len(acme["shared-1"]) == 1


def test_content_words_drop_function_words_and_stem():
    assert content_words("Did the agent offer a demo?") == ["offer", "demo"]
    assert content_words("Were prices mentioned?") == ["pric"]
