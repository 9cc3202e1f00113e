"""Digest links: the calls the summary names carry their explorer page URL on a line of their
own; without links the text is exactly what it was."""

from datetime import date

import pytest

from callintel_dagster.lib.digest.daily_summary import offline_daily_summary
from callintel_dagster.lib.digest.links import call_links, call_url
from callintel_dagster.lib.digest.parts import split_body
from callintel_dagster.lib.digest.text import compose_digest, numbers_as_allowed, render_digest

DAY = date(2026, 11, 25)
BASE = "https://calls.acme.example"
KPIS = {"calls": 30, "connected_calls": 20, "connect_rate": 0.66, "talk_minutes": 80}
KPIS |= {"analysed_calls": 20, "avg_quality_score": 64.0, "booked": 3, "positive_calls": 5}


def call(cid, agent, quality, **more):
    base = {"call_id": cid, "agent_name": agent, "quality_score": quality, "summary": None}
    return base | {"phone_e164": "+919800000001", "lead_status": None, **more}


CALLS = [
    call("c-best", "Noah", 92.0),
    call("c-riya", "Riya", 38.0),
    call("c-sam", "Sam", 44.0),
    call("c-mid", "Asha", 70.0),
]
SUMMARY = offline_daily_summary("Acme Realty", DAY, KPIS, CALLS)
SHOWN = numbers_as_allowed(SUMMARY, "masked")  # as compose_digest shows it by default


def test_without_links_the_text_is_unchanged():
    plain = render_digest("Acme Realty", DAY, KPIS, SHOWN)
    digest = compose_digest("Acme Realty", DAY, KPIS, SUMMARY)
    assert digest.text == plain and digest.links == () and digest.media_url is None
    assert "http" not in plain


def test_named_calls_link_to_their_pages_below_the_bullet():
    links = call_links(BASE, "acme", CALLS)
    digest = compose_digest("Acme Realty", DAY, KPIS, SUMMARY, links)
    lines = digest.text.split("\n")
    best = next(i for i, x in enumerate(lines) if x.startswith("• Best call: Noah scored 92"))
    assert lines[best + 1] == f"  ↳ Noah: {BASE}/t/acme/calls/c-best"
    low = next(i for i, x in enumerate(lines) if x.startswith("• 2 calls below 50/100"))
    assert "Riya (38)" in lines[low] and "Sam (44)" in lines[low]
    assert lines[low + 1 : low + 3] == [
        f"  ↳ Riya: {BASE}/t/acme/calls/c-riya",
        f"  ↳ Sam: {BASE}/t/acme/calls/c-sam",
    ]
    assert {lk.call_id for lk in digest.links} == {"c-best", "c-riya", "c-sam"}
    # each call once: the coaching action names Riya's phone too, but gets no second link
    assert digest.text.count("/calls/c-riya") == 1
    # everything else is as without links
    plain = render_digest("Acme Realty", DAY, KPIS, SHOWN)
    assert [x for x in lines if "↳" not in x] == plain.split("\n")


def test_unnamed_calls_get_no_link():
    """A summary that does not name a call (an LLM's wording) links nothing."""
    other = SUMMARY.model_copy(update={"wins": ["Good day"], "risks": [], "actions": []})
    digest = compose_digest("Acme", DAY, KPIS, other, call_links(BASE, "acme", CALLS))
    assert "http" not in digest.text and digest.links == ()


@pytest.mark.parametrize("cid", ["a/b", "x y?#", "../t/globex/calls/1"])
def test_call_ids_are_quoted_into_one_path_segment(cid):
    url = call_url(BASE + "/", "acme", cid)
    assert url.startswith(f"{BASE}/t/acme/calls/") and "/" not in url.rsplit("/calls/", 1)[1]


def test_links_fit_the_limit_and_split_at_line_breaks():
    many = [call(f"c{i}", f"Agent{i}", 20.0 + i) for i in range(12)]
    summary = offline_daily_summary("Acme", DAY, KPIS, many)
    links = call_links(BASE, "acme", many)
    text = render_digest("Acme", DAY, KPIS, summary, max_chars=700, links=links)
    assert len(text) <= 700 and "↳" in text
    for part in split_body(text, 160):  # a URL is never cut in two
        for line in part.split("\n"):
            assert "http" not in line or line.split("http", 1)[1].startswith("s://")
            assert "http" not in line or line.endswith(tuple(f"/calls/c{i}" for i in range(12)))
