"""Realistic warehouse rows for the explorer's read-layer tests, written with the real table
definitions through `Warehouse.write` (no pipeline run: fast enough for the unit tier).

Two tenants with the same shape and one shared call id ("call-0001"), so a query that forgets
its tenant shows up as a wrong count or a wrong agent. Per tenant:
  call-0001  day 1, completed 125 s, analysed ok (positive, booked, a price objection), three
             timed turns, an archived recording, signals, an answer, a CRM lead by phone
  {t}-c2     day 1, no answer: transcript empty, analysis skipped
  {t}-c3     day 2, completed 40 s, analysed ok (negative, callback), recording unavailable;
             its summary starts "=1+1" and holds "50%_off" and "<script>" (CSV and ILIKE escaping)
  {t}-held   held back by only_crm_phones (raw.held_calls)
  {t}-quar   quarantined by the sync (raw.quarantined_records)
Day 3 was synced without calls; a deal was won on day 2 (those rows: explorer_rows_around.py).
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
from explorer_rows_around import DAY1, DAY2, DAYS, PHONE, SYNCED, TENANTS, around_rows

from callintel_dagster.explorer.reader import Reader
from callintel_dagster.lib import tables as T
from callintel_dagster.resources.warehouse import SliceWrite, Warehouse
from conftest import fresh_postgres_db

ANALYSED = datetime(2026, 11, 20, 9, 5)
AGENT = {"acme": ("Asha", "Ravi"), "globex": ("Gina", "Gus")}
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28)  # a header is all the reader needs


def _analysis(t: str, call_id: str, day: date, ok: dict) -> dict:
    quality = {
        "Greets the customer": {"passed": True, "applies": True, "evidence": "Hello, Asha here"},
        "Handles the objection": {"passed": False, "applies": False, "evidence": ""},
    }
    body = {
        "summary": {"sentence": ok["summary"], "paragraph": ok["summary"] + " More detail."},
        "bant": {"budget": ok["budget"], "authority": False, "need": True, "timeline": False,
                 "qualified": False, "evidence": {"budget": "budget is ten lakh", "need": "a flat"}},
        "quality": quality,
        "objections": {"objections": [{"type": o, "quote": "too costly"} for o in ok["objections"]]},
    }  # fmt: skip
    return {
        "tenant_id": t, "partition_date": day, "call_id": call_id, "analysis_status": "ok",
        "reason": None, "attempts": 1, "provider": "offline", "model": "rules-v1",
        "agent_version": "rules-1", "input_hash": "h" + call_id, "summary": ok["summary"],
        "summary_paragraph": ok["summary"] + " More detail.",
        "sentiment_label": ok["sentiment"], "sentiment_score": ok["score"] / 100 - 0.5,
        "bant_budget": ok["budget"], "bant_authority": False, "bant_need": True,
        "bant_timeline": False, "bant_qualified": False,
        "objections_json": json.dumps(ok["objections"]), "quality_score": ok["score"],
        "contact_tag": ok["tag"], "lead_status": ok["status"], "lead_score": ok["score"] - 10,
        "qualification_stage": ok["stage"], "analysis_json": json.dumps(body),
        "analysed_at_utc": ANALYSED, "cache_hit": False, "requests": 1, "retries": 0,
        "prompt_tokens": 900, "completion_tokens": 200, "cost_usd": 0.002,
    }  # fmt: skip


def _call(t: str, call_id: str, day: date, agent: str, status: str, seconds: float, phone: str):
    start = datetime.combine(day, datetime.min.time()) + timedelta(hours=5, minutes=len(call_id))
    return {
        "tenant_id": t, "partition_date": day, "call_id": call_id, "provider": "synthetic",
        "direction": "outbound", "agent_name": agent, "phone_raw": phone, "phone_e164": phone,
        "phone_valid": True, "phone_issue": None, "started_at_utc": start,
        "ended_at_utc": start + timedelta(seconds=seconds), "duration_seconds": seconds,
        "call_status": status, "recording_url": f"https://rec.example/{call_id}.wav?sig=SECRET",
        "language": "en", "transcript_text": None, "transcript_turns_json": None,
        "extra_json": "{}", "is_final": True, "record_hash": "x" + call_id, "repairs": None,
        "ingested_at_utc": SYNCED,
    }  # fmt: skip


def tenant_rows(t: str, home: Path) -> dict[T.Table, list[dict]]:
    agent1, agent2 = AGENT[t]
    c2, c3 = f"{t}-c2", f"{t}-c3"
    key1 = {"tenant_id": t, "partition_date": DAY1, "call_id": "call-0001"}
    audio = home / "audio" / t / "call-0001.wav"
    audio.parent.mkdir(parents=True, exist_ok=True)
    audio.write_bytes(WAV)
    turns = [("agent", 0.5, 4.0, f"Hello, {agent1} here from {t}."),
             ("customer", 4.5, 9.0, "Our budget is ten lakh but it is too costly."),
             ("agent", 65.2, 70.0, "Shall I book a visit on Saturday?")]  # fmt: skip
    ok1 = dict(summary=f"{agent1} booked a site visit", sentiment="positive", score=80.0,
               budget=True, objections=["price"], tag="interested", status="booked",
               stage="qualified")  # fmt: skip
    ok3 = dict(summary="=1+1 asked for 50%_off <script>alert(1)</script>", sentiment="negative",
               score=30.0, budget=False, objections=[], tag="follow_up", status="callback",
               stage="exploring")  # fmt: skip
    skipped = _analysis(t, c2, DAY1, ok3) | {
        "analysis_status": "skipped", "reason": "empty: no speech (no_answer)",
        "summary": None, "sentiment_label": None, "quality_score": None, "lead_score": None,
        "contact_tag": None, "lead_status": None, "qualification_stage": None,
        "analysis_json": None, "objections_json": None,
    }  # fmt: skip
    transcript = {"transcript_status": "ok", "reason": None, "text": "...", "language": "en",
                  "duration_seconds": 125.0, "provider": "local", "model": "whisper",
                  "confidence": 0.9, "speaker_separation": "channel", "turn_count": 3}  # fmt: skip
    return {
        T.CALL_RECORDS: [
            _call(t, "call-0001", DAY1, agent1, "completed", 125.0, PHONE[t]),
            _call(t, c2, DAY1, agent2, "no_answer", 0.0, "+919800000002"),
            _call(t, c3, DAY2, agent2, "completed", 40.0, "+919800000003"),
        ],
        T.CALL_TRANSCRIPTS: [
            key1 | transcript,
            {
                **key1,
                **transcript,
                "call_id": c2,
                "transcript_status": "empty",
                "reason": "no speech (no_answer)",
                "turn_count": 0,
                "language": None,
            },
            {**key1, **transcript, "call_id": c3, "partition_date": DAY2, "language": "hi-en"},
        ],  # fmt: skip
        T.TRANSCRIPT_TURNS: [
            key1 | {"turn_index": i, "role": r, "start_s": s, "end_s": e, "text": x}
            for i, (r, s, e, x) in enumerate(turns)
        ],
        T.CALL_RECORDINGS: [
            key1
            | {
                "location": "https://rec.example/1.wav",
                "archive_uri": str(audio),
                "bytes": len(WAV),
                "sha256": "ab",
                "content_type": "audio/wav",
                "recording_status": "archived",
                "reason": None,
                "archived_at_utc": SYNCED,
            },
            {
                **key1,
                "call_id": c3,
                "partition_date": DAY2,
                "location": "https://rec.example/3",
                "recording_status": "unavailable",
                "reason": "not_found",
                "archived_at_utc": SYNCED,
            },
        ],  # fmt: skip
        T.CALL_SIGNALS: [key1 | {"talk_seconds": 100.0, "talk_ratio": 0.6, "interruptions": 1}],
        T.CALL_ANALYSES: [
            _analysis(t, "call-0001", DAY1, ok1),
            skipped,
            _analysis(t, c3, DAY2, ok3),
        ],
        T.CALL_OBJECTIONS: [key1 | {"objection": "price"}],
        T.CALL_ANSWERS: [
            key1
            | {
                "kind": "question",
                "name": "visit",
                "question": "Visit booked?",
                "answer": "yes",
                "quote": "Shall I book a visit",
            }
        ],  # fmt: skip
    } | around_rows(t, agent2)


def fill(warehouse: Warehouse, home: Path) -> None:
    """Both tenants' rows, one transaction."""
    by_table: dict[T.Table, list[dict]] = {}
    for t in TENANTS:
        for table, rows in tenant_rows(t, home).items():
            by_table.setdefault(table, []).extend(rows)
    slices = [(t, d) for t in TENANTS for d in DAYS]
    warehouse.write(
        [SliceWrite(table, slices, pd.DataFrame(rows)) for table, rows in by_table.items()]
    )


@contextmanager
def filled_reader(backend: str, root: Path) -> Iterator[tuple[Reader, Path]]:
    """(a Reader over both tenants' rows, the CALLINTEL_HOME holding their audio) on "duckdb"
    (the reader opens the snapshot, made on first read) or "postgres" (a fresh database)."""
    home = root / "home"
    if backend == "duckdb":
        warehouse = Warehouse(url=f"duckdb:///{home}/warehouse.duckdb")
        fill(warehouse, home)
        yield Reader(warehouse), home
        return
    with fresh_postgres_db() as url:
        warehouse = Warehouse(url=url)
        fill(warehouse, home)
        reader = Reader(warehouse)
        try:
            yield reader, home
        finally:
            reader.close()
