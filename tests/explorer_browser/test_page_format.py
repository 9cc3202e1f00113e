"""The pages' display filters: transcript text never becomes markup, values read like a person
writes them."""

from datetime import datetime

import pytest

from callintel_dagster.explorer.page_format import duration, kpi_totals, marked, templates, value


def test_marked_escapes_before_marking():
    html = str(marked("<script>x</script> the «price» is <b>«high»</b>"))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<mark>price</mark>" in html and "&lt;b&gt;<mark>high</mark>&lt;/b&gt;" in html


@pytest.mark.parametrize(
    ("raw", "shown"),
    [(None, "—"), (True, "yes"), (False, "no"), (3.0, "3"), (0.5612, "0.56"), (12, "12"),
     (datetime(2026, 11, 18, 9, 41, 7), "2026-11-18 09:41"), ("qualified", "qualified")],
)  # fmt: skip
def test_value(raw, shown):
    assert value(raw) == shown


def test_duration_and_totals():
    assert (duration(245), duration(3723), duration(None)) == ("4:05", "1:02:03", "—")
    days = [
        {"calls": 10, "connected": 5, "talk_minutes": 30, "avg_quality": 80.0, "booked": 1,
         "ai_cost_usd": 0.5},
        {"calls": 30, "connected": 15, "talk_minutes": 70, "avg_quality": 60.0, "booked": 2,
         "ai_cost_usd": 0.25},
    ]  # fmt: skip
    totals = kpi_totals(days)
    assert totals["calls"] == "40" and totals["connected_rate"] == "50%"
    assert totals["avg_quality"] == "65.0"  # weighted by calls, not the mean of the days
    assert totals["ai_cost_usd"] == "$0.75" and kpi_totals([])["connected_rate"] == "—"


def test_pages_escape_what_they_show():
    html = templates.env.get_template("error.html").render(message="<i>x</i>")
    assert "<i>x</i>" not in html and "&lt;i&gt;x&lt;/i&gt;" in html
