"""What a source record must have to become a row; a record without it is quarantined on its own.

Each check returns None for a good record, or a reason naming the field and what is wrong with it,
never the value (the value may be a transcript, a name or a number).
"""

from datetime import datetime
from numbers import Real

CALL_STATUSES = {"completed", "no_answer", "busy", "failed", "voicemail"}
# A source that cannot map one of its rows returns it with this key (the reason) instead of
# failing the whole fetch; the sync quarantines it.
QUARANTINE_KEY = "quarantine_reason"


def _id_problem(record: dict, key: str) -> str | None:
    value = record.get(key)
    if value is None or not str(value).strip():
        return f"{key}: missing"
    if len(str(value)) > 200:
        return f"{key}: longer than 200 characters"
    return None


def call_problem(call: dict) -> str | None:
    if call.get(QUARANTINE_KEY):
        return call[QUARANTINE_KEY]
    if problem := _id_problem(call, "call_id"):
        return problem
    started = call.get("started_at_utc")
    if not isinstance(started, datetime):
        return "started_at_utc: missing" if started is None else "started_at_utc: not a timestamp"
    ended = call.get("ended_at_utc")
    if ended is not None and not isinstance(ended, datetime):
        return "ended_at_utc: not a timestamp"
    duration = call.get("duration_seconds")
    if duration is not None:
        if isinstance(duration, bool) or not isinstance(duration, Real) or duration != duration:
            return "duration_seconds: not a number"
        if duration < 0:
            return "duration_seconds: negative"
    if call.get("call_status") not in CALL_STATUSES:
        return "call_status: missing" if call.get("call_status") is None else "call_status: unknown"
    return None


def lead_problem(lead: dict) -> str | None:
    if lead.get(QUARANTINE_KEY):
        return lead[QUARANTINE_KEY]
    if problem := _id_problem(lead, "lead_id"):
        return problem
    for key in ("created_at_utc", "modified_at_utc"):
        value = lead.get(key)
        if value is not None and not isinstance(value, datetime):
            return f"{key}: not a timestamp"
    if lead.get("created_at_utc") is None and lead.get("modified_at_utc") is None:
        return "modified_at_utc: missing (and no created_at_utc)"
    return None


def deal_problem(deal: dict) -> str | None:
    if problem := _id_problem(deal, "deal_id"):
        return problem
    amount = deal.get("amount")
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, Real)):
        return "amount: not a number"
    if deal.get("created_at_utc") is None and deal.get("modified_at_utc") is None:
        return "modified_at_utc: missing (and no created_at_utc)"
    return None
