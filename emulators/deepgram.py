"""Deepgram pre-recorded `/v1/listen` emulator: answers from a registry of known recordings.

Follows ../shared/docs/provider-contracts.md (Deepgram pre-recorded STT) and Deepgram's documented
response and error shapes:
- `POST /v1/listen` with `Authorization: Token <key>` (checked when `api_key` is set, else 401
  `{"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials.", "request_id"}`); body raw audio
  (any `Content-Type` but application/json) or JSON `{"url": "..."}`.
- It cannot transcribe: `add_recording(audio_bytes_or_url, utterances=[(speaker, start, end,
  text), ...], duration=..., language=...)` registers what a recording says, keyed by the sha256
  of its bytes, by its URL, or "default" (the answer for unknown audio). Unknown bytes with an
  audio container's magic (RIFF/WAVE, ID3 or an MPEG frame sync, OggS, ftyp, fLaC, EBML) get the
  "default" recording or an empty transcript; bytes that are not audio (or a RIFF that is no
  WAVE) get Deepgram's 400 `{"err_code": "Bad Request", "err_msg": "Bad Request: failed to
  process audio: corrupt or unsupported data", "request_id"}`. An unknown URL on 127.0.0.1 /
  localhost is fetched and treated as bytes (a failed fetch: 400 `REMOTE_CONTENT_ERROR`); other
  unknown URLs get "default" or an empty transcript (the emulator never leaves the machine).
- The answer: `metadata {transaction_key, request_id, sha256, created, duration, channels: 1,
  models, model_info}`, `results.channels[0] {alternatives[0] {transcript, confidence, words[]
  {word, start, end, confidence, punctuated_word, speaker?}}, detected_language?,
  language_confidence?}` and, with `utterances=true`, `results.utterances[] {start, end,
  confidence, channel, transcript, words, speaker?, id}`; `speaker` only with `diarize=true`,
  `detected_language` only with `detect_language=true`. Speakers registered as digit strings are
  answered as integers, as Deepgram does.
- `requests_per_minute` set: beyond it 429 `TOO_MANY_REQUESTS` with `retry-after`.
- Faults (base `inject`, pattern LISTEN_PATH or "*"): status faults answer with a Deepgram-shaped
  error body; `{"timeout": s}` and `{"malformed": true}` as the base does; content faults
  `{"reply": "empty"}` (an empty transcript) and `{"reply": "no_utterances"}` (no utterances).
- Counters: `requests` (base, per route), `calls` (the query, content type, sha256 or URL of each
  request that passed authentication) and `seconds_transcribed` (durations of 200 answers).

Standalone: `python -m emulators.deepgram --port 18721 [--api-key dg-test] [--rpm 60]`.
"""

import argparse
import hashlib
import json
import math
import struct
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.error import URLError
from urllib.parse import urlsplit
from urllib.request import urlopen

from emulators.base import Emulator, Request, Response
from emulators.llm import RateWindow

LISTEN_PATH = "/v1/listen"
DEFAULT = "default"
CORRUPT_MSG = "Bad Request: failed to process audio: corrupt or unsupported data"
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
_ERRORS = {
    400: ("Bad Request", "Bad Request"),
    401: ("INVALID_AUTH", "Invalid credentials."),
    402: ("ASR_PAYMENT_REQUIRED", "Project does not have enough credits for an ASR request."),
    403: ("INSUFFICIENT_PERMISSIONS", "The API key lacks the permission for this request."),
    404: ("Not Found", "Not Found"),
    413: ("Payload Too Large", "Payload Too Large"),
    429: ("TOO_MANY_REQUESTS", "Too many requests. Please try again later"),
    500: ("INTERNAL_SERVER_ERROR", "Internal Server Error"),
    502: ("BAD_GATEWAY", "Bad Gateway"),
    503: ("SERVICE_UNAVAILABLE", "Service Unavailable"),
    504: ("GATEWAY_TIMEOUT", "Gateway Timeout"),
}


@dataclass(frozen=True)
class DeepgramRecording:
    utterances: tuple[tuple[str | int | None, float, float, str], ...]
    duration: float | None
    language: str


def deepgram_error(status: int, message: str | None = None, code: str | None = None) -> Response:
    default_code, default_message = _ERRORS.get(status, ("ERROR", f"emulated {status}"))
    body = {
        "err_code": code or default_code,
        "err_msg": message or default_message,
        "request_id": str(uuid.uuid4()),
    }
    return Response(status, body)


def audio_kind(data: bytes) -> str | None:
    """The container the bytes start like ("wav", "mp3", "ogg", "mp4", "flac", "webm"), else
    None; a RIFF that is not a readable WAVE is None too."""
    if data[:4] == b"RIFF":
        return "wav" if wav_duration(data) is not None else None
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "mp3"
    if data[:4] == b"OggS":
        return "ogg"
    if data[4:8] == b"ftyp":
        return "mp4"
    if data[:4] == b"fLaC":
        return "flac"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    return None


def wav_duration(data: bytes) -> float | None:
    """Seconds of a RIFF/WAVE (any codec: PCM, mu-law, ...) from its fmt and data chunks."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    pos, byte_rate, data_size = 12, None, None
    while pos + 8 <= len(data):
        chunk_id, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        if chunk_id == b"fmt " and size >= 16 and pos + 24 <= len(data):
            byte_rate = struct.unpack("<I", data[pos + 16 : pos + 20])[0]
        elif chunk_id == b"data":
            data_size = min(size, len(data) - pos - 8)
            break
        pos += 8 + size + (size & 1)
    if not byte_rate or data_size is None:
        return None
    return data_size / byte_rate


class DeepgramEmulator(Emulator):
    name = "deepgram"

    def __init__(
        self,
        port: int = 0,
        latency_s: float = 0.5,
        api_key: str | None = None,
        requests_per_minute: int | None = None,
        rate_window_s: float = 60.0,
    ):
        super().__init__(port=port, latency_s=latency_s)
        self.api_key = api_key
        self.rate = RateWindow(requests_per_minute, rate_window_s)
        self.calls: list[dict] = []
        self.seconds_transcribed = 0.0
        self._recordings: dict[str, DeepgramRecording] = {}
        self._state = threading.Lock()
        self.route("POST", LISTEN_PATH, self._listen)

    def add_recording(
        self,
        audio: bytes | str,
        utterances: list[tuple] | tuple = (),
        duration: float | None = None,
        language: str = "en",
    ) -> str:
        """Register what a recording says; `audio` is its bytes, its URL or "default". Returns
        the registry key (the sha256 of bytes, else the string)."""
        key = hashlib.sha256(audio).hexdigest() if isinstance(audio, bytes) else audio
        rows = tuple((u[0], float(u[1]), float(u[2]), str(u[3])) for u in utterances)
        with self._state:
            self._recordings[key] = DeepgramRecording(rows, duration, language)
        return key

    def inject(self, pattern: str, *faults: dict) -> None:
        shaped = []
        for fault in faults:
            fault = dict(fault)
            status = fault.get("status")
            if status and status != 200 and "body" not in fault:
                fault["body"] = deepgram_error(int(status)).body
            shaped.append(fault)
        super().inject(pattern, *shaped)

    # ---- the route --------------------------------------------------------------------------

    def _listen(self, request: Request) -> Response:
        if self.api_key is not None:
            if request.headers.get("authorization", "") != f"Token {self.api_key}":
                return deepgram_error(401)
        wait = self.rate.admit()
        if wait is not None:
            response = deepgram_error(429)
            response.headers = {"retry-after": str(math.ceil(wait))}
            return response
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        call = {"query": dict(request.query), "content_type": content_type}
        if content_type == "application/json":
            try:
                doc = json.loads(request.body or b"null")
            except ValueError:
                doc = None
            if not isinstance(doc, dict) or not isinstance(doc.get("url"), str):
                return deepgram_error(
                    400,
                    "Content-type was application/json, but we could not process the JSON payload.",
                )
            call["url"] = doc["url"]
            found = self._lookup_url(doc["url"])
            if isinstance(found, Response):
                self._record(call)
                return found
            recording, sha = found
        else:
            sha = hashlib.sha256(request.body).hexdigest()
            call["sha256"] = sha
            recording = self._lookup_bytes(request.body, sha)
        self._record(call)
        if recording is None:
            return deepgram_error(400, CORRUPT_MSG)
        body = self._transcript(recording, request.query, sha, request.fault or {})
        with self._state:
            self.seconds_transcribed += body["metadata"]["duration"]
        return Response(200, body, {"dg-request-id": body["metadata"]["request_id"]})

    def _record(self, call: dict) -> None:
        with self._state:
            self.calls.append(call)

    def _known(self, key: str) -> DeepgramRecording | None:
        with self._state:
            return self._recordings.get(key)

    def _lookup_bytes(self, data: bytes, sha: str) -> DeepgramRecording | None:
        """The registered recording, the default for other audio, None for bytes not audio."""
        known = self._known(sha)
        if known is not None:
            return known
        if not data or audio_kind(data) is None:
            return None
        duration = wav_duration(data) if data[:4] == b"RIFF" else None
        default = self._known(DEFAULT)
        if default is not None:
            return DeepgramRecording(
                default.utterances, default.duration or duration, default.language
            )
        return DeepgramRecording((), duration, "en")

    def _lookup_url(self, url: str) -> tuple[DeepgramRecording | None, str] | Response:
        known = self._known(url)
        if known is not None:
            return known, hashlib.sha256(url.encode()).hexdigest()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return deepgram_error(
                400,
                "Could not determine if URL for media download is publicly routable.",
                "REMOTE_CONTENT_ERROR",
            )
        if (parts.hostname or "") in _LOCAL_HOSTS:
            try:
                with urlopen(url, timeout=10) as answer:  # noqa: S310 - 127.0.0.1 only
                    data = answer.read()
            except (URLError, OSError, ValueError) as exc:
                return deepgram_error(
                    400,
                    f"The remote server hosting the media returned a client error: {exc}",
                    "REMOTE_CONTENT_ERROR",
                )
            sha = hashlib.sha256(data).hexdigest()
            return self._lookup_bytes(data, sha), sha
        default = self._known(DEFAULT) or DeepgramRecording((), None, "en")
        return default, hashlib.sha256(url.encode()).hexdigest()

    # ---- the answer -------------------------------------------------------------------------

    def _transcript(self, recording: DeepgramRecording, query: dict, sha: str, fault: dict) -> dict:
        diarize = query.get("diarize") == "true"
        want_utterances = query.get("utterances") == "true"
        detect = query.get("detect_language") == "true"
        rows = () if fault.get("reply") == "empty" else recording.utterances
        end = max((r[2] for r in rows), default=0.0)
        duration = recording.duration if recording.duration is not None else end
        model = query.get("model") or "base"
        model_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"deepgram-model/{model}"))
        utterances, all_words = [], []
        for speaker, start, stop, text in rows:
            words = _words(text, start, stop, speaker if diarize else None)
            all_words.extend(words)
            utterance = {
                "start": start,
                "end": stop,
                "confidence": 0.97,
                "channel": 0,
                "transcript": text,
                "words": words,
                "id": str(uuid.uuid4()),
            }
            if diarize:
                utterance["speaker"] = _speaker_value(speaker)
            utterances.append(utterance)
        transcript = " ".join(r[3] for r in sorted(rows, key=lambda r: r[1]))
        all_words.sort(key=lambda w: w["start"])
        channel: dict = {
            "alternatives": [
                {
                    "transcript": transcript,
                    "confidence": 0.97 if rows else 0.0,
                    "words": all_words,
                }
            ]
        }
        if detect:
            channel["detected_language"] = recording.language
            channel["language_confidence"] = 0.95
        results: dict = {"channels": [channel]}
        if want_utterances and fault.get("reply") != "no_utterances":
            results["utterances"] = sorted(utterances, key=lambda u: u["start"])
        metadata = {
            "transaction_key": "deprecated",
            "request_id": str(uuid.uuid4()),
            "sha256": sha,
            "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "duration": round(float(duration), 6),
            "channels": 1,
            "models": [model_id],
            "model_info": {model_id: {"name": model, "version": "emulated", "arch": model}},
        }
        return {"metadata": metadata, "results": results}


def _speaker_value(speaker: object) -> object:
    if isinstance(speaker, str) and speaker.isdigit():
        return int(speaker)
    return speaker


def _words(text: str, start: float, end: float, speaker: object) -> list[dict]:
    """The utterance's words with evenly spread timings."""
    tokens = text.split()
    if not tokens:
        return []
    step = (end - start) / len(tokens)
    words = []
    for i, token in enumerate(tokens):
        word = {
            "word": "".join(c for c in token.lower() if c.isalnum() or c == "'") or token,
            "start": round(start + i * step, 3),
            "end": round(start + (i + 1) * step, 3),
            "confidence": 0.97,
            "punctuated_word": token,
        }
        if speaker is not None:
            word["speaker"] = _speaker_value(speaker)
            word["speaker_confidence"] = 0.9
        words.append(word)
    return words


def main() -> None:
    parser = argparse.ArgumentParser(description="Deepgram pre-recorded /v1/listen emulator")
    parser.add_argument("--port", type=int, default=18721)
    parser.add_argument("--latency-s", type=float, default=0.5)
    parser.add_argument("--api-key", default=None, help="required Token key (default: none)")
    parser.add_argument("--rpm", type=int, default=None, help="requests per minute (default: ∞)")
    args = parser.parse_args()
    emulator = DeepgramEmulator(
        port=args.port,
        latency_s=args.latency_s,
        api_key=args.api_key,
        requests_per_minute=args.rpm,
    ).start()
    emulator.add_recording(
        DEFAULT,
        utterances=[
            ("0", 0.3, 3.1, "Hello, this is Riya from Acme Realty. Is this a good time?"),
            ("1", 3.5, 5.0, "Yes, tell me about the flats."),
        ],
    )
    print(f"Deepgram emulator on {emulator.base_url}  (POST {LISTEN_PATH})", flush=True)
    emulator.serve_until_interrupted()


if __name__ == "__main__":
    main()
