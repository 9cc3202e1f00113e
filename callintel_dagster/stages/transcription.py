"""One tenant's transcription work for a run: decide per call, transcribe the audio, build rows.

Per call, in order: the source's transcript when it has one; else, for a tenant with an audio
STT provider, the recorded transcript when it was made from the same recording by the same
provider and model (and did not fail, or failed `max_attempts` times), unless the run asks to
`retranscribe`; else transcribe the archived recording. A call whose recording is not archived says why.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from callintel_dagster.resources.stt import AudioWork, PassthroughTranscriber, Transcript
from callintel_dagster.resources.warehouse import Warehouse


@dataclass
class TenantTranscripts:
    rows: list[dict] = field(default_factory=list)
    turns: list[dict] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)


def transcribe_tenant(
    tenant, days: list[date], audio_tx, warehouse: Warehouse, retranscribe: bool = False
) -> TenantTranscripts:
    slices = [(tenant.id, d) for d in days]
    out, source = TenantTranscripts(), PassthroughTranscriber()
    previous = _by_call(warehouse.read_slices("core.call_transcripts", slices))
    recordings = _by_call(warehouse.read_slices("raw.call_recordings", slices))
    work: list[tuple[dict, dict, AudioWork]] = []
    for call in warehouse.read_slices("raw.call_records", slices).to_dict("records"):
        found = source.transcribe(call)
        if found.status == "ok" or audio_tx is None or not call.get("recording_url"):
            _add(out, call, found, None, None)
            out.counts["from_source" if found.status == "ok" else found.status] += 1
            continue
        rec = recordings.get(call["call_id"])
        if rec is None or rec["recording_status"] != "archived":
            why = f"{rec['recording_status']}: {rec['reason']}" if rec else "not archived yet"
            _add(
                out, call, Transcript("no_transcript", audio_tx.provider, reason=f"recording {why}")
            )
            out.counts["no_recording"] += 1
            continue
        prior = previous.get(call["call_id"])
        if not retranscribe and _reusable(prior, audio_tx, rec["sha256"], tenant.stt.max_attempts):
            out.rows.append(prior)
            out.counts["reused"] += 1
            continue
        work.append((call, rec, AudioWork(call, rec["archive_uri"])))
    done = audio_tx.transcribe_many([w for _, _, w in work]) if work else {}
    for call, rec, _ in work:
        result = done[call["call_id"]]
        attempts = _attempts(previous.get(call["call_id"]), audio_tx, rec["sha256"])
        _add(out, call, result, attempts, rec["sha256"])
        out.counts["transcribed" if result.status == "ok" else result.status] += 1
    reused = {r["call_id"] for r in out.rows if r.get("_reused")}
    if reused:
        turns = warehouse.read_slices("core.transcript_turns", slices)
        out.turns += [t for t in turns.to_dict("records") if t["call_id"] in reused]
    for row in out.rows:
        row.pop("_reused", None)
    return out


def _by_call(frame) -> dict[str, dict]:
    return {r["call_id"]: r for r in frame.to_dict("records")} if len(frame) else {}


def _same_audio(prior: dict | None, audio_tx, sha: str) -> bool:
    return bool(
        prior
        and prior["provider"] == audio_tx.provider
        and prior["model"] == audio_tx.model
        and prior.get("audio_sha256") == sha
    )


def _reusable(prior: dict | None, audio_tx, sha: str, max_attempts: int) -> bool:
    if not _same_audio(prior, audio_tx, sha):
        return False
    if prior["transcript_status"] == "failed" and (prior.get("attempts") or 0) < max_attempts:
        return False
    prior["_reused"] = True
    return True


def _attempts(prior: dict | None, audio_tx, sha: str) -> int:
    if _same_audio(prior, audio_tx, sha) and prior["transcript_status"] == "failed":
        return int(prior.get("attempts") or 0) + 1
    return 1


def _add(out: TenantTranscripts, call: dict, t: Transcript, attempts=None, sha=None) -> None:
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
            "text": t.text,
            "language": t.language,
            "duration_seconds": call["duration_seconds"] or t.duration_s,
            "provider": t.provider,
            "model": t.model,
            "confidence": t.confidence,
            "speaker_separation": t.speaker_separation,
            "turn_count": len(t.turns),
            "attempts": attempts,
            "audio_sha256": sha,
        }
    )
    out.turns += [
        key
        | {
            "turn_index": i,
            "role": turn["role"],
            "start_s": turn.get("start_s"),
            "end_s": turn.get("end_s"),
            "text": turn["text"],
            "confidence": turn.get("confidence"),
        }
        for i, turn in enumerate(t.turns)
    ]
