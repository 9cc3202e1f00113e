"""Sarvam AI speech-to-text through httpx: the synchronous endpoint for short clips, the batch
job API (with diarization) for everything else.

Follows ../shared/docs/provider-contracts.md (Sarvam AI STT) and Sarvam's public API reference:
- Every request carries the header `api-subscription-key`.
- Clips of `sync_max_s` (≤ 30 s) or less: `POST {base_url}/speech-to-text`, multipart `file` plus
  the fields `model` and `language_code` → `{request_id, transcript, language_code}`. One segment
  over the clip, no speaker (the synchronous endpoint does not diarize), `speaker_separation`
  "none". One attempt, like the other providers: the caller retries RetryableSttError.
- Longer recordings, and recordings whose duration cannot be read (WAV through the stdlib `wave`
  module or the RIFF chunks, other formats through PyAV when it is importable): the batch flow,
  each step retried on its own (429, 5xx, timeouts, connection errors, bodies that are not JSON;
  Retry-After honoured) so one glitch does not restart the whole job:
  1. `POST /speech-to-text/job/v1` `{"job_parameters": {model, language_code, with_timestamps:
     true, with_diarization: true}}` → `{job_id, job_state, ...}`;
  2. `POST /speech-to-text/job/v1/upload-files` `{job_id, files: [name]}` →
     `{upload_urls: {name: {file_url, file_metadata}}}`, then `PUT file_url` with the bytes and
     `x-ms-blob-type: BlockBlob` (the presigned URLs are Azure blob SAS URLs; no Sarvam key is
     sent to them);
  3. `POST /speech-to-text/job/v1/{job_id}/start`;
  4. `GET /speech-to-text/job/v1/{job_id}/status` every `poll_interval_s` until `job_state` is
     Completed or Failed, or `job_timeout_s` passes;
  5. `POST /speech-to-text/job/v1/download-files` `{job_id, files: [output names from
     job_details[].outputs[].file_name]}` → `{download_urls: {name: {file_url}}}`, then `GET` the
     result JSON `{transcript, language_code, diarized_transcript: {entries: [{transcript,
     start_time_seconds, end_time_seconds, speaker_id}]}}` → segments with the speaker id as
     the label, `speaker_separation` "diarization".
- Errors: no bytes → AudioError `empty_audio`; an empty transcript → `no_speech`; Sarvam's
  400/422 `invalid_request_error` about the audio (sync), or a file task failed with such a
  message (batch) → `unreadable_audio`; 413 → `too_long`; 401/403 (Sarvam answers 403
  `invalid_api_key_error` for a bad key), other 4xx and 429 `insufficient_quota_error` (credits
  exhausted) → PermanentSttError; a job that ends Failed, a job not finished in `job_timeout_s`
  and a batch step that keeps failing → RetryableSttError. Messages never carry the key nor the
  presigned URLs (their query strings are credentials).

UNCONFIRMED (the public docs do not show them; the emulator follows these guesses):
- the exact text of Sarvam's "invalid audio" error (matched loosely: a 400/422 whose message
  mentions audio/file/decode/format);
- whether a job whose only file failed ends `Completed` with `failed_files_count` 1 or `Failed`
  (both are handled: a file-level audio error wins over the job state);
- `x-ms-blob-type: BlockBlob` on the upload PUT (what the official SDK sends for Azure storage);
- what `start` answers for a job already started (a retried start after a lost answer): a 4xx
  there is checked against the job's status and ignored when the job is under way.
"""

import re
import threading
import time
from pathlib import PurePosixPath
from typing import Any

import httpx
from tenacity import RetryCallState

from callintel_dagster.lib.tenants.stt_config import SarvamStt
from callintel_dagster.lib.transcripts.audio_probe import duration_s
from callintel_dagster.providers.audio_types import content_type_for
from callintel_dagster.providers.http import retry_after_from, retrying
from callintel_dagster.providers.secrets import secret
from callintel_dagster.providers.stt.base import (
    AudioError,
    AudioInput,
    PermanentSttError,
    RetryableSttError,
    Segment,
    SttResult,
)

PROVIDER = "sarvam"
SYNC_PATH = "/speech-to-text"
JOB_PATH = "/speech-to-text/job/v1"
UPLOAD_PATH = JOB_PATH + "/upload-files"
DOWNLOAD_PATH = JOB_PATH + "/download-files"
START_PATH = JOB_PATH + "/{job_id}/start"
STATUS_PATH = JOB_PATH + "/{job_id}/status"
TERMINAL_STATES = {"completed", "failed"}
_AUDIO_ERROR = re.compile(r"audio|decode|corrupt|codec|unsupported (file|format)", re.I)
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}-[A-Z]{2}$")


class _Transient(Exception):
    """A step failed in a way retrying may fix; carries the message and Retry-After."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.message, self.retry_after = message, retry_after


class SarvamClient:
    """One `httpx.Client` (one connection pool) per object, safe to share between threads."""

    provider = PROVIDER

    def __init__(
        self,
        tenant_id: str,
        config: SarvamStt,
        api_key: str,
        *,
        step_attempts: int = 4,
        backoff_s: float = 0.5,
        max_step_wait_s: float = 30.0,
    ):
        self.tenant_id, self.model = tenant_id, config.model
        self.config = config
        self.base_url = config.base_url.rstrip("/")
        self.language_code = _language_code(config)
        self.step_attempts = step_attempts
        self.backoff_s, self.max_step_wait_s = backoff_s, max_step_wait_s
        self._secrets = (api_key,) if api_key else ()
        self._auth = {"api-subscription-key": api_key}
        pool = max(config.max_concurrency * 2, 8)
        self._client = httpx.Client(
            timeout=config.timeout_s,
            limits=httpx.Limits(max_connections=pool, max_keepalive_connections=pool),
        )
        self._lock = threading.Lock()
        self.jobs_created = 0  # batch jobs this client created (tests: retries make no new job)

    def transcribe(self, audio: AudioInput) -> SttResult:
        if not audio.data:
            raise AudioError(
                self.tenant_id, PROVIDER, "empty_audio", f"{audio.filename}: no bytes to send"
            )
        duration = duration_s(audio.data)
        if duration is not None and duration <= self.config.sync_max_s:
            return self._sync(audio, duration)
        return self._batch(audio, duration)

    def close(self) -> None:
        self._client.close()

    # ---- the synchronous endpoint -----------------------------------------------------------

    def _sync(self, audio: AudioInput, duration: float) -> SttResult:
        files = {"file": (audio.filename, audio.data, content_type_for(audio.filename))}
        data = {"model": self.model, "language_code": self.language_code}
        try:
            doc = self._call("POST", SYNC_PATH, files=files, data=data)
        except _Transient as exc:
            raise self._retryable(exc.message, exc.retry_after) from None
        if not isinstance(doc, dict) or "transcript" not in doc:
            raise self._retryable("the sync answer has no transcript")
        text = str(doc.get("transcript") or "").strip()
        if not text:
            raise self._no_speech(audio, duration)
        language = doc.get("language_code") or _known(self.language_code)
        extra = {"request_id": doc["request_id"]} if doc.get("request_id") else {}
        return SttResult(
            text=text,
            segments=[Segment(0.0, round(duration, 3), text)],
            model=self.model,
            language=str(language) if language else None,
            duration_s=duration,
            speaker_separation="none",
            extra=extra | {"endpoint": "sync"},
        )

    # ---- the batch job ----------------------------------------------------------------------

    def _batch(self, audio: AudioInput, duration: float | None) -> SttResult:
        assert audio.data is not None
        params = {
            "model": self.model,
            "language_code": self.language_code,
            "with_timestamps": True,
            "with_diarization": True,
        }
        created = self._step("create job", "POST", JOB_PATH, json={"job_parameters": params})
        job_id = created.get("job_id") if isinstance(created, dict) else None
        if not job_id:
            raise self._retryable("create job: the answer has no job_id")
        with self._lock:
            self.jobs_created += 1
        name = _upload_name(audio)
        where = f"job {job_id}"

        urls = self._step(
            f"{where}: upload-files", "POST", UPLOAD_PATH, json={"job_id": job_id, "files": [name]}
        )
        upload_url = _file_url(urls, "upload_urls", name)
        if not upload_url:
            raise self._retryable(f"{where}: upload-files gave no URL for {name}")
        self._step(
            f"{where}: upload",
            "PUT",
            upload_url,
            content=audio.data,
            headers={
                "x-ms-blob-type": "BlockBlob",
                "Content-Type": content_type_for(audio.filename),
            },
            expect_json=False,
        )
        self._start(job_id)
        status = self._wait(job_id)
        self._raise_for_file_errors(status, audio, where)
        if str(status.get("job_state", "")).lower() == "failed":
            message = status.get("error_message") or "the job failed without a message"
            raise self._retryable(f"{where} failed: {self._scrub(str(message))}")

        outputs = _output_names(status) or ["0.json"]  # the documented example name
        links = self._step(
            f"{where}: download-files",
            "POST",
            DOWNLOAD_PATH,
            json={"job_id": job_id, "files": outputs},
        )
        download_url = _file_url(links, "download_urls", outputs[0])
        if not download_url:
            raise self._retryable(f"{where}: download-files gave no URL for {outputs[0]}")
        doc = self._step(f"{where}: download", "GET", download_url, sarvam=False)
        return self._batch_result(doc, audio, duration, job_id)

    def _start(self, job_id: str) -> None:
        path = START_PATH.format(job_id=job_id)
        try:
            self._step(f"job {job_id}: start", "POST", path)
        except PermanentSttError as exc:
            # a start retried after a lost answer may be refused: fine if the job is under way
            if exc.status in (401, 403):
                raise
            status = self._step(f"job {job_id}: status", "GET", STATUS_PATH.format(job_id=job_id))
            state = str(status.get("job_state", "")).lower() if isinstance(status, dict) else ""
            if state not in ("pending", "running", "completed"):
                raise

    def _wait(self, job_id: str) -> dict:
        deadline = time.monotonic() + self.config.job_timeout_s
        path = STATUS_PATH.format(job_id=job_id)
        while True:
            status = self._step(f"job {job_id}: status", "GET", path)
            if not isinstance(status, dict):
                status = {}
            if str(status.get("job_state", "")).lower() in TERMINAL_STATES:
                return status
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._retryable(
                    f"job {job_id} not finished within {self.config.job_timeout_s:g}s "
                    f"(state {status.get('job_state')})"
                )
            time.sleep(min(self.config.poll_interval_s, left))

    def _raise_for_file_errors(self, status: dict, audio: AudioInput, where: str) -> None:
        details = status.get("job_details")
        for task in details if isinstance(details, list) else []:
            if not isinstance(task, dict):
                continue
            message = str(task.get("error_message") or "")
            if str(task.get("state", "")).lower() == "failed" or message:
                if _AUDIO_ERROR.search(message):
                    raise AudioError(
                        self.tenant_id,
                        PROVIDER,
                        "unreadable_audio",
                        f"{audio.filename}: {where}: {self._scrub(message)}",
                    )
                raise self._retryable(
                    f"{where}: the file failed: {self._scrub(message or 'no message')}"
                )

    def _batch_result(
        self, doc: object, audio: AudioInput, duration: float | None, job_id: str
    ) -> SttResult:
        if not isinstance(doc, dict):
            raise self._retryable(f"job {job_id}: the result is not a JSON object")
        diarized = doc.get("diarized_transcript")
        entries = diarized.get("entries") if isinstance(diarized, dict) else None
        segments = []
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict):
                continue
            text = str(entry.get("transcript") or "").strip()
            if not text:
                continue
            speaker = entry.get("speaker_id")
            segments.append(
                Segment(
                    start_s=_float(entry.get("start_time_seconds")) or 0.0,
                    end_s=_float(entry.get("end_time_seconds")) or 0.0,
                    text=text,
                    speaker=None if speaker is None else str(speaker),
                )
            )
        segments.sort(key=lambda s: (s.start_s, s.end_s))
        text = str(doc.get("transcript") or "").strip() or " ".join(s.text for s in segments)
        if duration is None and segments:
            duration = max(s.end_s for s in segments)
        if not text:
            raise self._no_speech(audio, duration)
        if not segments:
            segments = [Segment(0.0, duration or 0.0, text)]
        language = doc.get("language_code") or _known(self.language_code)
        has_speakers = any(s.speaker is not None for s in segments)
        extra: dict[str, Any] = {"endpoint": "batch", "job_id": job_id}
        if doc.get("request_id"):
            extra["request_id"] = doc["request_id"]
        return SttResult(
            text=text,
            segments=segments,
            model=self.model,
            language=str(language) if language else None,
            duration_s=duration,
            speaker_separation="diarization" if has_speakers else "none",
            extra=extra,
        )

    # ---- HTTP -------------------------------------------------------------------------------

    def _step(self, what: str, method: str, url: str, **kwargs: Any) -> Any:
        """One batch step, retried on transient failures; RetryableSttError when it keeps
        failing (or asks to wait longer than `max_step_wait_s`)."""
        # waits are capped at max_step_wait_s: a longer Retry-After gives up before sleeping
        steps = retrying(
            _Transient,
            self.step_attempts,
            self.max_step_wait_s,
            base=self.backoff_s,
            before_sleep=self._give_up_on_long_waits,
        )
        try:
            return steps(self._call, method, url, **kwargs)
        except _Transient as exc:
            raise self._retryable(f"{what}: {exc.message}", exc.retry_after) from None

    def _call(
        self,
        method: str,
        url: str,
        *,
        expect_json: bool = True,
        sarvam: bool | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """One request: the decoded JSON body; _Transient or a final error otherwise. Paths go
        to `base_url` with the key; absolute (presigned) URLs go without it."""
        absolute = url.startswith(("http://", "https://"))
        full = url if absolute else self.base_url + url
        send_key = (not absolute) if sarvam is None else sarvam
        all_headers = (self._auth if send_key else {}) | (headers or {})
        label = f"{method} {_safe_path(full)}"
        try:
            response = self._client.request(method, full, headers=all_headers, **kwargs)
        except httpx.TimeoutException:
            raise _Transient(f"{label}: no answer within {self.config.timeout_s:g}s") from None
        except httpx.TransportError as exc:
            raise _Transient(f"{label}: connection failed: {type(exc).__name__}") from None
        if response.status_code >= 400:
            raise self._status_error(response, label)
        if not expect_json:
            return None
        try:
            return response.json()
        except ValueError:
            raise _Transient(
                f"{label}: HTTP {response.status_code}, the body is not JSON"
            ) from None

    def _status_error(self, response: httpx.Response, label: str) -> Exception:
        status = response.status_code
        code, detail = _error_detail(response)
        detail = self._scrub(detail)
        message = f"model {self.model}: {label}: HTTP {status}"
        message += f" {code}: {detail}" if code else f": {detail}"
        if status == 429 and code == "insufficient_quota_error":
            return PermanentSttError(self.tenant_id, PROVIDER, message, status=status)
        if status in (408, 429) or status >= 500:
            return _Transient(message, retry_after_from(response.headers))
        if status == 413:
            return AudioError(self.tenant_id, PROVIDER, "too_long", message)
        if status in (400, 422) and code != "invalid_api_key_error" and _AUDIO_ERROR.search(detail):
            return AudioError(self.tenant_id, PROVIDER, "unreadable_audio", message)
        return PermanentSttError(self.tenant_id, PROVIDER, message, status=status)

    def _give_up_on_long_waits(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Transient) and (exc.retry_after or 0) > self.max_step_wait_s:
            raise exc  # the caller reschedules instead of holding a worker this long

    def _retryable(self, message: str, retry_after: float | None = None) -> RetryableSttError:
        return RetryableSttError(
            self.tenant_id, PROVIDER, self._scrub(f"model {self.model}: {message}"), retry_after
        )

    def _no_speech(self, audio: AudioInput, duration: float | None) -> AudioError:
        return AudioError(
            self.tenant_id,
            PROVIDER,
            "no_speech",
            f"{audio.filename}: no words recognised in {duration or 0:g}s of audio",
        )

    def _scrub(self, text: str, limit: int = 400) -> str:
        for value in self._secrets:
            text = text.replace(value, "***")
        return text[:limit]


def _language_code(config: SarvamStt) -> str:
    if config.language_code != "unknown":
        return config.language_code
    if config.language and _LANGUAGE_CODE.match(config.language):
        return config.language
    return "unknown"


def _known(language_code: str) -> str | None:
    return None if language_code == "unknown" else language_code


def _upload_name(audio: AudioInput) -> str:
    """The file's name in the job: the call id (safe characters only) with the extension."""
    suffix = PurePosixPath(audio.filename).suffix.lower() or ".wav"
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", audio.call_id or "audio")[:80] or "audio"
    return stem + suffix


def _file_url(doc: object, key: str, name: str) -> str | None:
    urls = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(urls, dict) or not urls:
        return None
    entry = urls.get(name) or next(iter(urls.values()))
    if isinstance(entry, dict):
        entry = entry.get("file_url")
    return entry if isinstance(entry, str) and entry else None


def _output_names(status: dict) -> list[str]:
    names = []
    details = status.get("job_details")
    for task in details if isinstance(details, list) else []:
        outputs = task.get("outputs") if isinstance(task, dict) else None
        for output in outputs if isinstance(outputs, list) else []:
            if isinstance(output, dict) and output.get("file_name"):
                names.append(str(output["file_name"]))
    return names


def _error_detail(response: httpx.Response) -> tuple[str | None, str]:
    """Sarvam's `{"error": {"message", "code"}}`, FastAPI's `{"detail": ...}`, else the text."""
    fallback = response.text[:300] or response.reason_phrase
    try:
        doc = response.json()
    except ValueError:
        return None, fallback
    if not isinstance(doc, dict):
        return None, fallback
    error = doc.get("error")
    if isinstance(error, dict):
        code = error.get("code")
        return (str(code) if code else None), str(error.get("message") or fallback)
    detail = doc.get("detail") or doc.get("message")
    return None, str(detail) if detail else fallback


def _safe_path(url: str) -> str:
    return httpx.URL(url).path or "/"  # never the query string: a SAS token is a credential


def _float(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def client_for(tenant_id: str, config: SarvamStt) -> SarvamClient:
    """The registry's factory."""
    return SarvamClient(
        tenant_id, config, secret(tenant_id, PROVIDER, config.api_key_env, PermanentSttError)
    )
