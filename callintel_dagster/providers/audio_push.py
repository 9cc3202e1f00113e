"""Moving one recording archived on local disk into the shared store's bucket (`callintel store
push`): under the key AudioStore gives a new S3 archive (`<prefix>/<tenant>/<call_id><ext>`),
with the same metadata (its sha256, so a later sync of the call does not upload it again), and
read back and hashed before the warehouse is pointed at it.

Verification reads the object back because that is what every worker will read, and because
S3-compatible stores differ in what they check on upload (moto ignores `ChecksumSHA256`): a
push costs twice the transfer, once. An object already under the key with the recording's sha256
(an interrupted push, or a sync after the switch) is verified the same way and not uploaded again.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from callintel_dagster.providers.audio_store import CALL_ID_PATTERN, AudioStore

_CHUNK = 1 << 20


class PushRefused(Exception):
    """One recording was not moved: the reason, one line (never a credential or audio)."""


@dataclass(frozen=True)
class LocalRecording:
    """A row of raw.call_recordings whose archive_uri is a local path."""

    tenant_id: str
    call_id: str
    path: str  # archive_uri
    bytes_len: int | None
    sha256: str | None
    content_type: str | None


@dataclass(frozen=True)
class Pushed:
    uri: str  # the s3:// URI the row should now hold
    uploaded: bool  # False: the verified object was already in the bucket


def push_recording(store: AudioStore, rec: LocalRecording, dry_run: bool = False) -> Pushed:
    """Copy `rec` to the archive bucket and verify the copy; PushRefused says why not."""
    if not rec.sha256 or not rec.bytes_len:
        raise PushRefused("no sha256 or size recorded for it: cannot verify a copy")
    key = store.s3_key(rec.tenant_id, _archived_name(store, rec))
    uri = f"s3://{store.archive_bucket}/{key}"
    try:
        there = _head_matches(store.s3_client(), store.archive_bucket, key, rec)
        if dry_run:
            if not there:
                _check_local(rec)
            return Pushed(uri, not there)
        if there and _read_back_matches(store, key, rec):
            return Pushed(uri, False)
        _check_local(rec)
        store.s3_client().upload_file(
            rec.path,
            store.archive_bucket,
            key,
            ExtraArgs={
                "ContentType": rec.content_type or "application/octet-stream",
                "Metadata": {"sha256": rec.sha256},
            },
        )
        if not _read_back_matches(store, key, rec):
            raise PushRefused("the copy read back from the bucket differs from the recording")
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "?")
        raise PushRefused(f"S3 refused ({code})") from None
    except BotoCoreError as exc:  # unreachable, timed out after boto's retries
        raise PushRefused(f"S3 unreachable ({type(exc).__name__})") from None
    except OSError as exc:  # the local file: unreadable, or gone since it was checked
        raise PushRefused(
            f"cannot read the local file ({exc.strerror or type(exc).__name__})"
        ) from None
    return Pushed(uri, True)


def _archived_name(store: AudioStore, rec: LocalRecording) -> str:
    """`<call_id><ext>`, the file's name in the tenant's local archive: the key's last part."""
    path = Path(rec.path)
    if path.resolve().parent != (store.root / rec.tenant_id).resolve():
        raise PushRefused(f"not in the tenant's local archive: {rec.path}")
    if not (path.name.startswith(rec.call_id) and CALL_ID_PATTERN.fullmatch(path.name)):
        raise PushRefused(f"file name is not <call_id><ext>: {path.name}")
    return path.name


def _check_local(rec: LocalRecording) -> None:
    path = Path(rec.path)
    if not path.is_file():
        raise PushRefused(f"missing local file {rec.path}")
    size = path.stat().st_size
    if size != rec.bytes_len:
        raise PushRefused(f"size mismatch: {size} bytes on disk, {rec.bytes_len} recorded")
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    if digest.hexdigest() != rec.sha256:
        raise PushRefused("checksum mismatch: the local file is not the archived recording")


def _head_matches(client: Any, bucket: str, key: str, rec: LocalRecording) -> bool:
    try:
        head = client.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return (
        head.get("ContentLength") == rec.bytes_len
        and head.get("Metadata", {}).get("sha256") == rec.sha256
    )


def _read_back_matches(store: AudioStore, key: str, rec: LocalRecording) -> bool:
    obj = store.s3_client().get_object(Bucket=store.archive_bucket, Key=key)
    digest, size = hashlib.sha256(), 0
    for chunk in obj["Body"].iter_chunks(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return size == rec.bytes_len and digest.hexdigest() == rec.sha256
