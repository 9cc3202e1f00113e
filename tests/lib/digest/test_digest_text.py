from datetime import date

import pytest

from callintel_dagster.lib.digest.daily_summary import DailySummary, offline_daily_summary
from callintel_dagster.lib.digest.text import kpi_line, render_digest

DAY = date(2025, 3, 3)
KPIS = {
    "calls": 12,
    "connected_calls": 6,
    "connect_rate": 0.5,
    "talk_minutes": 43.4,
    "avg_duration_seconds": 217.0,
    "analysed_calls": 6,
    "positive_calls": 3,
    "neutral_calls": 2,
    "negative_calls": 1,
    "avg_quality_score": 71.6,
    "new_leads": 4,
    "qualified_leads": 1,
    "booked": 2,
}
SMALL = DailySummary(
    headline="2 booked from 12 calls; avg quality 72.",
    wins=["2 bookings made (Asha, Ravi)"],
    risks=[],
    actions=["Call back 1 follow-up: +919800000003 (Ravi)"],
)


def big(n=8, width=120):
    def bullets(tag):
        return [f"{tag} {i} " + "x" * (width - 10) for i in range(n)]

    return DailySummary(
        headline="A long day.", wins=bullets("win"), risks=bullets("risk"), actions=bullets("act")
    )


def test_small_digest_layout():
    assert render_digest("Acme Realty", DAY, KPIS, SMALL) == "\n".join(
        [
            "📊 *Acme Realty · Mon 3 Mar 2025*",
            "2 booked from 12 calls; avg quality 72.",
            "",
            "Calls 12 · Connected 50% · Talk 43 min · Booked 2 · Avg quality 72",
            "",
            "*Wins*",
            "• 2 bookings made (Asha, Ravi)",
            "",
            "*Next actions*",
            "• Call back 1 follow-up: +919800000003 (Ravi)",
        ]
    )  # the empty Risks section is left out


def test_zero_call_day_renders():
    zero = {k: 0 for k in KPIS}
    text = render_digest("Acme", DAY, zero, offline_daily_summary("Acme", DAY, zero, []))
    assert "No calls on Mon 3 Mar 2025." in text
    assert kpi_line(zero) == "Calls 0 · Connected – · Talk 0 min · Booked 0 · Avg quality –"


@pytest.mark.parametrize("max_chars", [300, 500, 800, 1000, 1600])
def test_trimmed_to_limit_on_whole_lines(max_chars):
    summary = big()
    text = render_digest("Acme", DAY, KPIS, summary, max_chars=max_chars)
    assert len(text) <= max_chars
    kept = [line[2:] for line in text.split("\n") if line.startswith("• ")]
    every = summary.wins + summary.risks + summary.actions
    assert kept and all(b in every for b in kept)  # no bullet was cut mid-line
    assert text.count("more") == 3  # each section says how many it dropped
    dropped = len(every) - len(kept)
    assert (
        sum(int(line.split()[1]) for line in text.split("\n") if line.startswith("…and "))
        == dropped
    )


def test_drops_deepest_bullets_wins_first():
    summary = big(n=3, width=100)
    full = render_digest("Acme", DAY, KPIS, summary, max_chars=10_000)
    text = render_digest("Acme", DAY, KPIS, summary, max_chars=len(full) - 1)
    kept = [line[2:].split()[0:2] for line in text.split("\n") if line.startswith("• ")]
    # One bullet had to go: the last win (the lowest priority at the deepest level).
    assert ["win", "2"] not in kept and ["risk", "2"] in kept and ["act", "2"] in kept
    assert "…and 1 more" in text
    shorter = render_digest("Acme", DAY, KPIS, summary, max_chars=len(full) - 400)
    kept = [line[2:].split()[0:2] for line in shorter.split("\n") if line.startswith("• ")]
    assert [k for k in kept if k[1] == "0"] == [["win", "0"], ["risk", "0"], ["act", "0"]]


def test_long_bullet_is_clipped_with_ellipsis():
    summary = DailySummary(headline="h", wins=["word " * 200], risks=[], actions=[])
    line = [x for x in render_digest("Acme", DAY, KPIS, summary).split("\n") if x.startswith("•")]
    assert len(line[0]) <= 282 and line[0].endswith("…")


@pytest.mark.parametrize("max_chars", [1, 20, 60, 120])
def test_tiny_limits_still_hold(max_chars):
    assert len(render_digest("Acme Realty", DAY, KPIS, big(), max_chars=max_chars)) <= max_chars


def test_rejects_non_positive_limit():
    with pytest.raises(ValueError):
        render_digest("Acme", DAY, KPIS, SMALL, max_chars=0)
