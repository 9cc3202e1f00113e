"""Bolna executions → the call and lead dicts that `lib/ingest/rows.py` turns into rows.

Pure and Dagster-free. Bolna's fields are tolerated in every documented variant: the duration as
`conversation_duration` or `conversation_time` (else `telephony_data.duration`, a digit string),
and `extracted_data` free-form or nested per category (`{"intent": {"subjective", "objective",
"confidence", ...}}`), or even a JSON string.

Statuses: terminal ones map to our enum; a non-terminal one (the call is still running, or the
post-call data has not arrived yet) maps to a PROVISIONAL status and `terminal`/`is_final` False,
so the caller re-reads it by id until Bolna says it is done:
  - `call-disconnected`, `in-progress`: provisional `completed` (the call connected; duration,
    cost and extraction follow seconds later),
  - `scheduled`, `queued`, `rescheduled`, `initiated`, `ringing`: provisional `no_answer` (nobody
    has answered yet).
"""

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from callintel_dagster.lib.phones import normalise_phone
from callintel_dagster.lib.transcripts.turns import turns_from_text

TERMINAL_STATUS = {
    "completed": "completed",
    "busy": "busy",
    "no-answer": "no_answer",
    "failed": "failed",
    "error": "failed",
    "canceled": "failed",
    "stopped": "failed",
    "balance-low": "failed",  # the account ran out of credit: the call was never placed
}
PROVISIONAL_STATUS = {
    "call-disconnected": "completed",
    "in-progress": "completed",
    "scheduled": "no_answer",
    "queued": "no_answer",
    "rescheduled": "no_answer",
    "initiated": "no_answer",
    "ringing": "no_answer",
}
# Keys of one category in the nested extracted_data shape.
_CATEGORY_KEYS = {"subjective", "objective"}


def execution_to_call(execution: dict, agent_name: str | None = None) -> dict:
    """One call record (keys of CALL_RECORDS, plus Bolna fields kept in extra_json)."""
    tel = execution.get("telephony_data") or {}
    direction = tel.get("call_type")
    raw_status = execution.get("status")
    call_status, terminal = map_status(raw_status, bool(execution.get("answered_by_voice_mail")))
    started = parse_utc(execution.get("created_at"))
    duration = duration_seconds(execution)
    transcript = execution.get("transcript") or None
    return {
        "call_id": str(execution["id"]),
        "direction": direction,
        "agent_name": agent_name,
        "phone_raw": customer_number(execution),
        # created_at, not a telephony time: it is what the list endpoint filters on, so a call
        # lands in the same tenant-day it was fetched for.
        "started_at_utc": started,
        "ended_at_utc": started + timedelta(seconds=duration)
        if started is not None and duration is not None
        else None,
        "duration_seconds": duration,
        "call_status": call_status,
        "recording_url": tel.get("recording_url"),
        "language": None,  # Bolna does not report the spoken language
        "transcript_text": transcript,
        "turns": turns_from_text(transcript) if transcript else [],
        "is_final": terminal,  # the column ingest reads
        "terminal": terminal,
        "bolna_status": raw_status,
        "agent_id": execution.get("agent_id"),
        "batch_id": execution.get("batch_id"),
        "cost_cents": execution.get("total_cost"),
        "cost_breakdown": execution.get("cost_breakdown"),
        "hangup_by": tel.get("hangup_by"),
        "hangup_reason": tel.get("hangup_reason"),
        "provider_call_id": tel.get("provider_call_id"),
        "telephony_provider": tel.get("provider"),
        "error_message": execution.get("error_message"),
        "updated_at_utc": parse_utc(execution.get("updated_at")),
        "extracted_data": execution.get("extracted_data"),
    }


def map_status(status: str | None, voicemail: bool = False) -> tuple[str, bool]:
    """(our call_status, terminal). An unknown status is kept terminal `failed` (the raw value
    stays in bolna_status): re-reading it by id forever would not make it known."""
    key = (status or "").strip().lower()
    if key in PROVISIONAL_STATUS:
        return PROVISIONAL_STATUS[key], False
    mapped = TERMINAL_STATUS.get(key, "failed")
    return ("voicemail" if mapped == "completed" and voicemail else mapped), True


def pending_ids(calls: list[dict]) -> list[str]:
    """Ids of non-terminal calls: re-read them with BolnaSource.fetch_by_ids on later syncs."""
    return [c["call_id"] for c in calls if not c.get("terminal", True)]


def duration_seconds(execution: dict) -> float | None:
    for key in ("conversation_duration", "conversation_time"):
        value = _number(execution.get(key))
        if value is not None:
            return value
    return _number((execution.get("telephony_data") or {}).get("duration"))


def customer_number(execution: dict) -> str | None:
    """The customer's side: the number dialled when outbound, the caller when inbound."""
    tel = execution.get("telephony_data") or {}
    if tel.get("call_type") == "inbound":
        return tel.get("from_number") or execution.get("user_number")
    # outbound, or not said: Bolna agents mostly dial out
    recipient = (execution.get("context_details") or {}).get("recipient_phone_number")
    return tel.get("to_number") or recipient or execution.get("user_number")


def parse_utc(value: Any) -> datetime | None:
    """ISO-8601 → naive UTC; a value without an offset is taken as UTC (Bolna writes `Z`)."""
    if not value:
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        parsed = datetime.fromisoformat(str(value).strip().replace(" ", "T"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


# ---- customers (seed 000, Flow 1: extracted_data → Customer) ----

_NAME_KEYS = ("full_name", "name", "customer_name", "user_name", "caller_name", "lead_name")
_EMAIL_KEYS = ("email", "email_address", "email_id", "customer_email", "user_email")
_BOOKED_KEYS = ("booked", "appointment_booked", "meeting_booked", "site_visit_booked", "booking")
_STATUS_KEYS = ("lead_status", "status", "call_outcome", "outcome", "disposition")
_INTEREST_KEYS = ("user_interested", "interested", "is_interested", "customer_interested")
_CALLBACK_KEYS = ("callback_requested", "call_back", "callback", "wants_callback")


def execution_to_customer(execution: dict, region: str = "IN") -> dict | None:
    """A lead (keys of CRM_LEADS) from one execution's extracted_data; None when there is none.

    lead_id is `bolna:<E.164>` (or `bolna:<digits>` when the number does not normalise) so that
    the same customer dialled again, in any number format, is one lead that each call updates;
    without a number it is `bolna:execution:<id>`. `region` is the tenant's default region.
    """
    data = flatten_extracted(execution.get("extracted_data"))
    if not data:
        return None
    phone = customer_number(execution)
    created = parse_utc(execution.get("created_at"))
    return {
        "lead_id": lead_id_for(phone, region) or f"bolna:execution:{execution['id']}",
        "full_name": _full_name(data, execution),
        "phone_raw": phone,
        "email": _first(data, _EMAIL_KEYS),
        "lead_source": "voice_agent",
        "lead_status": lead_status(data),
        "created_at_utc": created,
        "modified_at_utc": parse_utc(execution.get("updated_at")) or created,
        "extra": {**data, "execution_id": execution["id"], "agent_id": execution.get("agent_id")},
    }


def lead_id_for(phone: str | None, region: str) -> str | None:
    if not phone or not phone.strip():
        return None
    normal = normalise_phone(phone, region)
    key = normal.e164 or re.sub(r"\D", "", phone)
    return f"bolna:{key}" if key else None


def dedupe_customers(customers: list[dict]) -> list[dict]:
    """One lead per lead_id: the latest call's view, created when the customer was first seen."""
    merged: dict[str, dict] = {}
    for lead in sorted(customers, key=lambda c: c["modified_at_utc"] or datetime.min):
        first = merged.get(lead["lead_id"])
        if first is not None:
            lead = {
                **lead,
                "created_at_utc": first["created_at_utc"],
                # a later call that did not catch the name or email must not erase it
                "full_name": lead["full_name"] or first["full_name"],
                "email": lead["email"] or first["email"],
                "extra": {**first["extra"], **lead["extra"]},
            }
        merged[lead["lead_id"]] = lead
    return list(merged.values())


def flatten_extracted(extracted: Any) -> dict:
    """Both extracted_data shapes → one flat dict of snake_case keys.

    Nested per category: the category's value is `objective` when set (the structured answer),
    else `subjective`; its other non-null fields (confidence, reasoning, ...) are kept as
    `<category>.<field>`. Free-form nested dicts become dotted keys.
    """
    if isinstance(extracted, str):
        try:
            extracted = json.loads(extracted)
        except ValueError:
            return {"extracted_text": extracted} if extracted.strip() else {}
    if not isinstance(extracted, dict):
        return {}
    flat: dict = {}
    _flatten_into(flat, "", extracted)
    return flat


def _flatten_into(flat: dict, prefix: str, data: dict) -> None:
    for key, value in data.items():
        name = f"{prefix}{_snake(key)}"
        if isinstance(value, dict) and _CATEGORY_KEYS & value.keys():
            chosen = "objective" if value.get("objective") not in (None, "") else "subjective"
            flat[name] = value.get(chosen)
            for sub, detail in value.items():
                if sub != chosen and detail is not None:
                    flat[f"{name}.{_snake(sub)}"] = detail
        elif isinstance(value, dict):
            _flatten_into(flat, f"{name}.", value)
        else:
            flat[name] = value


def lead_status(data: dict) -> str:
    """booked > an explicit status the agent extracted > callback > (not_)interested > contacted.

    `booked` first: seed 000 sorts booked customers to the top, whatever else was said."""
    if _truthy(_first(data, _BOOKED_KEYS)):
        return "booked"
    explicit = _first(data, _STATUS_KEYS)
    if isinstance(explicit, str) and explicit.strip():
        return _snake(explicit)
    if _truthy(_first(data, _CALLBACK_KEYS)):
        return "callback"
    interested = _first(data, _INTEREST_KEYS)
    if interested is not None:
        return "interested" if _truthy(interested) else "not_interested"
    return "contacted"  # the agent spoke to them and extracted something, but no intent


def _full_name(data: dict, execution: dict) -> str | None:
    name = _first(data, _NAME_KEYS)
    if not name:
        parts = [_first(data, ("first_name",)), _first(data, ("last_name",))]
        name = " ".join(str(p).strip() for p in parts if p) or None
    if not name:  # the name the campaign was dialled with
        recipient = (execution.get("context_details") or {}).get("recipient_data") or {}
        name = recipient.get("name") if isinstance(recipient, dict) else None
    if not name:
        return None
    return str(name).strip() or None


def _first(data: dict, keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = data.get(key)
        if value not in (None, ""):
            return value
    return None


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "yes", "y", "1", "booked", "interested"}
    return bool(value)


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*", str(value))
    return float(match.group(1)) if match else None


def _snake(text: Any) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(text).strip().lower()).strip("_")
