"""Zoho CRM v8 records → the plain dicts ingest consumes (pure: no I/O, no Dagster).

Zoho sends timestamps in the CRM user's timezone with an offset (`2024-07-25T15:26:49+05:30`);
the warehouse wants naive UTC. Empty picklists arrive as "-None-" and lookups as
`{"name", "id"}` objects; both are flattened here so the warehouse never sees Zoho's shapes.
"""

from datetime import UTC, date, datetime
from typing import Any

# What the client asks for (`fields` is required by v8, max 50). `id` always comes back.
LEAD_FIELDS = (
    "First_Name",
    "Last_Name",
    "Full_Name",
    "Email",
    "Phone",
    "Mobile",
    "Company",
    "Designation",
    "City",
    "State",
    "Country",
    "Lead_Status",
    "Lead_Source",
    "Owner",
    "Created_Time",
    "Modified_Time",
)
DEAL_FIELDS = (
    "Deal_Name",
    "Stage",
    "Amount",
    "Currency",
    "Closing_Date",
    "Probability",
    "Lead_Source",
    "Pipeline",
    "Owner",
    "Contact_Name",
    "Account_Name",
    "Created_Time",
    "Modified_Time",
)

_EMPTY = (None, "", "-None-")
_LEAD_MODELLED = {
    "id",
    "First_Name",
    "Last_Name",
    "Full_Name",
    "Email",
    "Phone",
    "Mobile",
    "Lead_Status",
    "Lead_Source",
    "Created_Time",
    "Modified_Time",
}
_DEAL_MODELLED = {
    "id",
    "Deal_Name",
    "Stage",
    "Amount",
    "Currency",
    "Closing_Date",
    "Owner",
    "Contact_Name",
    "Account_Name",
    "Created_Time",
    "Modified_Time",
}


def parse_zoho_time(value: Any) -> datetime | None:
    """A Zoho timestamp (ISO with offset) as naive UTC; None when empty or unreadable."""
    if value in _EMPTY:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    if parsed.tzinfo is None:  # Zoho always sends an offset; a bare value is taken as UTC
        return parsed
    return parsed.astimezone(UTC).replace(tzinfo=None)


def lead_to_record(lead: dict) -> dict:
    """One Zoho lead → the lead dict `ingest.lead_rows` expects."""
    return {
        "lead_id": str(lead["id"]),
        "full_name": _full_name(lead),
        # Mobile first: it is the number a voice agent dials; Phone is often a landline
        "phone_raw": _text(lead.get("Mobile")) or _text(lead.get("Phone")),
        "email": _text(lead.get("Email")),
        "lead_source": _text(lead.get("Lead_Source")),
        "lead_status": _text(lead.get("Lead_Status")),
        "created_at_utc": parse_zoho_time(lead.get("Created_Time")),
        "modified_at_utc": parse_zoho_time(lead.get("Modified_Time")),
        "extra": _extra(lead, _LEAD_MODELLED, _second_phone(lead)),
    }


def deal_to_record(deal: dict) -> dict:
    """One Zoho deal → a flat dict; `ingest.deal_rows` keeps unmodelled keys in extra_json."""
    owner = _lookup(deal.get("Owner"))
    contact = _lookup(deal.get("Contact_Name"))
    account = _lookup(deal.get("Account_Name"))
    record = {
        "deal_id": str(deal["id"]),
        "deal_name": _text(deal.get("Deal_Name")),
        "stage": _text(deal.get("Stage")),
        "amount": _number(deal.get("Amount")),
        "currency": _text(deal.get("Currency")),
        "owner_name": owner["name"],
        "owner_id": owner["id"],
        "closing_date": _date(deal.get("Closing_Date")),
        "created_at_utc": parse_zoho_time(deal.get("Created_Time")),
        "modified_at_utc": parse_zoho_time(deal.get("Modified_Time")),
        "contact_id": contact["id"],
        "contact_name": contact["name"],
        "account_id": account["id"],
        "account_name": account["name"],
    }
    # custom fields and the rest ride along flat; a name that would shadow a column is skipped
    for key, value in _extra(deal, _DEAL_MODELLED, {}).items():
        record.setdefault(key, value)
    return record


def _full_name(lead: dict) -> str | None:
    full = _text(lead.get("Full_Name"))
    if full:
        return full
    parts = [_text(lead.get("First_Name")), _text(lead.get("Last_Name"))]
    return " ".join(p for p in parts if p) or None


def _second_phone(lead: dict) -> dict:
    """Keep the number phone_raw did not take, so a lead with two numbers loses neither."""
    mobile, phone = _text(lead.get("Mobile")), _text(lead.get("Phone"))
    return {"phone": phone} if mobile and phone and phone != mobile else {}


def _extra(record: dict, modelled: set[str], seed: dict) -> dict:
    """Unmodelled fields, snake-cased; lookups flattened to `<field>_name` / `<field>_id`."""
    extra = dict(seed)
    for key, value in record.items():
        if key in modelled or key.startswith("$") or value in _EMPTY:
            continue  # `$`-fields are Zoho's internal flags (approval state, currency symbol)
        name = key.lower()
        if isinstance(value, dict):  # a lookup such as Owner: {name, id, email}
            extra.update(
                {f"{name}_{k}": v for k, v in value.items() if v not in _EMPTY and _scalar(v)}
            )
        else:
            extra[name] = value
    return extra


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def _lookup(value: Any) -> dict[str, str | None]:
    if not isinstance(value, dict):
        return {"name": None, "id": None}
    ident = value.get("id")
    return {"name": _text(value.get("name")), "id": str(ident) if ident else None}


def _text(value: Any) -> str | None:
    if value in _EMPTY:
        return None
    text = str(value).strip()
    return text if text and text != "-None-" else None


def _number(value: Any) -> float | None:
    if value in _EMPTY:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _date(value: Any) -> date | None:
    if value in _EMPTY:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
