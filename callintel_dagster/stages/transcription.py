"""One tenant's transcription work for a run: decide per call, transcribe the audio, build rows.

Per call, in order: the source's transcript when it has one; else, for a tenant with an audio
STT provider, the recorded transcript when lib/process_once.py says it needs no work (made from
the same recording by the same provider and model, and not failed, or failed `max_attempts`
times), unless the run asks to `retranscribe`; else transcribe the archived recording. A call
whose recording is not archived says why.

Every transcript is redacted here, once, by the tenant's `privacy:` block before it is written
(docs/privacy.md): everything downstream reads core.call_transcripts / core.transcript_turns and
so only ever sees redacted text. With `keep_raw` the turns as spoken also go to the admin-only
core.transcript_turns_raw.

With a claimer (stages/claims.py), calls another live run has claimed are left to it, neither
transcribed (and paid for) nor written here; the rows are written per call, so two runs over one
day keep each other's.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pandas as pd

from callintel_dagster.lib.analysis.usage import stt_cost, usage_row
from callintel_dagster.lib.ingest.redaction import TenantRedaction
from callintel_dagster.lib.process_once import TRANSCRIPTION, needs_work, next_attempt
from callintel_dagster.lib.tables import (
    AI_USAGE,
    CALL_RECORDINGS,
    CALL_RECORDS,
    CALL_TRANSCRIPTS,
    TRANSCRIPT_TURNS,
    TRANSCRIPT_TURNS_RAW,
)
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.lib.transcripts.language import detect_language
from callintel_dagster.resources.stt import (
    AudioTranscriber,
    AudioWork,
    PassthroughTranscriber,
    Transcript,
)
from callintel_dagster.resources.warehouse import RowUpsert, Warehouse
from callintel_dagster.stages.claims import Claimer, call_refs, gone, replace_calls


@dataclass
class TenantTranscripts:
    rows: list[dict] = field(default_factory=list)
    turns: list[dict] = field(default_factory=list)
    raw_turns: list[dict] = field(default_factory=list)  # as spoken: keep_raw tenants only
    usage: list[dict] = field(default_factory=list)  # core.ai_usage: each recording sent to STT
    counts: Counter = field(default_factory=Counter)  # from_source, reused, transcribed, ...
    # calls whose rows this run replaces: its claimed calls and those no longer at the source
    replaced: list[tuple] = field(default_factory=list)
    # the calls left to other runs: run id → {day: calls}; per tenant, not merged
    left: dict[str, Counter] = field(default_factory=dict)

    def merge(self, other: "TenantTranscripts") -> None:
        self.rows += other.rows
        self.turns += other.turns
        self.raw_turns += other.raw_turns
        self.usage += other.usage
        self.replaced += other.replaced
        self.counts.update(other.counts)

    def writes(self) -> list:
        """One transaction: the transcripts and speaker turns of the calls this run replaces,
        and the usage rows. Raw turns are always replaced: a tenant that turns keep_raw off loses
        its raw turns on the next run."""
        return [
            *replace_calls(
                self.replaced,
                (CALL_TRANSCRIPTS, self.rows),
                (TRANSCRIPT_TURNS, self.turns),
                (TRANSCRIPT_TURNS_RAW, self.raw_turns),
            ),
            RowUpsert(
                AI_USAGE,
                ("tenant_id", "usage_id"),
                pd.DataFrame(self.usage, columns=AI_USAGE.column_names),
            ),
        ]

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=CALL_TRANSCRIPTS.column_names)


def transcribe_tenant(
    warehouse: Warehouse,
    tenant: Tenant,
    days: list[date],
    audio_tx: AudioTranscriber | None,
    retranscribe: bool = False,
    now: datetime | None = None,
    claimer: Claimer | None = None,
) -> TenantTranscripts:
    """`audio_tx`: the tenant's audio transcriber, or None when it keeps source transcripts;
    with a `claimer`, only the calls no other live run has claimed (`left_to_other_run`)."""
    slices = [(tenant.id, d) for d in days]
    now = now or datetime.now(UTC).replace(tzinfo=None)
    out, source = TenantTranscripts(), PassthroughTranscriber()
    privacy = TenantRedaction(tenant.privacy)
    stored = warehouse.read_slices(CALL_TRANSCRIPTS.qualified, slices)
    previous = _by_call(stored)
    recordings = _by_call(warehouse.read_slices(CALL_RECORDINGS.qualified, slices))
    calls = warehouse.read_slices(CALL_RECORDS.qualified, slices).to_dict("records")
    refs = call_refs(calls)
    held = claimer.take(tenant.id, refs) if claimer else {}
    out.replaced = [(tenant.id, d, c) for d, c in refs if c not in held] + gone(stored, refs)
    work: list[tuple[dict, dict, AudioWork]] = []
    reused: dict[str, dict] = {}
    for call in calls:
        if other := held.get(call["call_id"]):
            out.left.setdefault(other, Counter())[str(call["partition_date"])[:10]] += 1
            out.counts["left_to_other_run"] += 1
            continue
        found = source.transcribe(call)
        if found.status == "ok" or audio_tx is None or not call.get("recording_url"):
            _add(out, call, found, privacy)
            out.counts["from_source" if found.status == "ok" else found.status] += 1
            continue
        rec = recordings.get(call["call_id"])
        if rec is None or rec["recording_status"] != "archived":
            why = f"{rec['recording_status']}: {rec['reason']}" if rec else "not archived yet"
            reason = f"recording {why}"
            _add(out, call, Transcript("no_transcript", audio_tx.provider, reason=reason), privacy)
            out.counts["no_recording"] += 1
            continue
        prior = previous.get(call["call_id"])
        if not retranscribe and not _needs_work(prior, audio_tx, rec["sha256"], tenant):
            reused[call["call_id"]] = prior
            out.counts["reused"] += 1
            continue
        work.append((call, rec, AudioWork(call, rec["archive_uri"])))
    done = audio_tx.transcribe_many([w for _, _, w in work]) if work else {}
    for call, rec, _ in work:
        result = done[call["call_id"]]
        processor = (audio_tx.provider, audio_tx.model)
        prior = previous.get(call["call_id"])
        attempts = next_attempt(prior, processor, rec["sha256"], TRANSCRIPTION)
        _add(out, call, result, privacy, attempts, rec["sha256"])
        out.counts["transcribed" if result.status == "ok" else result.status] += 1
        if result.status in BILLED:
            out.usage.append(_usage(call, result, tenant, now))
    if reused:
        _reuse(out, warehouse, slices, reused, privacy)
    return out


def _reuse(out, warehouse: Warehouse, slices, reused: dict, privacy: TenantRedaction) -> None:
    """A reused transcript keeps its recorded turns; one stored before redaction existed (no
    counts) is redacted now, and its turns as stored are the raw ones of a keep_raw tenant."""
    tables = (TRANSCRIPT_TURNS, TRANSCRIPT_TURNS_RAW) if privacy.keep_raw else (TRANSCRIPT_TURNS,)
    stored = [_by_call_turns(warehouse.read_slices(t.qualified, slices)) for t in tables]
    for call_id, prior in reused.items():
        turns = stored[0].get(call_id, [])
        row, redacted = privacy.upgrade(prior, turns)
        out.rows.append(row)
        out.turns += redacted
        if privacy.keep_raw:
            out.raw_turns += stored[1].get(call_id) or (turns if row is not prior else [])


def _by_call_turns(frame) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for turn in frame.to_dict("records") if len(frame) else []:
        grouped.setdefault(turn["call_id"], []).append(turn)
    return {k: sorted(v, key=lambda t: t["turn_index"]) for k, v in grouped.items()}


# outcomes for which a provider processed the audio (and bills its minutes)
BILLED = ("ok", "empty")


def _usage(call: dict, result: Transcript, tenant: Tenant, now: datetime) -> dict:
    seconds = result.duration_s or call["duration_seconds"] or 0.0
    cost, priced = stt_cost(getattr(tenant.stt, "price_per_minute_usd", None), seconds)
    return usage_row(
        call["tenant_id"],
        call["partition_date"],
        kind="stt",
        purpose="transcription",
        provider=result.provider,
        model=result.model,
        now=now,
        call_id=call["call_id"],
        requests=1,
        audio_seconds=seconds,
        cost_usd=cost,
        priced=priced,
    )


def _needs_work(prior: dict | None, audio_tx: AudioTranscriber, sha: str, tenant: Tenant) -> bool:
    processor = (audio_tx.provider, audio_tx.model)
    return needs_work(prior, processor, sha, tenant.stt.max_attempts, recorded=TRANSCRIPTION)


def _by_call(frame) -> dict[str, dict]:
    return {r["call_id"]: r for r in frame.to_dict("records")} if len(frame) else {}


def _add(
    out: TenantTranscripts,
    call: dict,
    t: Transcript,
    privacy: TenantRedaction,
    attempts=None,
    sha=None,
) -> None:
    text, turns, redactions = privacy.apply(t.text, list(t.turns), call.get("redactions_json"))
    key = {
        "tenant_id": call["tenant_id"],
        "partition_date": call["partition_date"],
        "call_id": call["call_id"],
    }
    out.rows.append(
        key
        | {
            "transcript_status": t.status,
            "reason": t.reason,
            "text": text,
            # detected from the text itself (the local model always says "en"; text sources
            # say nothing); the provider's own word only when the text gives no signal
            "language": detect_language(t.text) or t.language,
            "duration_seconds": call["duration_seconds"] or t.duration_s,
            "provider": t.provider,
            "model": t.model,
            "confidence": t.confidence,
            "speaker_separation": t.speaker_separation,
            "turn_count": len(t.turns),
            "attempts": attempts,
            "audio_sha256": sha,
            "redactions_json": redactions,
        }
    )
    out.turns += _turn_rows(key, turns)
    if privacy.keep_raw:
        out.raw_turns += _turn_rows(key, t.turns)


def _turn_rows(key: dict, turns: list[dict]) -> list[dict]:
    return [
        key
        | {
            "turn_index": i,
            "role": turn["role"],
            "start_s": turn.get("start_s"),
            "end_s": turn.get("end_s"),
            "text": turn["text"],
            "confidence": turn.get("confidence"),
        }
        for i, turn in enumerate(turns)
    ]
