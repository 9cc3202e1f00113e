"""What every speech-to-text client offers: one recording in, timed segments out.

Segments carry the speaker as the provider reports it (a diarization label, a channel number or
None); turning them into agent / customer turns is the caller's job. Audio problems are
`AudioError`s with a stable reason code a user can filter on; provider trouble is retryable or
permanent, like the LLM clients.
"""

from dataclasses import dataclass, field

from callintel_dagster.providers.base import (
    PermanentProviderError,
    ProviderError,
    RetryableProviderError,
)


@dataclass(frozen=True)
class AudioInput:
    call_id: str
    data: bytes | None  # the recording's bytes
    filename: str  # with its extension (.wav, .mp3, .ogg, .m4a): the format hint
    url: str | None = None  # where a provider may fetch it itself (Deepgram `send: url`)


@dataclass(frozen=True)
class Segment:
    start_s: float
    end_s: float
    text: str
    speaker: str | None = None  # provider label ("0", "SPEAKER_01"), "ch0"/"ch1", or None
    confidence: float | None = None


@dataclass
class SttResult:
    text: str
    segments: list[Segment]
    model: str
    language: str | None = None
    duration_s: float | None = None
    confidence: float | None = None  # mean over segments, when the provider gives one
    # how speakers were separated: channel | diarization | heuristic | none
    speaker_separation: str = "none"
    extra: dict = field(default_factory=dict)


class SttError(ProviderError):
    """Any speech-to-text failure (the STT branch of the provider error family)."""


class AudioError(SttError):
    """The recording itself is the problem; `reason` is one of unreadable_audio, empty_audio,
    no_speech, too_long, unsupported_format."""

    def __init__(self, tenant_id: str, provider: str, reason: str, message: str):
        super().__init__(tenant_id, provider, f"{reason}: {message}")
        self.reason = reason


class RetryableSttError(RetryableProviderError, SttError):
    def __init__(self, tenant_id: str, provider: str, message: str, retry_after: float | None):
        super().__init__(tenant_id, provider, message, retry_after)


class PermanentSttError(PermanentProviderError, SttError):
    def __init__(self, tenant_id: str, provider: str, message: str, status: int | None = None):
        super().__init__(tenant_id, provider, message, status)
