"""Sarvam AI speech-to-text emulator: the synchronous endpoint and the batch job flow, answering
from a registry of known recordings.

Follows ../shared/docs/provider-contracts.md (Sarvam AI STT) and Sarvam's public API reference:
- Every Sarvam route checks `api-subscription-key` when `api_key` is set: else 403
  `{"error": {"message": ..., "code": "invalid_api_key_error"}}` (Sarvam's documented shape;
  other errors use the codes invalid_request_error, not_found_error, rate_limit_exceeded_error,
  internal_server_error).
- `POST /speech-to-text`: multipart `file`, `model`, `language_code` → `{request_id, transcript,
  timestamps: null, diarized_transcript: null, language_code}`; audio longer than 30 s → 400.
- The batch flow: `POST /speech-to-text/job/v1` `{job_parameters}` → `{job_id, job_state:
  "Accepted", job_parameters, storage_container_type: "Azure"}`; `POST .../upload-files`
  `{job_id, files}` (1-20 names) → `{job_id, job_state, upload_urls: {name: {file_url,
  file_metadata}}, storage_container_type}`, the URLs pointing at this emulator's
  `PUT /storage/{job_id}/{file_name}?sv=..&sig=..` (needs `x-ms-blob-type: BlockBlob`, like
  Azure; answers 201); `POST .../{job_id}/start` → Pending (a second start: 400); `GET
  .../{job_id}/status` moves a started job to Running and, at the `job_steps`-th poll, to
  Completed (or Failed) → `{job_state, created_at, updated_at, job_id, storage_container_type,
  total_files, successful_files_count, failed_files_count, error_message, job_details: [{inputs:
  [{file_name, file_id}], outputs: [{file_name, file_id}], state, error_message,
  exception_name}]}`; `POST .../download-files` `{job_id, files}` → `{download_urls: {name:
  {file_url, file_metadata}}}` pointing at `GET /storage/{job_id}/outputs/{name}`, the result
  `{request_id, transcript, language_code, diarized_transcript: {entries: [{transcript,
  start_time_seconds, end_time_seconds, speaker_id}]}}` (entries only with `with_diarization`).
- It cannot transcribe: `add_recording(audio_bytes, entries=[(speaker, start, end, text)],
  language="hi-IN")` registers what a recording says, keyed by sha256 ("default" sets the answer
  for unknown audio). Unknown bytes that look like audio get the default entry; bytes that are not
  audio get 400 invalid audio (sync) or a file task that failed with that message (batch; the
  job still ends Completed, with `failed_files_count` 1).
UNCONFIRMED (not in the public docs): the invalid-audio and too-long message texts, task `state`
values ("Success" / "Failed"), the output names ("0.json", "1.json", ... per input in order),
what a second `start` answers and whether a job whose files all failed ends Completed.
- Faults: base `inject` on any route pattern (status faults get a Sarvam-shaped error body;
  `{"timeout": s}`, `{"malformed": true}`), the handler fault `{"reply": "lost"}` on the start
  route (the job starts, the answer is a 503), and `fail_next_job(message)`: the next job to
  finish ends Failed with that `error_message`.
- Counters: base `requests` (per route pattern), `jobs` (job_id → Job), `sync_calls` (the form
  fields and sha256 of each authenticated sync request).

Standalone: `python -m emulators.sarvam --port 18722 [--api-key sk-test] [--job-steps 2]`.
"""

import argparse
import hashlib
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from emulators.base import Emulator, Request, Response
from emulators.deepgram import audio_kind, wav_duration

SYNC_PATH = "/speech-to-text"
JOB_PATH = "/speech-to-text/job/v1"
UPLOAD_PATH = JOB_PATH + "/upload-files"
DOWNLOAD_PATH = JOB_PATH + "/download-files"
START_PATH = JOB_PATH + "/{job_id}/start"
STATUS_PATH = JOB_PATH + "/{job_id}/status"
STORAGE_PUT = "/storage/{job_id}/{file_name}"
STORAGE_GET = "/storage/{job_id}/outputs/{file_name}"
DEFAULT = "default"
SYNC_MAX_S = 30.0
MAX_FILES = 20
INVALID_AUDIO = "Invalid audio file: the audio could not be decoded (corrupt or unsupported)"
_CODES = {
    400: ("invalid_request_error", "Bad request"),
    401: ("invalid_api_key_error", "Unauthorized"),
    403: ("invalid_api_key_error", "Invalid API key. Please check your api-subscription-key."),
    404: ("not_found_error", "Not found"),
    413: ("invalid_request_error", "Payload too large"),
    422: ("unprocessable_entity_error", "Unprocessable entity"),
    429: ("rate_limit_exceeded_error", "Rate limit exceeded. Please try again later."),
    500: ("internal_server_error", "Internal server error"),
    502: ("internal_server_error", "Bad gateway"),
    503: ("rate_limit_exceeded_error", "Service unavailable: high load, please retry."),
    504: ("internal_server_error", "Gateway timeout"),
}
_DEFAULT_ENTRIES = (("SPEAKER_00", 0.0, 2.0, "Namaste, main Acme Realty se bol rahi hoon."),)


def sarvam_error(status: int, message: str | None = None, code: str | None = None) -> Response:
    default_code, default_message = _CODES.get(status, ("internal_server_error", "Error"))
    error = {
        "message": message or default_message,
        "code": code or default_code,
        "request_id": _request_id(),
    }
    return Response(status, {"error": error})


@dataclass(frozen=True)
class SarvamRecording:
    entries: tuple[tuple[str, float, float, str], ...]
    language: str


@dataclass
class Job:
    job_id: str
    parameters: dict
    token: str
    state: str = "Accepted"
    created_at: str = ""
    updated_at: str = ""
    requested: list[str] = field(default_factory=list)  # names from upload-files
    uploads: dict[str, bytes] = field(default_factory=dict)
    polls: int = 0
    error_message: str = ""
    details: list[dict] = field(default_factory=list)
    results: dict[str, dict] = field(default_factory=dict)  # output name → result JSON


class SarvamEmulator(Emulator):
    name = "sarvam"

    def __init__(
        self,
        port: int = 0,
        latency_s: float = 0.3,
        api_key: str | None = None,
        job_steps: int = 2,
    ):
        super().__init__(port=port, latency_s=latency_s)
        self.api_key = api_key
        self.job_steps = max(int(job_steps), 1)
        self.jobs: dict[str, Job] = {}
        self.sync_calls: list[dict] = []
        self._recordings: dict[str, SarvamRecording] = {}
        self._fail_next: list[str] = []
        self._state = threading.Lock()
        self.route("POST", SYNC_PATH, self._sync)
        self.route("POST", JOB_PATH, self._create)
        self.route("POST", UPLOAD_PATH, self._upload_files)
        self.route("POST", DOWNLOAD_PATH, self._download_files)
        self.route("POST", START_PATH, self._start)
        self.route("GET", STATUS_PATH, self._status)
        self.route("PUT", STORAGE_PUT, self._put_blob)
        self.route("GET", STORAGE_GET, self._get_blob)

    # ---- set-up -----------------------------------------------------------------------------

    def add_recording(
        self, audio: bytes | str, entries: list[tuple] | tuple = (), language: str = "hi-IN"
    ) -> str:
        """Register what a recording says; `audio` is its bytes or "default". Returns the key."""
        key = hashlib.sha256(audio).hexdigest() if isinstance(audio, bytes) else audio
        rows = tuple((str(e[0]), float(e[1]), float(e[2]), str(e[3])) for e in entries)
        with self._state:
            self._recordings[key] = SarvamRecording(rows, language)
        return key

    def fail_next_job(self, message: str = "Internal error while processing the job") -> None:
        """The next job to finish ends Failed with `message` as its error_message."""
        with self._state:
            self._fail_next.append(message)

    def inject(self, pattern: str, *faults: dict) -> None:
        shaped = []
        for fault in faults:
            fault = dict(fault)
            status = fault.get("status")
            if status and status != 200 and "body" not in fault:
                fault["body"] = sarvam_error(int(status)).body
            shaped.append(fault)
        super().inject(pattern, *shaped)

    # ---- the synchronous endpoint -----------------------------------------------------------

    def _sync(self, request: Request) -> Response:
        denied = self._check_key(request)
        if denied:
            return denied
        fields, files = parse_multipart(request)
        if "file" not in files:
            return sarvam_error(422, "Field required: file", "unprocessable_entity_error")
        data = files["file"]
        sha = hashlib.sha256(data).hexdigest()
        with self._state:
            self.sync_calls.append(fields | {"sha256": sha})
        recording = self._lookup(data, sha)
        if recording is None:
            return sarvam_error(400, INVALID_AUDIO)
        duration = wav_duration(data) if data[:4] == b"RIFF" else None
        if duration is not None and duration > SYNC_MAX_S:
            return sarvam_error(
                400, f"Audio duration {duration:.1f}s exceeds the maximum of 30 seconds"
            )
        language = fields.get("language_code") or "unknown"
        rows = sorted(recording.entries, key=lambda r: r[1])
        return Response(
            200,
            {
                "request_id": _request_id(),
                "transcript": " ".join(r[3] for r in rows),
                "timestamps": None,
                "diarized_transcript": None,
                "language_code": recording.language if language == "unknown" else language,
            },
        )

    # ---- the batch job ----------------------------------------------------------------------

    def _create(self, request: Request) -> Response:
        denied = self._check_key(request)
        if denied:
            return denied
        doc = _json(request)
        params = doc.get("job_parameters") if isinstance(doc, dict) else None
        if params is not None and not isinstance(params, dict):
            return sarvam_error(422, "job_parameters must be an object")
        now = _now()
        job = Job(
            job_id=str(uuid.uuid4()),
            parameters=dict(params or {}),
            token=secrets.token_hex(8),
            created_at=now,
            updated_at=now,
        )
        with self._state:
            self.jobs[job.job_id] = job
        return Response(
            202,
            {
                "job_id": job.job_id,
                "storage_container_type": "Azure",
                "job_parameters": job.parameters,
                "job_state": job.state,
            },
        )

    def _upload_files(self, request: Request) -> Response:
        denied = self._check_key(request)
        if denied:
            return denied
        doc = _json(request)
        job, error = self._job_from(doc)
        if error:
            return error
        files = doc.get("files")
        if not isinstance(files, list) or not files or not all(isinstance(f, str) for f in files):
            return sarvam_error(400, "files must be a non-empty list of file names")
        if len(files) > MAX_FILES:
            return sarvam_error(400, f"At most {MAX_FILES} files per job")
        if job.state != "Accepted":
            return sarvam_error(400, f"Job {job.job_id} is {job.state}: uploads are closed")
        with self._state:
            for name in files:
                if name not in job.requested:
                    job.requested.append(name)
        urls = {name: self._blob_url(job, STORAGE_PUT, name) for name in files}
        return Response(
            200,
            {
                "job_id": job.job_id,
                "job_state": job.state,
                "upload_urls": {n: {"file_url": u, "file_metadata": None} for n, u in urls.items()},
                "storage_container_type": "Azure",
            },
        )

    def _put_blob(self, request: Request) -> Response:
        job = self._job(request.params["job_id"])
        name = request.params["file_name"]
        if job is None or request.query.get("sig") != job.token or name not in job.requested:
            return Response(403, {"error": {"code": "AuthenticationFailed"}})
        if request.headers.get("x-ms-blob-type") != "BlockBlob":
            return Response(400, {"error": {"code": "MissingRequiredHeader"}})
        with self._state:
            job.uploads[name] = request.body
        return Response(201, None)

    def _start(self, request: Request) -> Response:
        denied = self._check_key(request)
        if denied:
            return denied
        job = self._job(request.params["job_id"])
        if job is None:
            return sarvam_error(404, f"Job {request.params['job_id']} not found")
        with self._state:
            if job.state != "Accepted":
                return sarvam_error(400, f"Job {job.job_id} has already been started")
            if not job.uploads:
                return sarvam_error(400, "No files uploaded for this job")
            job.state, job.updated_at = "Pending", _now()
        if (request.fault or {}).get("reply") == "lost":
            return sarvam_error(503)
        return Response(200, self._status_doc(job))

    def _status(self, request: Request) -> Response:
        denied = self._check_key(request)
        if denied:
            return denied
        job = self._job(request.params["job_id"])
        if job is None:
            return sarvam_error(404, f"Job {request.params['job_id']} not found")
        with self._state:
            if job.state in ("Pending", "Running"):
                job.polls += 1
                if job.polls >= self.job_steps:
                    self._finish(job)
                else:
                    job.state, job.updated_at = "Running", _now()
            doc = self._status_doc(job)
        return Response(200, doc)

    def _download_files(self, request: Request) -> Response:
        denied = self._check_key(request)
        if denied:
            return denied
        doc = _json(request)
        job, error = self._job_from(doc)
        if error:
            return error
        if job.state != "Completed":
            return sarvam_error(400, f"Job {job.job_id} is {job.state}, not Completed")
        files = doc.get("files")
        if not isinstance(files, list) or not files:
            return sarvam_error(400, "files must be a non-empty list of output file names")
        missing = [f for f in files if f not in job.results]
        if missing:
            return sarvam_error(404, f"Output files not found: {', '.join(map(str, missing))}")
        urls = {name: self._blob_url(job, STORAGE_GET, name) for name in files}
        return Response(
            200,
            {
                "job_id": job.job_id,
                "job_state": job.state,
                "download_urls": {
                    n: {"file_url": u, "file_metadata": None} for n, u in urls.items()
                },
                "storage_container_type": "Azure",
            },
        )

    def _get_blob(self, request: Request) -> Response:
        job = self._job(request.params["job_id"])
        name = request.params["file_name"]
        if job is None or request.query.get("sig") != job.token or name not in job.results:
            return Response(403, {"error": {"code": "AuthenticationFailed"}})
        return Response(200, job.results[name])

    # ---- internals --------------------------------------------------------------------------

    def _finish(self, job: Job) -> None:
        """Called under the lock: transcribe every uploaded file and end the job."""
        job.updated_at = _now()
        if self._fail_next:
            job.state, job.error_message = "Failed", self._fail_next.pop(0)
            return
        diarize = bool(job.parameters.get("with_diarization"))
        job.details, job.results = [], {}
        for index, name in enumerate(n for n in job.requested if n in job.uploads):
            data = job.uploads[name]
            sha = hashlib.sha256(data).hexdigest()
            recording = self._lookup_locked(data, sha)
            task: dict = {
                "inputs": [{"file_name": name, "file_id": str(index)}],
                "outputs": [],
                "state": "Success",
                "error_message": None,
                "exception_name": None,
            }
            if recording is None:
                task.update(state="Failed", error_message=INVALID_AUDIO)
                task["exception_name"] = "InvalidAudioError"
            else:
                output = f"{index}.json"
                task["outputs"] = [{"file_name": output, "file_id": str(index)}]
                job.results[output] = _result(recording, job.parameters, diarize)
            job.details.append(task)
        job.state = "Completed"

    def _status_doc(self, job: Job) -> dict:
        failed = sum(1 for t in job.details if t["state"] == "Failed")
        return {
            "job_state": job.state,
            "created_at": job.created_at,
            "updated_at": job.updated_at,
            "job_id": job.job_id,
            "storage_container_type": "Azure",
            "total_files": len(job.uploads),
            "successful_files_count": len(job.details) - failed,
            "failed_files_count": failed,
            "error_message": job.error_message,
            "job_details": [dict(t) for t in job.details],
        }

    def _check_key(self, request: Request) -> Response | None:
        if self.api_key is None:
            return None
        if request.headers.get("api-subscription-key") != self.api_key:
            return sarvam_error(403)
        return None

    def _job(self, job_id: str) -> Job | None:
        with self._state:
            return self.jobs.get(job_id)

    def _job_from(self, doc: object) -> tuple[Job, None] | tuple[None, Response]:
        job_id = doc.get("job_id") if isinstance(doc, dict) else None
        if not isinstance(job_id, str):
            return None, sarvam_error(422, "Field required: job_id", "unprocessable_entity_error")
        job = self._job(job_id)
        if job is None:
            return None, sarvam_error(404, f"Job {job_id} not found")
        return job, None

    def _blob_url(self, job: Job, pattern: str, name: str) -> str:
        path = pattern.format(job_id=job.job_id, file_name=name)
        return f"{self.base_url}{path}?sv=2024-11-04&sr=b&sp=rw&sig={job.token}"

    def _lookup(self, data: bytes, sha: str) -> SarvamRecording | None:
        with self._state:
            return self._lookup_locked(data, sha)

    def _lookup_locked(self, data: bytes, sha: str) -> SarvamRecording | None:
        """The registered recording, the default for other audio, None for bytes not audio."""
        known = self._recordings.get(sha)
        if known is not None:
            return known
        if not data or audio_kind(data) is None:
            return None
        default = self._recordings.get(DEFAULT)
        if default is not None:
            return default
        return SarvamRecording(_DEFAULT_ENTRIES, "hi-IN")


def _result(recording: SarvamRecording, parameters: dict, diarize: bool) -> dict:
    rows = sorted(recording.entries, key=lambda r: r[1])
    language = parameters.get("language_code") or "unknown"
    doc: dict = {
        "request_id": _request_id(),
        "transcript": " ".join(r[3] for r in rows),
        "language_code": recording.language if language == "unknown" else language,
        "timestamps": None,
        "diarized_transcript": None,
    }
    if parameters.get("with_timestamps"):
        doc["timestamps"] = {
            "words": [r[3] for r in rows],
            "start_time_seconds": [r[1] for r in rows],
            "end_time_seconds": [r[2] for r in rows],
        }
    if diarize:
        doc["diarized_transcript"] = {
            "entries": [
                {
                    "transcript": text,
                    "start_time_seconds": start,
                    "end_time_seconds": end,
                    "speaker_id": speaker,
                }
                for speaker, start, end, text in rows
            ]
        }
    return doc


def parse_multipart(request: Request) -> tuple[dict[str, str], dict[str, bytes]]:
    """The text fields and the file parts of a multipart/form-data body."""
    content_type = request.headers.get("content-type", "")
    boundary = None
    for piece in content_type.split(";")[1:]:
        key, _, value = piece.strip().partition("=")
        if key.lower() == "boundary":
            boundary = value.strip('"')
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    if not boundary:
        return fields, files
    for part in request.body.split(b"--" + boundary.encode()):
        if part.startswith(b"\r\n"):
            part = part[2:]
        if not part or part.startswith(b"--"):
            continue
        head, _, body = part.partition(b"\r\n\r\n")
        if body.endswith(b"\r\n"):
            body = body[:-2]
        disposition = ""
        for line in head.decode("latin-1").split("\r\n"):
            if line.lower().startswith("content-disposition:"):
                disposition = line
        params = {}
        for piece in disposition.split(";")[1:]:
            key, _, value = piece.strip().partition("=")
            params[key.lower()] = value.strip('"')
        name = params.get("name")
        if not name:
            continue
        if "filename" in params:
            files[name] = body
        else:
            fields[name] = body.decode("utf-8", "replace")
    return fields, files


def _json(request: Request) -> object:
    try:
        return request.json()
    except ValueError:
        return None


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _request_id() -> str:
    return f"{datetime.now(UTC):%Y%m%d}_{uuid.uuid4()}"


def main() -> None:
    parser = argparse.ArgumentParser(description="Sarvam AI speech-to-text emulator")
    parser.add_argument("--port", type=int, default=18722)
    parser.add_argument("--latency-s", type=float, default=0.3)
    parser.add_argument("--api-key", default=None, help="required api-subscription-key")
    parser.add_argument("--job-steps", type=int, default=2, help="status polls until done")
    args = parser.parse_args()
    emulator = SarvamEmulator(
        port=args.port, latency_s=args.latency_s, api_key=args.api_key, job_steps=args.job_steps
    ).start()
    emulator.add_recording(
        DEFAULT,
        entries=[
            ("SPEAKER_00", 0.3, 3.1, "Namaste, main Riya bol rahi hoon Acme Realty se."),
            ("SPEAKER_01", 3.5, 5.0, "Haan ji, flats ke baare mein batayiye."),
        ],
    )
    print(f"Sarvam emulator on {emulator.base_url}  (POST {SYNC_PATH}, {JOB_PATH})", flush=True)
    emulator.serve_until_interrupted()


if __name__ == "__main__":
    main()
