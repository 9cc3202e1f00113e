"""Drop-folder metadata → call records (pure: text in, dicts out, no file system).

A metadata file is JSON (one object or a list of objects) or CSV with a header row. Each row
becomes a call record with the keys `lib/ingest.call_rows` reads; columns we do not model are kept
(they land in extra_json). A file is accepted or rejected WHOLE: one bad row makes it malformed,
so it is quarantined with every reason listed and re-dropped once fixed, never half-ingested.

Accepted columns (first present wins):
  call_id                          required
  started_at | started_at_utc      required; ISO 8601 (offsets converted), or epoch seconds
  ended_at | ended_at_utc, duration_seconds | duration
  call_status | status             mapped to completed|no_answer|busy|failed|voicemail
  direction, agent_name | agent, phone_raw | phone, language, transcript_text | transcript
  recording | audio_file | recording_url   an audio file name in the drop folder, or a URL
Times without an offset are read in `source_timezone` (UTC unless configured).
"""

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

AUDIO_EXTENSIONS = frozenset({".wav", ".mp3", ".ogg", ".m4a"})
METADATA_EXTENSIONS = frozenset({".json", ".csv"})

STATUSES = {
    "completed": "completed",
    "complete": "completed",
    "answered": "completed",
    "answer": "completed",
    "no_answer": "no_answer",
    "no-answer": "no_answer",
    "no answer": "no_answer",
    "noanswer": "no_answer",
    "missed": "no_answer",
    "busy": "busy",
    "failed": "failed",
    "error": "failed",
    "canceled": "failed",
    "cancelled": "failed",
    "voicemail": "voicemail",
    "voice_mail": "voicemail",
}
DIRECTIONS = {"inbound": "inbound", "in": "inbound", "outbound": "outbound", "out": "outbound"}

_ALIASES: dict[str, tuple[str, ...]] = {
    "call_id": ("call_id",),
    "started_at": ("started_at", "started_at_utc"),
    "ended_at": ("ended_at", "ended_at_utc"),
    "duration": ("duration_seconds", "duration"),
    "status": ("call_status", "status"),
    "direction": ("direction",),
    "agent_name": ("agent_name", "agent"),
    "phone_raw": ("phone_raw", "phone"),
    "language": ("language",),
    "transcript_text": ("transcript_text", "transcript"),
    "recording": ("recording", "audio_file", "recording_url"),
}
_CONSUMED = {alias for aliases in _ALIASES.values() for alias in aliases}
_EPOCH = re.compile(r"^\d{9,11}(\.\d+)?$")  # seconds since 1970: 2001..2286


class MalformedFile(ValueError):
    """The file cannot be ingested; the message lists every reason (row numbers from 1)."""


def parse_metadata(name: str, text: str) -> list[dict[str, Any]]:
    """The raw rows of a metadata file (.json or .csv), or MalformedFile."""
    if not text.strip():
        raise MalformedFile("empty file")
    if name.lower().endswith(".json"):
        return _json_rows(text)
    if name.lower().endswith(".csv"):
        return _csv_rows(text)
    raise MalformedFile(f"not a metadata file (expected .json or .csv): {name}")


def _json_rows(text: str) -> list[dict[str, Any]]:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise MalformedFile(f"invalid JSON: {exc}") from None
    rows = doc if isinstance(doc, list) else [doc]
    bad = [i for i, row in enumerate(rows, 1) if not isinstance(row, dict)]
    if bad:
        raise MalformedFile(f"expected a JSON object or a list of objects; not objects: rows {bad}")
    return rows


def _csv_rows(text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), restkey="\0extra")
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise MalformedFile(f"invalid CSV: {exc}") from None
    header = reader.fieldnames or []
    if len(set(header)) != len(header) or any(not h.strip() for h in header):
        raise MalformedFile(f"invalid CSV header (empty or duplicate column names): {header}")
    # csv.DictReader pads short rows with None and collects surplus cells under restkey
    bad = [i for i, row in enumerate(rows, 1) if "\0extra" in row or None in row.values()]
    if bad:
        raise MalformedFile(f"CSV rows whose cell count differs from the header: {bad}")
    # an empty cell means "not given", as a missing JSON key does
    return [{k.strip(): (v if v.strip() else None) for k, v in row.items()} for row in rows]


def rows_to_calls(rows: list[dict[str, Any]], source_timezone: str = "UTC") -> list[dict]:
    """Every row as a call record, or MalformedFile naming each bad row and why."""
    calls, problems = [], []
    for number, row in enumerate(rows, 1):
        try:
            calls.append(row_to_call(row, source_timezone))
        except ValueError as exc:
            problems.append(f"row {number}: {exc}")
    if problems:
        raise MalformedFile("; ".join(problems))
    return calls


def row_to_call(row: dict[str, Any], source_timezone: str = "UTC") -> dict:
    """One metadata row as a call record; ValueError says what is wrong with it.

    `recording` holds the row's audio reference (a file name or URL) for the folder source to
    resolve into `recording_url`.
    """
    get = {field: _first(row, aliases) for field, aliases in _ALIASES.items()}
    call_id = _text(get["call_id"])
    if not call_id:
        raise ValueError("missing call_id")
    if get["started_at"] is None:
        raise ValueError(f"call {call_id}: missing started_at")
    started = _time(get["started_at"], source_timezone, call_id, "started_at")
    ended = None
    if get["ended_at"] is not None:
        ended = _time(get["ended_at"], source_timezone, call_id, "ended_at")
    duration = _duration(get["duration"], call_id)
    if duration is None and ended is not None:
        duration = max((ended - started).total_seconds(), 0.0)
    if ended is None and duration is not None:
        ended = started + timedelta(seconds=duration)
    raw_status = (_text(get["status"]) or "").lower()
    status = STATUSES.get(raw_status)
    if status is None:  # unknown or absent: decided by whether anyone talked, the raw value kept
        status = "failed" if duration == 0 else "completed"
    direction = _text(get["direction"])
    call = {
        "call_id": call_id,
        "started_at_utc": started,
        "ended_at_utc": ended,
        "duration_seconds": duration,
        "call_status": status,
        "direction": DIRECTIONS.get((direction or "").lower()),
        "agent_name": _text(get["agent_name"]),
        "phone_raw": _text(get["phone_raw"]),
        "language": _text(get["language"]),
        "transcript_text": _text(get["transcript_text"]),
        "recording": _recording(get["recording"], call_id),
        "is_final": True,
    }
    if raw_status and raw_status not in STATUSES:
        call["source_status"] = get["status"]
    if direction and direction.lower() not in DIRECTIONS:
        call["source_direction"] = direction
    # the columns we do not model are kept, not dropped (call_rows puts them in extra_json)
    call |= {k: v for k, v in row.items() if k not in _CONSUMED and k not in call}
    return call


def parse_time(value: Any, source_timezone: str = "UTC") -> datetime:
    """Naive UTC from an ISO 8601 string (with or without an offset), a datetime, or epoch
    seconds; a value without an offset is wall-clock time in `source_timezone`."""
    if isinstance(value, bool):  # bool is an int: True must not become 1970-01-01 00:00:01
        raise ValueError(f"not a time: {value!r}")
    if isinstance(value, int | float) or (isinstance(value, str) and _EPOCH.match(value.strip())):
        return datetime.fromtimestamp(float(value), UTC).replace(tzinfo=None)
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"unparseable time {value!r} (expected ISO 8601)") from None
    elif isinstance(value, datetime):
        parsed = value
    else:
        raise ValueError(f"not a time: {value!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(source_timezone))
    return parsed.astimezone(UTC).replace(tzinfo=None)


def _time(value: Any, tz: str, call_id: str, field: str) -> datetime:
    try:
        return parse_time(value, tz)
    except ValueError as exc:
        raise ValueError(f"call {call_id}: {field}: {exc}") from None


def _duration(value: Any, call_id: str) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"call {call_id}: duration is not a number: {value!r}") from None
    if seconds < 0 or seconds != seconds:  # negative or NaN
        raise ValueError(f"call {call_id}: invalid duration {value!r}")
    return seconds


def _recording(value: Any, call_id: str) -> str | None:
    text = _text(value)
    if text is None or "://" in text:
        return text
    # a bare file name in the tenant's folder: a path could reach another tenant's files
    if "/" in text or "\\" in text or text in (".", ".."):
        raise ValueError(f"call {call_id}: recording must be a file name or a URL: {text!r}")
    return text


def _first(row: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if row.get(key) is not None:
            return row[key]
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
