"""The week's KPI chart: 7 local days ending on the digest day, a 1080 px wide PNG."""

import struct
from datetime import date

import pandas as pd
import pytest

from callintel_dagster.lib.digest.chart import render_week_chart, week_days, week_series
from callintel_dagster.lib.digest.parts import MAX_CAPTION_CHARS, chart_caption, plan_parts
from callintel_dagster.lib.tenants.digest_config import TwilioDigest

DAY = date(2026, 11, 26)
ROWS = pd.DataFrame(
    [
        {"partition_date": date(2026, 11, 24), "calls": 50, "connected_calls": 40, "booked": 8},
        {"partition_date": date(2026, 11, 26), "calls": 20, "connected_calls": 5, "booked": 1},
        {"partition_date": date(2026, 11, 19), "calls": 99, "connected_calls": 99, "booked": 9},
    ]
).assign(connect_rate=None, analysed_calls=[10, 0, 5], avg_quality_score=[71.5, 0.0, 80.0])


def png_size(path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def test_the_week_is_seven_days_ending_on_the_day():
    days = week_days(DAY)
    assert days[0] == date(2026, 11, 20) and days[-1] == DAY and len(days) == 7


def test_series_per_day_with_gaps_for_missing_data():
    s = week_series(ROWS, week_days(DAY))
    assert s["calls"] == [0, 0, 0, 0, 50, 0, 20]  # the 19th is outside the week
    assert s["connected"][4] == 80.0 and s["connected"][6] == 25.0 and s["connected"][0] is None
    assert s["quality"][4] == 71.5 and s["quality"][6] is None  # no analysed calls: no quality
    assert s["booked"] == [0, 0, 0, 0, 8, 0, 1]


@pytest.mark.parametrize("frame", [ROWS, ROWS.iloc[0:0]], ids=["data", "empty-week"])
def test_the_chart_is_a_phone_sized_png(tmp_path, frame):
    path = render_week_chart("Acme Realty", DAY, frame, tmp_path / "acme" / "kpi_week.png")
    assert png_size(path) == (1080, 1350)
    assert 10_000 < path.stat().st_size < 5 * 1024 * 1024  # WhatsApp's image limit
    assert sorted(p.name for p in path.parent.iterdir()) == ["kpi_week.png"]  # no temp file left


BODY = TwilioDigest(
    provider="twilio",
    mode="body",
    account_sid_env="A",
    auth_token_env="B",
    from_number="+14155238886",
    recipients=["+14155550100"],
    max_body_chars=1600,
)
FACTS = {"tenant_name": "Acme Realty", "date": "Thu 26 Nov 2026"}


def test_the_chart_rides_on_the_last_part_when_it_fits_a_caption():
    parts = plan_parts(BODY, FACTS | {"body": "short digest"}, "https://x.example/media/t")
    assert [(p.body, p.media_url) for p in parts] == [("short digest", "https://x.example/media/t")]
    assert parts[0].sha256 == plan_parts(BODY, FACTS | {"body": "short digest"})[0].sha256


def test_a_long_last_part_gets_the_chart_as_a_part_of_its_own():
    body = "\n".join(["a line of the digest, long enough"] * 40)
    assert MAX_CAPTION_CHARS < len(body) <= 1600
    parts = plan_parts(BODY, FACTS | {"body": body}, "https://x.example/media/t")
    assert [p.media_url for p in parts] == [None, "https://x.example/media/t"]
    assert parts[1].body == chart_caption(FACTS) == "📈 Acme Realty · week to Thu 26 Nov 2026"
    assert {p.parts for p in parts} == {2}


def test_a_template_message_never_carries_media():
    template = BODY.model_copy(update={"mode": "template", "content_sid": "HX" + "a" * 32})
    parts = plan_parts(template, FACTS | {"body": "x", "headline": "h"}, "https://x/media/t")
    assert [p.media_url for p in parts] == [None]
