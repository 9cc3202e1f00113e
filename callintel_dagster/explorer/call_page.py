"""One call of one tenant, as the call page shows it: the record, the transcript turns, the
recording, the signals, the analysis, the CRM lead, and why any step skipped or failed.

Reads the raw and core tables (fresh: the 5-minute path writes them without dbt). Every query
names the tenant, so another tenant's call id finds nothing.
"""

import json
import re
from pathlib import Path
from typing import Any

from callintel_dagster.explorer.reader import Reader
from callintel_dagster.lib.transcripts.moments import mm_ss

BANT_ITEMS = ("budget", "authority", "need", "timeline")
# a validation error's reason quotes the value it refused (an LLM reply: words of the call)
QUOTED_INPUT = re.compile(r"input_value=.*?(?=, input_type=|\]|$)", re.S)
KEY = ("tenant_id", "partition_date", "call_id")
# the record as the page shows it: not the source's recording URL (it may carry a signature)
CALL_COLUMNS = """call_id, partition_date AS day, provider, direction, agent_name, phone_raw,
  phone_e164, phone_valid, phone_issue, started_at_utc, ended_at_utc, duration_seconds,
  call_status, language, is_final, repairs, ingested_at_utc,
  (call_status = 'completed' AND COALESCE(duration_seconds, 0) > 0) AS is_connected"""
# of a held call's row_json: the record as it would have landed
HELD_FIELDS = (
    "provider direction agent_name phone_e164 started_at_utc duration_seconds call_status language"
).split()
LEAD_COLUMNS = """lead_id, provider, full_name, phone_e164, email, lead_source, lead_status,
  created_at_utc, modified_at_utc"""


def call_detail(reader: Reader, tenant_id: str, call_id: str) -> dict | None:
    """Everything about the call; None when the tenant has no call (landed, held or
    quarantined) with this id."""
    found = reader.rows(
        f"SELECT {CALL_COLUMNS} FROM raw.call_records WHERE tenant_id = ? AND call_id = ? "
        "ORDER BY ingested_at_utc DESC LIMIT 1",
        [tenant_id, call_id],
    )
    if not found:
        return _not_landed(reader, tenant_id, call_id)
    call = found[0]
    call["is_connected"] = bool(call["is_connected"])
    key = [tenant_id, call["day"], call_id]
    recording = _one(reader, "raw.call_recordings", "archived_at_utc", key)
    transcript = _one(reader, "core.call_transcripts", "turn_count", key)
    analysis_row = _one(reader, "core.call_analyses", "analysed_at_utc", key)
    return {
        "call": call,
        "turns": _turns(reader, key),
        "recording": recording
        and {
            "status": recording["recording_status"],
            "content_type": recording["content_type"],
            "bytes": recording["bytes"],
            "reason": recording["reason"],
        },
        "signals": _signals(reader, key),
        "analysis": analysis_row and _analysis(reader, analysis_row, key),
        "lead": _lead(reader, tenant_id, call["phone_e164"]),
        "problems": _problems(reader, tenant_id, call_id, recording, transcript, analysis_row),
    }


def _one(reader: Reader, table: str, newest: str, key: list) -> dict | None:
    rows = reader.rows(
        f"SELECT * FROM {table} WHERE tenant_id = ? AND partition_date = ? AND call_id = ? "
        f"ORDER BY {newest} DESC NULLS LAST LIMIT 1",
        key,
    )
    return rows[0] if rows else None


def _turns(reader: Reader, key: list) -> list[dict]:
    rows = reader.rows(
        "SELECT turn_index, role, start_s, end_s, text FROM core.transcript_turns "
        "WHERE tenant_id = ? AND partition_date = ? AND call_id = ? ORDER BY turn_index",
        key,
    )
    return [
        {
            "index": int(r["turn_index"]),
            "role": r["role"],
            "start_s": r["start_s"],
            "end_s": r["end_s"],
            "moment": moment(r["start_s"]),
            "text": r["text"],
        }
        for r in rows
    ]


def moment(seconds: float | None) -> str:
    """ "mm:ss" into the recording, as every other callintel surface writes it ("" when the
    transcript has no timestamps)."""
    return "" if seconds is None else mm_ss(max(0.0, seconds))


def _signals(reader: Reader, key: list) -> dict | None:
    row = _one(reader, "core.call_signals", "talk_seconds", key)
    return row and {k: v for k, v in row.items() if k not in KEY}


def _analysis(reader: Reader, row: dict, key: list) -> dict:
    out = _json(row.get("analysis_json"), {})
    evidence = (out.get("bant") or {}).get("evidence") or {}
    quality = out.get("quality") or {}
    answers = reader.rows(
        "SELECT kind, name, question, answer, quote FROM core.call_answers "
        "WHERE tenant_id = ? AND partition_date = ? AND call_id = ? ORDER BY kind, name",
        key,
    )
    return {
        "status": row["analysis_status"],
        "reason": row["reason"],
        "provider": row["provider"],
        "model": row["model"],
        "summary": row["summary"],
        "summary_paragraph": row["summary_paragraph"],
        "sentiment_label": row["sentiment_label"],
        "sentiment_score": row["sentiment_score"],
        "bant": [
            {"name": item, "value": row[f"bant_{item}"], "evidence": evidence.get(item)}
            for item in (*BANT_ITEMS, "qualified")
        ],
        "quality_score": row["quality_score"],
        "quality": [
            {
                "item": item,
                "passed": bool(verdict.get("passed")),
                "applies": bool(verdict.get("applies", True)),
                "evidence": verdict.get("evidence") or "",
            }
            for item, verdict in quality.items()
            if isinstance(verdict, dict)
        ],
        "objections": _json(row.get("objections_json"), []),
        "answers": answers,
        "lead_score": row["lead_score"],
        "qualification_stage": row["qualification_stage"],
        "contact_tag": row["contact_tag"],
        "lead_status": row["lead_status"],
    }


def _json(text: str | None, empty: Any) -> Any:
    """Stored JSON, or `empty` when absent or unreadable (a page shows what it can)."""
    try:
        value = json.loads(text) if text else empty
    except ValueError:
        return empty
    return value if isinstance(value, type(empty)) else empty


def _lead(reader: Reader, tenant_id: str, phone_e164: str | None) -> dict | None:
    """The CRM lead with the call's number, chosen as fct_calls chooses it (latest changed)."""
    if not phone_e164:
        return None
    rows = reader.rows(
        f"SELECT {LEAD_COLUMNS} FROM raw.crm_leads WHERE tenant_id = ? AND phone_e164 = ? "
        "ORDER BY modified_at_utc DESC NULLS LAST, created_at_utc DESC NULLS LAST, "
        "partition_date DESC, lead_id DESC LIMIT 1",
        [tenant_id, phone_e164],
    )
    return rows[0] if rows else None


def _problems(
    reader: Reader,
    tenant_id: str,
    call_id: str,
    recording: dict | None,
    transcript: dict | None,
    analysis: dict | None,
) -> list[dict]:
    """Each step that did not end ok, with its status and reason (ids and codes, no words)."""
    out = []
    if recording and recording["recording_status"] != "archived":
        out.append(_problem("recording", recording["recording_status"], recording["reason"]))
    if transcript is None:
        out.append(_problem("transcript", "pending", "not transcribed yet"))
    elif transcript["transcript_status"] != "ok":
        out.append(_problem("transcript", transcript["transcript_status"], transcript["reason"]))
    if analysis is None:
        out.append(_problem("analysis", "pending", "not analysed yet"))
    elif analysis["analysis_status"] != "ok":
        out.append(_problem("analysis", analysis["analysis_status"], analysis["reason"]))
    found = _held_or_quarantined(reader, tenant_id, call_id)
    return out + [{k: p[k] for k in ("stage", "status", "reason")} for p in found]


def _problem(stage: str, status: str, reason: str | None) -> dict:
    reason = QUOTED_INPUT.sub("input_value=…", reason or "")
    return {"stage": stage, "status": status, "reason": reason[:300]}


def _held_or_quarantined(reader: Reader, tenant_id: str, call_id: str) -> list[dict]:
    held = reader.rows(
        "SELECT partition_date AS day, row_json FROM raw.held_calls "
        "WHERE tenant_id = ? AND call_id = ?",
        [tenant_id, call_id],
    )
    quarantined = reader.rows(
        "SELECT partition_date AS day, reason FROM raw.quarantined_records WHERE tenant_id = ? "
        "AND source = 'call_records' AND record_id = ? AND status = 'open' "
        "ORDER BY quarantined_at_utc DESC",
        [tenant_id, call_id],
    )
    why_held = "the number is not a CRM lead yet (only_crm_phones)"
    return [
        _problem("sync", "held", why_held) | {"day": h["day"], "row_json": h["row_json"]}
        for h in held[:1]
    ] + [_problem("sync", "quarantined", q["reason"]) | {"day": q["day"]} for q in quarantined]


def _not_landed(reader: Reader, tenant_id: str, call_id: str) -> dict | None:
    """A call the sync held back or quarantined: its page says why, with what is known."""
    found = _held_or_quarantined(reader, tenant_id, call_id)
    if not found:
        return None
    call: dict[str, Any] = {"call_id": call_id, "day": found[0]["day"]}
    record = _json(found[0].get("row_json"), {})
    call |= {k: record.get(k) for k in HELD_FIELDS if k in record}
    problems = [{k: p[k] for k in ("stage", "status", "reason")} for p in found]
    nothing = dict.fromkeys(("recording", "signals", "analysis", "lead"))
    return {"call": call, "turns": [], **nothing, "problems": problems}


def archived_recording(reader: Reader, tenant_id: str, call_id: str) -> dict | None:
    """The call's latest archived recording: {archive_uri, content_type}; None without one."""
    rows = reader.rows(
        "SELECT archive_uri, content_type FROM raw.call_recordings WHERE tenant_id = ? "
        "AND call_id = ? AND recording_status = 'archived' ORDER BY archived_at_utc DESC LIMIT 1",
        [tenant_id, call_id],
    )
    return rows[0] if rows and rows[0]["archive_uri"] else None


def call_audio(reader: Reader, home: Path, tenant_id: str, call_id: str) -> tuple[Path, str] | None:
    """The archived recording's file and content type; None when there is none, or when the
    stored path does not lie inside this tenant's archive ($CALLINTEL_HOME/audio/<tenant>).
    A recording in the shared store (s3://) is served by explorer/recording.py."""
    found = archived_recording(reader, tenant_id, call_id)
    if found is None or "://" in found["archive_uri"]:
        return None
    path = Path(found["archive_uri"]).resolve()
    if not path.is_relative_to((Path(home) / "audio" / tenant_id).resolve()):
        return None
    if not path.is_file():
        return None
    return path, found["content_type"] or "application/octet-stream"
