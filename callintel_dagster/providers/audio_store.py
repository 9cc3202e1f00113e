"""The audio archive: copy a call's recording from wherever the source keeps it into our storage.

Sources: `s3://bucket/key` (boto3; `endpoint_url` for S3-compatible stores and emulators;
credentials from the standard AWS environment variables / profile chain), `http(s)://` (streamed
through ProviderHttp's retries: 429, 5xx and timeouts are retried with backoff), and local paths
or `file://` URIs. The archive is `<root>/<tenant>/<call_id><ext>` on disk, or
`s3://<bucket>/<prefix>/<tenant>/<call_id><ext>` when an archive bucket is configured.

Writes are atomic (a temp file renamed into place; one PUT on S3) and idempotent: the same bytes
again leave the archived copy untouched. Audio that is gone raises AudioUnavailable with its
location (query strings and user:password stripped: presigned URLs carry signatures); transient
failures that outlast the retries raise RetryableProviderError, so callers can tell "try later"
from "never". Tenants never share a prefix; ids that could escape it are rejected, and an archived
s3:// URI is read back only from the asking tenant's own prefix of the archive bucket.
"""

import hashlib
import io
import os
import re
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit, urlunsplit
from urllib.request import url2pathname

import boto3
import httpx
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from callintel_dagster.lib.tenants.registry import TENANT_ID_PATTERN
from callintel_dagster.providers.audio_types import (
    ARCHIVE_EXTENSIONS,
    CONTENT_TYPES,
    EXTENSION_OF,
)
from callintel_dagster.providers.base import RetryableProviderError
from callintel_dagster.providers.http import ProviderHttp, retry_after_from

# provider call ids: UUIDs, Twilio SIDs, Asterisk "1700000000.123"; never a path
CALL_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_RANGE = re.compile(r"bytes=(\d+-\d*|-\d+)")  # one range; S3 refuses what it cannot answer
_CHUNK = 1 << 20


class AudioUnavailable(RuntimeError):
    """The audio cannot be had: missing, empty, denied, too large or an unusable location."""

    def __init__(self, reason: str, location: str = ""):
        self.reason, self.location = reason, _redact(location)
        super().__init__(f"audio unavailable ({reason}): {self.location}")


@dataclass(frozen=True)
class ArchivedAudio:
    path_or_uri: str  # a local path, or s3://bucket/key for an S3 archive
    bytes_len: int
    sha256: str
    content_type: str


@dataclass(frozen=True)
class ArchivedStream:
    chunks: Iterator[bytes]
    length: int  # bytes in `chunks`
    content_type: str
    content_range: str | None  # "bytes a-b/total" when a range was asked and answered


class AudioStore:
    def __init__(
        self,
        root: Path,
        s3_endpoint_url: str | None = None,
        s3_region: str | None = None,
        archive_bucket: str | None = None,
        archive_prefix: str = "",
        allowed_local_roots: Sequence[Path] | None = None,
        max_bytes: int = 1 << 30,
        http_timeout_s: float = 60.0,
        http_max_attempts: int = 5,
        http_max_backoff_s: float = 30.0,
    ):
        self.root = Path(root)
        self.s3_endpoint_url, self.s3_region = s3_endpoint_url, s3_region
        self.archive_bucket, self.archive_prefix = archive_bucket, archive_prefix.strip("/")
        # None reads any local path; set it where sources are not trusted with the file system
        self.allowed_local_roots = (
            None
            if allowed_local_roots is None
            else [Path(p).resolve() for p in allowed_local_roots]
        )
        self.max_bytes = max_bytes
        self._http = dict(
            timeout_s=http_timeout_s,
            max_attempts=http_max_attempts,
            max_backoff_s=http_max_backoff_s,
        )
        self._s3_client: Any = None
        self._lock = threading.Lock()

    @classmethod
    def in_home(cls, home: Path, **kwargs: Any) -> "AudioStore":
        """The local archive under CALLINTEL_HOME/audio."""
        return cls(home / "audio", **kwargs)

    def fetch(self, tenant_id: str, call_id: str, location: str) -> ArchivedAudio:
        """Archive the audio at `location` as this call's recording and describe the copy."""
        if not re.fullmatch(TENANT_ID_PATTERN, tenant_id):
            raise ValueError(f"invalid tenant id {tenant_id!r}")
        if not CALL_ID_PATTERN.fullmatch(call_id):
            raise ValueError(f"tenant {tenant_id}: invalid call id {call_id!r} (not a file name)")
        staging = self._staging_dir(tenant_id)
        staging.mkdir(parents=True, exist_ok=True)
        # downloaded next to the archive copy: the final rename is then atomic (same file system)
        fd, tmp_name = tempfile.mkstemp(dir=staging, prefix=f".{call_id}.", suffix=".part")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "w+b") as sink:
                declared = self._download(tenant_id, location, sink)
                size = sink.tell()
                sink.seek(0)
                head = sink.read(16)
            if size == 0:
                raise AudioUnavailable("empty", location)
            digest = _sha256(tmp)
            ext = _sniff(head) or _ext_of(location) or EXTENSION_OF.get(declared or "") or ".bin"
            content_type = CONTENT_TYPES.get(ext) or declared or "application/octet-stream"
            audio = ArchivedAudio("", size, digest, content_type)
            if self.archive_bucket:
                return self._keep_s3(tenant_id, f"{call_id}{ext}", tmp, audio)
            return self._keep_local(tenant_id, f"{call_id}{ext}", tmp, audio)
        finally:
            tmp.unlink(missing_ok=True)

    def read_archived(self, tenant_id: str, path_or_uri: str) -> bytes:
        """The bytes of a recording this store archived (its `ArchivedAudio.path_or_uri`)."""
        if path_or_uri.startswith("s3://"):
            self.archive_key(tenant_id, path_or_uri)  # only this tenant's prefix of our bucket
            sink = io.BytesIO()
            self._read_s3(tenant_id, path_or_uri, sink)
            return sink.getvalue()
        path = Path(path_or_uri).resolve()
        if not path.is_relative_to((self.root / tenant_id).resolve()):
            raise AudioUnavailable("not in this tenant's archive", path_or_uri)
        return path.read_bytes()

    def archive_key(self, tenant_id: str, uri: str) -> str:
        """The key of `uri` in the archive bucket when it is one of this tenant's recordings
        (`<prefix>/<tenant>/<call_id><ext>`); AudioUnavailable otherwise, so a stored URI never
        reaches another tenant's objects or anything else in the bucket."""
        parts = urlsplit(uri)
        key = unquote(parts.path.lstrip("/"))
        tenant_prefix = "/".join(p for p in (self.archive_prefix, tenant_id) if p) + "/"
        name = key[len(tenant_prefix) :]
        if not (
            self.archive_bucket
            and re.fullmatch(TENANT_ID_PATTERN, tenant_id)
            and parts.scheme == "s3"
            and parts.netloc == self.archive_bucket
            and key.startswith(tenant_prefix)
            and CALL_ID_PATTERN.fullmatch(name)
            and not parts.query
        ):
            raise AudioUnavailable("not in this tenant's archive", uri)
        return key

    def open_archived(
        self, tenant_id: str, uri: str, byte_range: str | None = None
    ) -> ArchivedStream:
        """One of this tenant's archived recordings on S3, streamed; `byte_range` is an HTTP
        `bytes=a-b` range (S3 answers it), anything else reads the whole object."""
        key = self.archive_key(tenant_id, uri)
        extra = {"Range": byte_range} if byte_range and _RANGE.fullmatch(byte_range) else {}
        try:
            obj = self._s3().get_object(Bucket=self.archive_bucket, Key=key, **extra)
        except ClientError as exc:
            if _s3_code(exc) == "InvalidRange":
                raise AudioUnavailable("range not satisfiable", uri) from None
            raise _s3_unavailable(exc, uri) from None
        except BotoCoreError as exc:
            raise RetryableProviderError(
                tenant_id, "s3", f"{_redact(uri)}: {type(exc).__name__}", None
            ) from None
        return ArchivedStream(
            chunks=obj["Body"].iter_chunks(_CHUNK),
            length=int(obj.get("ContentLength", 0)),
            content_type=obj.get("ContentType") or "application/octet-stream",
            content_range=obj.get("ContentRange"),
        )

    # -- reading -----------------------------------------------------------------------------

    def _download(self, tenant_id: str, location: str, sink: IO[bytes]) -> str | None:
        """Copy the bytes into `sink`; returns the content type the source declared, if any."""
        scheme = urlsplit(location).scheme.lower()
        if scheme == "s3":
            return self._read_s3(tenant_id, location, sink)
        if scheme in ("http", "https"):
            http = _AudioHttp(tenant_id, self, **self._http)
            try:
                return http.download(location, sink)
            finally:
                http.close()
        if scheme in ("", "file"):
            self._read_file(_local_path(location), location, sink)
            return None
        raise AudioUnavailable(f"unsupported location scheme {scheme!r}", location)

    def _read_s3(self, tenant_id: str, location: str, sink: IO[bytes]) -> str | None:
        parts = urlsplit(location)
        bucket, key = parts.netloc, unquote(parts.path.lstrip("/"))
        if not bucket or not key:
            raise AudioUnavailable("not an s3://bucket/key location", location)
        try:
            obj = self._s3().get_object(Bucket=bucket, Key=key)
            if obj.get("ContentLength", 0) > self.max_bytes:
                raise AudioUnavailable(f"larger than {self.max_bytes} bytes", location)
            for chunk in obj["Body"].iter_chunks(_CHUNK):
                sink.write(chunk)
        except ClientError as exc:
            raise _s3_unavailable(exc, location) from None
        except BotoCoreError as exc:  # endpoint unreachable, read timeout after boto's retries
            raise RetryableProviderError(
                tenant_id, "s3", f"{_redact(location)}: {type(exc).__name__}", None
            ) from None
        return obj.get("ContentType")

    def _read_file(self, path: Path, location: str, sink: IO[bytes]) -> None:
        resolved = path.resolve()
        if self.allowed_local_roots is not None and not any(
            resolved.is_relative_to(root) for root in self.allowed_local_roots
        ):
            raise AudioUnavailable("local path outside the allowed roots", location)
        if not resolved.is_file():
            raise AudioUnavailable("missing", location)
        if resolved.stat().st_size > self.max_bytes:
            raise AudioUnavailable(f"larger than {self.max_bytes} bytes", location)
        with resolved.open("rb") as source:
            for chunk in iter(lambda: source.read(_CHUNK), b""):
                sink.write(chunk)

    # -- archiving ---------------------------------------------------------------------------

    def _staging_dir(self, tenant_id: str) -> Path:
        return self.root / tenant_id if not self.archive_bucket else self.root / ".staging"

    def _keep_local(
        self, tenant_id: str, name: str, tmp: Path, audio: ArchivedAudio
    ) -> ArchivedAudio:
        tenant_dir = (self.root / tenant_id).resolve()
        target = tenant_dir / name
        if target.parent != tenant_dir:  # belt and braces: the id checks already forbid this
            raise ValueError(f"tenant {tenant_id}: {name!r} escapes the tenant's archive")
        if not (
            target.is_file()
            and target.stat().st_size == audio.bytes_len
            and _sha256(target) == audio.sha256
        ):
            os.replace(tmp, target)
        return ArchivedAudio(str(target), audio.bytes_len, audio.sha256, audio.content_type)

    def _keep_s3(self, tenant_id: str, name: str, tmp: Path, audio: ArchivedAudio) -> ArchivedAudio:
        key = self.s3_key(tenant_id, name)
        uri = f"s3://{self.archive_bucket}/{key}"
        client = self._s3()
        try:
            head = client.head_object(Bucket=self.archive_bucket, Key=key)
            unchanged = head.get("Metadata", {}).get("sha256") == audio.sha256
        except ClientError as exc:
            if _s3_code(exc) not in ("404", "NoSuchKey", "NotFound"):
                raise _s3_unavailable(exc, uri) from None
            unchanged = False
        if not unchanged:
            # the hash travels with the object, so the next fetch can compare without a download
            client.upload_file(
                str(tmp),
                self.archive_bucket,
                key,
                ExtraArgs={"ContentType": audio.content_type, "Metadata": {"sha256": audio.sha256}},
            )
        return ArchivedAudio(uri, audio.bytes_len, audio.sha256, audio.content_type)

    def s3_key(self, tenant_id: str, name: str) -> str:
        """The archive bucket's key of one of the tenant's recordings (`name`: <call_id><ext>)."""
        return "/".join(p for p in (self.archive_prefix, tenant_id, name) if p)

    def s3_client(self) -> Any:
        """The boto3 client of the archive bucket (built once; safe to share between threads)."""
        return self._s3()

    def _s3(self) -> Any:
        with self._lock:  # boto3 client creation is not thread-safe; the client itself is
            if self._s3_client is None:
                self._s3_client = boto3.session.Session().client(
                    "s3",
                    endpoint_url=self.s3_endpoint_url,
                    region_name=self.s3_region,
                    config=Config(
                        retries={"max_attempts": 5, "mode": "standard"},
                        # S3-compatible stores (MinIO, emulators on an IP) want path-style URLs
                        s3={"addressing_style": "path" if self.s3_endpoint_url else "auto"},
                    ),
                )
            return self._s3_client


class _AudioHttp(ProviderHttp):
    """ProviderHttp's retries, backoff and request count, but the body is audio streamed into a
    file (ProviderHttp itself decodes JSON, and retries a body that is not JSON)."""

    def __init__(self, tenant_id: str, store: AudioStore, **kwargs: Any):
        super().__init__(tenant_id, "audio", base_url="", **kwargs)
        self._max_bytes = store.max_bytes

    def download(self, url: str, sink: IO[bytes]) -> str | None:
        return self._send("GET", url, sink=sink)

    def _send_once(self, method: str, url: str, sink: IO[bytes], **kwargs: Any) -> str | None:
        if self._limiter:
            self._limiter.acquire()
        self.requests += 1
        sink.seek(0)
        sink.truncate()  # a retry starts the file over
        try:
            with self._client.stream(method, url, follow_redirects=True, **kwargs) as response:
                status = response.status_code
                if status == 429 or status >= 500:
                    raise self._retryable(
                        f"GET {_redact(url)} → {status}", retry_after_from(response.headers)
                    )
                if status in (404, 410):
                    raise AudioUnavailable("missing", url)
                if status >= 400:
                    raise AudioUnavailable(f"HTTP {status}", url)
                for chunk in response.iter_bytes(_CHUNK):
                    sink.write(chunk)
                    if sink.tell() > self._max_bytes:
                        raise AudioUnavailable(f"larger than {self._max_bytes} bytes", url)
                return response.headers.get("content-type", "").split(";")[0].strip() or None
        except httpx.TimeoutException:
            raise self._retryable(f"GET {_redact(url)} timed out", None) from None
        except httpx.TransportError as exc:  # also a connection dropped mid-body
            raise self._retryable(f"GET {_redact(url)}: {type(exc).__name__}", None) from None


def _local_path(location: str) -> Path:
    parts = urlsplit(location)
    if parts.scheme.lower() == "file":
        return Path(url2pathname(unquote(parts.path)))
    return Path(location)


def _s3_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _s3_unavailable(exc: ClientError, location: str) -> Exception:
    code = _s3_code(exc)
    if code in ("NoSuchKey", "NoSuchBucket", "404", "NotFound"):
        return AudioUnavailable("missing", location)
    if code in ("AccessDenied", "403", "Forbidden", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
        return AudioUnavailable(f"access denied ({code})", location)
    return AudioUnavailable(f"S3 error {code}", location)


def _sniff(head: bytes) -> str | None:
    """The format from the first bytes: URLs like .../Recordings/RE123 carry no extension."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return ".wav"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return ".mp3"
    if head[:4] == b"OggS":
        return ".ogg"
    if head[4:8] == b"ftyp":
        return ".m4a"
    if head[:4] == b"fLaC":
        return ".flac"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return ".webm"
    return None


def _ext_of(location: str) -> str | None:
    ext = Path(urlsplit(location).path).suffix.lower()
    return ext if ext in ARCHIVE_EXTENSIONS else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _redact(location: str) -> str:
    """The location without query, fragment or user:password (presigned URLs carry secrets)."""
    parts = urlsplit(location)
    if not parts.scheme:  # a local path
        return location
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
