"""Tenant-local calendar days: every time window is computed in the tenant's timezone."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def day_window_utc(day: date, tz: str) -> tuple[datetime, datetime]:
    """[start, end) of the tenant's local `day` as naive UTC datetimes (DST-aware: 23 to 25 h)."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return _naive_utc(start), _naive_utc(end)


def local_today(tz: str, now_utc: datetime | None = None) -> date:
    """The tenant's local calendar date at `now_utc` (default: now)."""
    now = now_utc or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now.astimezone(ZoneInfo(tz)).date()


def local_date_of(ts_utc: datetime, tz: str) -> date:
    """The tenant-local date of a naive UTC timestamp."""
    return ts_utc.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).date()


def _naive_utc(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(tzinfo=None)


def send_instant(send_time: time, tz: str, day: date) -> datetime:
    """The UTC instant of the local wall-clock `send_time` on the local `day` (aware)."""
    # fold=0: the first occurrence of an ambiguous time; for a time in a gap, the offset before
    # the transition, which lands the instant just after the gap
    return datetime.combine(day, send_time, tzinfo=ZoneInfo(tz)).astimezone(UTC)
