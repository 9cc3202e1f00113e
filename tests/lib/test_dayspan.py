from datetime import UTC, date, datetime

import pytest

from callintel_dagster.lib.dayspan import day_window_utc, local_date_of, local_today


@pytest.mark.parametrize(
    "tz,day,start,end",
    [
        (
            "Asia/Kolkata",
            date(2026, 11, 20),
            datetime(2026, 11, 19, 18, 30),
            datetime(2026, 11, 20, 18, 30),
        ),
        (
            "America/Los_Angeles",
            date(2026, 11, 20),
            datetime(2026, 11, 20, 8),
            datetime(2026, 11, 21, 8),
        ),
        # DST starts: a 23-hour local day
        ("America/Los_Angeles", date(2026, 3, 8), datetime(2026, 3, 8, 8), datetime(2026, 3, 9, 7)),
    ],
)
def test_day_window_in_tenant_timezone(tz, day, start, end):
    assert day_window_utc(day, tz) == (start, end)


def test_local_today_differs_across_timezones_at_the_same_instant():
    now = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)  # 01:30 next day in India, noon in LA
    assert local_today("Asia/Kolkata", now) == date(2026, 11, 21)
    assert local_today("America/Los_Angeles", now) == date(2026, 11, 20)


def test_local_date_of_naive_utc():
    assert local_date_of(datetime(2026, 11, 19, 18, 29), "Asia/Kolkata") == date(2026, 11, 19)
    assert local_date_of(datetime(2026, 11, 19, 18, 30), "Asia/Kolkata") == date(2026, 11, 20)
