"""Speech-to-text providers. A tenant picks one under `stt:`.

`passthrough` (the default) keeps the transcript the call source provides; a call that carries only
audio is recorded as `no_transcript` with the reason, never dropped. Audio providers (local Whisper,
Deepgram, Sarvam) implement the same `transcribe`.
"""

import json
from dataclasses import dataclass, field
from typing import Protocol

import dagster as dg

from callintel_dagster.lib.registry import Tenant
from callintel_dagster.lib.turns import turns_from_text


@dataclass
class Transcript:
    status: str  # ok | empty | no_transcript
    provider: str
    model: str | None = None
    reason: str | None = None
    text: str = ""
    language: str | None = None
    confidence: float | None = None
    speaker_separation: str = "none"  # source | channel | heuristic | none
    turns: list[dict] = field(default_factory=list)


class Transcriber(Protocol):
    def transcribe(self, call: dict) -> Transcript: ...


class PassthroughTranscriber:
    provider = "passthrough"

    def transcribe(self, call: dict) -> Transcript:
        turns = (
            json.loads(call["transcript_turns_json"])
            if call.get("transcript_turns_json")
            else turns_from_text(call.get("transcript_text") or "")
        )
        text = (call.get("transcript_text") or "").strip()
        base = dict(provider=self.provider, language=call.get("language"))
        if turns:
            return Transcript(
                status="ok",
                text=text or "\n".join(t["text"] for t in turns),
                speaker_separation="source",
                turns=turns,
                **base,
            )
        if call.get("recording_url"):
            return Transcript(
                status="no_transcript",
                reason="audio only: tenant has no STT provider (stt.provider=passthrough)",
                **base,
            )
        return Transcript(
            status="empty", reason=f"no speech ({call.get('call_status')})", text=text, **base
        )


class Transcribers(dg.ConfigurableResource):
    """Builds the STT provider a tenant configured under `stt:`."""

    def for_tenant(self, tenant: Tenant) -> Transcriber:
        match tenant.stt.provider:
            case "passthrough":
                return PassthroughTranscriber()
        raise ValueError(f"tenant {tenant.id}: unknown stt provider {tenant.stt.provider!r}")
