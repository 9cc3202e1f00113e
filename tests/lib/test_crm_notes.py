"""The note text written back to a CRM, and the write-back settings in tenants.yaml."""

from datetime import datetime

import pytest
from pydantic import ValidationError

from callintel_dagster.lib.crm_notes import (
    LSQ_NOTE_MAX,
    CallNote,
    check_title_template,
    label,
    note_content,
    note_title,
    one_line,
)
from callintel_dagster.lib.tenants.source_configs import LeadSquaredConfig, ZohoConfig


def note(**changes) -> CallNote:
    base = dict(
        call_id="acme-C-1",
        agent_version="v3",
        contact_tag="interested",
        lead_status="qualified",
        summary="Asked for the 10 kW quote.",
        started_at_utc=datetime(2026, 11, 18, 6, 23, 19),
        timezone="Asia/Kolkata",
    )
    return CallNote(**{**base, **changes})


@pytest.mark.parametrize(
    "value,expected",
    [("follow_up", "Follow up"), ("not_interested", "Not interested"), (None, "Unknown"), ("", "Unknown")],
)  # fmt: skip
def test_label(value, expected):
    assert label(value) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Booked a demo.\n\nCall back  Friday.", "Booked a demo. Call back Friday."),
        ("Pay at https://pay.example/x?a=1 today", "Pay at today"),
        ("See www.example.com\tnow", "See now"),
        ("bell\x07 ring", "bell ring"),
    ],
)
def test_one_line_is_plain_link_free_text(text, expected):
    assert one_line(text) == expected


def test_one_line_cuts_at_a_word_boundary():
    cut = one_line("word " * 100, limit=40)
    assert len(cut) <= 40 and cut.endswith("word…")


def test_content_has_tag_status_summary_time_and_reference():
    assert note_content(note(), 2000).splitlines() == [
        "Contact tag: Interested",
        "Lead status: Qualified",
        "Summary: Asked for the 10 kW quote.",
        "Call: 18 Nov 2026 11:53 IST",
        "callintel ref: acme-C-1 / v3",
    ]


def test_content_fits_the_limit_by_shortening_the_summary_only():
    content = note_content(note(summary="long words " * 400), LSQ_NOTE_MAX)
    assert len(content) <= LSQ_NOTE_MAX
    assert content.endswith("callintel ref: acme-C-1 / v3") and "…" in content
    small = note_content(note(summary="long words " * 40), 200)
    assert len(small) <= 200 and small.endswith("callintel ref: acme-C-1 / v3")


def test_missing_analysis_fields_read_as_unknown():
    content = note_content(note(contact_tag=None, lead_status=None, summary=None), 2000)
    assert "Contact tag: Unknown" in content and "Summary: (no summary)" in content


def test_title_template_and_its_placeholders():
    assert (
        note_title(note(), "{tag} / {status} on {date}") == "Interested / Qualified on 18 Nov 2026"
    )
    assert len(note_title(note(contact_tag="x" * 300), "{tag}")) <= 120
    with pytest.raises(ValueError, match="unknown placeholder"):
        check_title_template("{tag} {phone}")
    with pytest.raises(ValidationError, match="unknown placeholder"):
        ZohoConfig(
            provider="zoho", client_id_env="A", client_secret_env="B", refresh_token_env="C",
            note_title="{summary}",
        )  # fmt: skip


def test_writeback_is_off_by_default_and_lsq_needs_an_activity_event():
    lsq = {"provider": "leadsquared", "access_key_env": "A", "secret_key_env": "B"}
    assert LeadSquaredConfig(**lsq).writeback is False
    with pytest.raises(ValidationError, match="activity_event"):
        LeadSquaredConfig(**lsq, writeback=True)
    assert LeadSquaredConfig(**lsq, writeback=True, activity_event=201).activity_event == 201
