"""Deepgram pre-recorded speech-to-text through httpx: one `POST /v1/listen` per attempt.

Follows ../shared/docs/provider-contracts.md (Deepgram pre-recorded STT):
- `POST {base_url}/v1/listen?model=..&diarize=true&utterances=true&punctuate=true&smart_format=true`
  plus `language=<config.language>`, or `detect_language=true` when the tenant sets none;
  header `Authorization: Token <key>`.
- `send: bytes`: the recording's bytes with the Content-Type of its extension (audio/wav,
  audio/mpeg, audio/ogg, audio/mp4, ...); `send: url`: JSON `{"url": ...}` so Deepgram fetches the
  recording itself (a recording without a URL is sent as bytes).
- `results.utterances[]` become the segments (speaker label as a string, `speaker_separation`
  "diarization"); without utterances, the words are grouped by speaker. Text from
  `results.channels[0].alternatives[0].transcript`, duration from `metadata.duration`, language
  from `results.channels[0].detected_language` (else the configured one).
- Errors: no bytes to send → AudioError `empty_audio`; an empty transcript → `no_speech`;
  Deepgram's 400 "failed to process audio: corrupt or unsupported data" → `unreadable_audio`;
  413 → `too_long`; 408, 429, 5xx, timeouts, connection failures, bodies that are not JSON or
  lack `results` → RetryableSttError (with Retry-After); other 4xx (401/403 bad key, 402 no
  credit, 400 bad parameter or unreachable URL) → PermanentSttError with the status.
Messages never carry the key or the recording URL (it may be a presigned URL).
"""

import httpx

from callintel_dagster.lib.tenants.stt_config import DeepgramStt
from callintel_dagster.providers.audio_types import content_type_for
from callintel_dagster.providers.http import retry_after_from
from callintel_dagster.providers.secrets import secret
from callintel_dagster.providers.stt.base import (
    AudioError,
    AudioInput,
    PermanentSttError,
    RetryableSttError,
    Segment,
    SttResult,
)

PROVIDER = "deepgram"
LISTEN_PATH = "/v1/listen"
CORRUPT_MARKER = "corrupt or unsupported data"


def listen_params(config: DeepgramStt) -> dict[str, str]:
    params = {
        "model": config.model,
        "diarize": "true",
        "utterances": "true",
        "punctuate": "true",
        "smart_format": "true",
    }
    if config.language:
        params["language"] = config.language
    else:
        params["detect_language"] = "true"
    return params


class DeepgramClient:
    """One `httpx.Client` (one connection pool) per object, safe to share between threads."""

    provider = PROVIDER

    def __init__(self, tenant_id: str, config: DeepgramStt, api_key: str):
        self.tenant_id, self.model = tenant_id, config.model
        self.config = config
        self.url = config.base_url.rstrip("/") + LISTEN_PATH
        self.params = listen_params(config)
        self._secrets = (api_key,) if api_key else ()
        limits = httpx.Limits(
            max_connections=max(config.max_concurrency, 8),
            max_keepalive_connections=max(config.max_concurrency, 8),
        )
        self._client = httpx.Client(
            headers={"Authorization": f"Token {api_key}", "Accept": "application/json"},
            timeout=config.timeout_s,
            limits=limits,
        )

    def transcribe(self, audio: AudioInput) -> SttResult:
        """One attempt; the caller retries RetryableSttError."""
        if self.config.send == "url" and audio.url:
            request = {"json": {"url": audio.url}}
        else:
            if not audio.data:
                raise AudioError(
                    self.tenant_id, PROVIDER, "empty_audio", f"{audio.filename}: no bytes to send"
                )
            request = {
                "content": audio.data,
                "headers": {"Content-Type": content_type_for(audio.filename)},
            }
        try:
            response = self._client.post(self.url, params=self.params, **request)
        except httpx.TimeoutException:
            raise self._retryable(f"no answer within {self.config.timeout_s:g}s") from None
        except httpx.TransportError as exc:
            raise self._retryable(f"connection failed: {type(exc).__name__}") from None
        if response.status_code >= 400:
            raise self._status_error(response)
        try:
            doc = response.json()
        except ValueError:
            raise self._retryable(
                f"HTTP {response.status_code}: the response is not JSON"
            ) from None
        return self._result(doc, audio)

    def close(self) -> None:
        self._client.close()

    # ---- parsing ----------------------------------------------------------------------------

    def _result(self, doc: object, audio: AudioInput) -> SttResult:
        results = doc.get("results") if isinstance(doc, dict) else None
        if not isinstance(results, dict):
            raise self._retryable("the response has no results")
        assert isinstance(doc, dict)
        metadata = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
        channels = results.get("channels")
        channel = channels[0] if isinstance(channels, list) and channels else {}
        channel = channel if isinstance(channel, dict) else {}
        alternatives = channel.get("alternatives")
        alternative = alternatives[0] if isinstance(alternatives, list) and alternatives else {}
        alternative = alternative if isinstance(alternative, dict) else {}

        segments = _utterance_segments(results.get("utterances"))
        if not segments:
            segments = _word_segments(alternative.get("words"))
        text = str(alternative.get("transcript") or "").strip()
        if not text:
            text = " ".join(s.text for s in segments).strip()
        duration = _float(metadata.get("duration"))
        if not text:
            raise AudioError(
                self.tenant_id,
                PROVIDER,
                "no_speech",
                f"{audio.filename}: no words recognised in {duration or 0:g}s of audio",
            )
        overall = _float(alternative.get("confidence"))
        if not segments:  # a transcript without timings: one segment over the recording
            segments = [Segment(0.0, duration or 0.0, text, None, overall)]
        confidences = [s.confidence for s in segments if s.confidence is not None]
        confidence = sum(confidences) / len(confidences) if confidences else overall
        language = channel.get("detected_language") or self.config.language
        has_speakers = any(s.speaker is not None for s in segments)
        extra = {k: metadata[k] for k in ("request_id", "channels", "models") if k in metadata}
        if channel.get("language_confidence") is not None:
            extra["language_confidence"] = channel["language_confidence"]
        return SttResult(
            text=text,
            segments=segments,
            model=self.model,
            language=str(language) if language else None,
            duration_s=duration,
            confidence=confidence,
            speaker_separation="diarization" if has_speakers else "none",
            extra=extra,
        )

    # ---- errors -----------------------------------------------------------------------------

    def _status_error(self, response: httpx.Response) -> Exception:
        status = response.status_code
        code, detail, request_id = _error_detail(response)
        detail = self._scrub(detail)
        message = f"model {self.model}: HTTP {status}"
        message += f" {code}: {detail}" if code else f": {detail}"
        if request_id:
            message += f" (request_id {self._scrub(request_id)})"
        if status == 400 and CORRUPT_MARKER in detail.lower():
            return AudioError(self.tenant_id, PROVIDER, "unreadable_audio", message)
        if status == 413:
            return AudioError(self.tenant_id, PROVIDER, "too_long", message)
        if status in (408, 429) or status >= 500:
            return RetryableSttError(
                self.tenant_id, PROVIDER, message, retry_after_from(response.headers)
            )
        return PermanentSttError(self.tenant_id, PROVIDER, message, status=status)

    def _retryable(self, message: str) -> RetryableSttError:
        return RetryableSttError(self.tenant_id, PROVIDER, f"model {self.model}: {message}", None)

    def _scrub(self, text: str, limit: int = 300) -> str:
        for value in self._secrets:
            text = text.replace(value, "***")
        return text[:limit]


def _utterance_segments(utterances: object) -> list[Segment]:
    if not isinstance(utterances, list):
        return []
    segments = []
    for u in utterances:
        if not isinstance(u, dict):
            continue
        text = str(u.get("transcript") or "").strip()
        if not text:
            continue
        segments.append(
            Segment(
                start_s=_float(u.get("start")) or 0.0,
                end_s=_float(u.get("end")) or 0.0,
                text=text,
                speaker=_speaker(u.get("speaker")),
                confidence=_float(u.get("confidence")),
            )
        )
    segments.sort(key=lambda s: (s.start_s, s.end_s))
    return segments


def _word_segments(words: object) -> list[Segment]:
    """Consecutive words of one speaker as a segment, when Deepgram gave no utterances."""
    if not isinstance(words, list):
        return []
    groups: list[list[dict]] = []
    for w in words:
        if not isinstance(w, dict):
            continue
        if groups and _speaker(groups[-1][-1].get("speaker")) == _speaker(w.get("speaker")):
            groups[-1].append(w)
        else:
            groups.append([w])
    segments = []
    for group in groups:
        text = " ".join(str(w.get("punctuated_word") or w.get("word") or "") for w in group)
        if not text.strip():
            continue
        confidences = [c for c in (_float(w.get("confidence")) for w in group) if c is not None]
        segments.append(
            Segment(
                start_s=_float(group[0].get("start")) or 0.0,
                end_s=_float(group[-1].get("end")) or 0.0,
                text=text.strip(),
                speaker=_speaker(group[0].get("speaker")),
                confidence=sum(confidences) / len(confidences) if confidences else None,
            )
        )
    return segments


def _error_detail(response: httpx.Response) -> tuple[str | None, str, str | None]:
    """Deepgram's `{"err_code", "err_msg", "request_id"}` (or the newer `{"category", "message",
    "details"}`), else the body's text."""
    try:
        doc = response.json()
    except ValueError:
        return None, response.text[:300] or response.reason_phrase, None
    if not isinstance(doc, dict):
        return None, response.text[:300] or response.reason_phrase, None
    code = doc.get("err_code") or doc.get("category")
    detail = doc.get("err_msg") or doc.get("message") or doc.get("detail") or doc.get("details")
    if doc.get("message") and doc.get("details"):
        detail = f"{doc['message']} {doc['details']}"
    request_id = doc.get("request_id")
    return (
        str(code) if code else None,
        str(detail) if detail else response.text[:300] or response.reason_phrase,
        str(request_id) if request_id else None,
    )


def _speaker(value: object) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _float(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def client_for(tenant_id: str, config: DeepgramStt) -> DeepgramClient:
    """The registry's factory."""
    return DeepgramClient(
        tenant_id, config, secret(tenant_id, PROVIDER, config.api_key_env, PermanentSttError)
    )
