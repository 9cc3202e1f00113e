"""Speech-to-text. A tenant picks a provider under `stt:`.

`passthrough` (the default) keeps the transcript the call source provides; a call that carries
only audio is recorded as `no_transcript` with the reason, never dropped. Audio providers
(`local` Whisper, `deepgram`, `sarvam`) also keep a source transcript when there is one, and
otherwise transcribe the call's archived recording: concurrently (`max_concurrency`, or
`workers` for the local model), each worker holding a slot of the Dagster pool `stt_<provider>`,
with 429 / 5xx / timeouts retried (Retry-After honoured). Bad audio is that call's outcome
(`failed: unreadable_audio`, `empty: no_speech`, ...), never an exception for the partition.
"""

import json
from dataclasses import dataclass, field
from typing import Protocol

import dagster as dg

from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.lib.transcripts.audio_probe import duration_s
from callintel_dagster.lib.transcripts.speaker_roles import turns_from_segments
from callintel_dagster.lib.transcripts.turns import turns_from_text
from callintel_dagster.providers.http import retrying
from callintel_dagster.providers.registry import is_local
from callintel_dagster.providers.stt.base import (
    AudioError,
    AudioInput,
    PermanentSttError,
    RetryableSttError,
)
from callintel_dagster.resources.pool_slots import run_workers

RETRIES = 4
MAX_BACKOFF_S = 30.0


@dataclass
class Transcript:
    status: str  # ok | empty | no_transcript | failed
    provider: str
    model: str | None = None
    reason: str | None = None
    text: str = ""
    language: str | None = None
    confidence: float | None = None
    speaker_separation: str = "none"  # source | channel | diarization | heuristic | none
    turns: list[dict] = field(default_factory=list)
    duration_s: float | None = None


class Transcriber(Protocol):
    provider: str
    model: str | None

    def transcribe(self, call: dict) -> Transcript: ...


class PassthroughTranscriber:
    provider = "passthrough"
    model = None

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


@dataclass
class AudioWork:
    call: dict
    archive_uri: str  # the archived recording (raw.call_recordings)


class AudioTranscriber:
    """Transcribes archived recordings with the tenant's STT client."""

    def __init__(self, tenant: Tenant, client, read_audio, slots=None):
        self._tenant, self._client, self._read = tenant, client, read_audio
        self._config = tenant.stt
        self._slots = slots
        self.provider, self.model = client.provider, client.model

    def transcribe_many(self, work: list[AudioWork]) -> dict[str, Transcript]:
        limit = getattr(self._config, "max_concurrency", None) or self._config.workers
        return run_workers(
            work, lambda w: w.call["call_id"], self._one, limit, self._slots, f"stt-{self.provider}"
        )

    def _one(self, item: AudioWork) -> Transcript:
        base = dict(provider=self.provider, model=self.model)
        location = item.call.get("recording_url") or ""
        audio = AudioInput(
            item.call["call_id"],
            self._read(item.archive_uri),
            item.archive_uri.rsplit("/", 1)[-1],
            url=location if location.startswith(("http://", "https://")) else None,
        )
        length = duration_s(audio.data or b"")
        if length is not None and length > self._config.max_duration_s:
            reason = (
                f"too_long: {length:.0f} s is over max_duration_s {self._config.max_duration_s:g}"
            )
            return Transcript(status="failed", reason=reason, duration_s=length, **base)
        try:
            result = self._with_retries(audio)
        except AudioError as exc:
            status = "empty" if exc.reason in ("no_speech", "empty_audio") else "failed"
            return Transcript(status=status, reason=f"{exc.reason}: {exc}"[:500], **base)
        except RetryableSttError as exc:
            return Transcript(status="failed", reason=f"provider_unavailable: {exc}"[:500], **base)
        except PermanentSttError as exc:
            if exc.status in (401, 403):
                raise
            return Transcript(status="failed", reason=f"provider_error: {exc}"[:500], **base)
        turns, separation = turns_from_segments(
            result.segments, result.speaker_separation, self._config.agent_channel
        )
        if not turns:
            return Transcript(status="empty", reason="no_speech: no words recognised", **base)
        return Transcript(
            status="ok",
            provider=self.provider,
            model=self.model,  # what process-once compares; the provider's own id is in logs
            text="\n".join(t["text"] for t in turns),
            language=result.language,
            confidence=result.confidence,
            speaker_separation=separation,
            turns=turns,
            duration_s=result.duration_s,
        )

    def _with_retries(self, audio: AudioInput):
        for attempt in retrying(RetryableSttError, RETRIES, MAX_BACKOFF_S):
            with attempt:
                return self._client.transcribe(audio)
        raise AssertionError("unreachable")  # Retrying either returns or re-raises


class Transcribers(dg.ConfigurableResource):
    """Builds the STT provider a tenant configured under `stt:`."""

    def audio_for_tenant(self, tenant: Tenant, read_audio, slots=None) -> AudioTranscriber | None:
        """The audio transcriber, or None when the tenant keeps source transcripts only."""
        if is_local("stt", tenant.id, tenant.stt.provider):  # `passthrough`: source text only
            return None
        from callintel_dagster.providers.stt import build_stt_client

        return AudioTranscriber(tenant, build_stt_client(tenant.id, tenant.stt), read_audio, slots)
