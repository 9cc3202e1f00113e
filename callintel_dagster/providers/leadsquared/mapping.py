"""LeadSquared lead → the lead dict `lib/ingest.lead_rows` expects. Pure: no I/O.

LeadSquared answers a lead as a list of `{"Attribute": ..., "Value": ...}` pairs and its dates as
`YYYY-MM-DD HH:MM:SS` without an offset: UTC per the docs, the account's timezone for some
accounts (UNCONFIRMED), so the timezone is a parameter and results are naive UTC.
"""

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

LSQ_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"

# attributes that become columns of their own; everything else goes to `extra`
_MAPPED = {
    "ProspectID",
    "FirstName",
    "LastName",
    "EmailAddress",
    "Source",
    "ProspectStage",
}


def flatten(lead: dict) -> dict:
    """`{"LeadPropertyList": [{"Attribute": a, "Value": v}, ...]}` → `{a: v}`.

    Tolerates a lead that is already flat (some endpoints answer plain objects).
    """
    properties = lead.get("LeadPropertyList")
    if properties is None:
        return {k: v for k, v in lead.items()}
    return {p["Attribute"]: p.get("Value") for p in properties if p.get("Attribute")}


def lead_to_record(flat: dict, tz: str) -> dict:
    """A flattened lead → the ingest lead dict; dates read in `tz`, answered as naive UTC."""
    mobile, phone = _text(flat.get("Mobile")), _text(flat.get("Phone"))
    created = parse_lsq_date(flat.get("CreatedOn"), tz)
    modified = parse_lsq_date(flat.get("ModifiedOn"), tz)
    consumed = set(_MAPPED)
    consumed.add("Mobile" if mobile else "Phone")
    if phone == mobile:
        consumed.add("Phone")  # the same number twice: nothing more to keep
    # a date we could not read stays in `extra` as it came, rather than vanish
    if created is not None or _text(flat.get("CreatedOn")) is None:
        consumed.add("CreatedOn")
    if modified is not None or _text(flat.get("ModifiedOn")) is None:
        consumed.add("ModifiedOn")
    names = [_text(flat.get("FirstName")), _text(flat.get("LastName"))]
    return {
        "lead_id": _text(flat.get("ProspectID")),
        "full_name": " ".join(n for n in names if n) or None,
        "phone_raw": mobile or phone,
        "email": _text(flat.get("EmailAddress")),
        "lead_source": _text(flat.get("Source")),
        "lead_status": _text(flat.get("ProspectStage")),
        "created_at_utc": created,
        "modified_at_utc": modified,
        "extra": {k: v for k, v in flat.items() if k not in consumed and _text(v) is not None},
    }


def format_lsq_date(dt_utc: datetime, tz: str) -> str:
    """A UTC instant (naive means UTC, the warehouse convention) as LeadSquared wants it in `tz`."""
    aware = dt_utc if dt_utc.tzinfo else dt_utc.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(tz)).strftime(LSQ_DATE_FORMAT)


def parse_lsq_date(value: Any, tz: str) -> datetime | None:
    """`YYYY-MM-DD HH:MM:SS` read in `tz` → naive UTC; None when empty or unreadable.

    Also takes fractional seconds, a `T` separator and an explicit offset or `Z` (which then wins
    over `tz`), since the exact shape per endpoint is not documented.
    """
    text = _text(value)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(tz))
    return parsed.astimezone(UTC).replace(tzinfo=None)


def _text(value: Any) -> str | None:
    """A stripped string, or None for null/empty (LeadSquared sends both for "no value")."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None
