"""Calls from a per-tenant drop folder: metadata files (JSON/CSV) and audio files.

Layout: `<inbox>/<tenant>/` receives files; `commit()` moves what a sync took to
`<processed>/<tenant>/<YYYY-MM-DD>/` (the window's day); malformed files go to
`<failed>/<tenant>/` with `<name>.error.txt` beside them saying why.

Delivery is at-least-once: `fetch_calls` only reads (and quarantines), and files move in
`commit()`, which the caller runs after it has written the rows. A crash in between re-reads the
same files next time and the upsert by call_id makes that harmless. Not meant for two concurrent
syncs of one tenant (nothing is lost then either, but rows may be written twice).

Rules (providers/folder/records.py lists the metadata columns):
- Files younger than `settle_s` are not read yet: they may still be uploading.
- A row's audio is its `recording`/`audio_file` file name, else `<call_id>.<ext>`. `recording_url`
  is the file:// URI where commit() puts the audio (or where an earlier commit put it, for
  metadata that arrives late), so it stays valid after the move. A URL in the metadata is kept.
- Audio and metadata wait up to `audio_wait_s` (by mtime) for each other: a metadata file whose
  completed calls have no audio yet stays in the inbox until then, and is then taken without audio
  (`recording_missing` names a file that never came).
- Audio without metadata after that becomes a call: call_id = file stem, started_at = file mtime,
  call_status completed, is_final True, duration unknown, `audio_only` True. Metadata arriving
  later with call_id = stem upserts over it; audio arriving after its metadata was taken becomes
  such a call too (and, named `<call_id>.<ext>`, replaces that call's row: give it a longer wait).
- Only rows that started in the window are returned. A file with rows outside it is taken if it
  has rows inside: commit() re-drops the others as `<name>.rest-<hash>.json` for the sync of
  their own day. A file with no rows inside stays in the inbox.
- An empty audio file, or a metadata file with any bad row, is quarantined whole.
- Other files (unknown extensions, dot-files, directories) are left alone.
"""

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from callintel_dagster.lib.ingest.window import SyncWindow
from callintel_dagster.lib.tenants.registry import TENANT_ID_PATTERN, Tenant
from callintel_dagster.lib.tenants.source_configs import FolderCallsConfig
from callintel_dagster.providers.base import SourceCapabilities
from callintel_dagster.providers.folder.records import (
    AUDIO_EXTENSIONS,
    METADATA_EXTENSIONS,
    MalformedFile,
    parse_metadata,
    rows_to_calls,
)

PROCESSED_LOOKBACK_DAYS = 31  # how many processed day folders late metadata may find audio in


@dataclass(frozen=True)
class Quarantined:
    name: str
    reason: str
    path: Path  # where the file now is, under failed/<tenant>/


@dataclass
class _Take:
    """A file the caller's write covers; moved to processed/ on commit."""

    path: Path
    dest: Path
    remainder: list[dict] = field(default_factory=list)  # metadata rows outside the window


@dataclass
class _Inbox:
    """One scan of the tenant's inbox."""

    metadata: list[Path]
    audio: dict[str, Path]  # settled audio by file name
    uploading: set[str]  # audio names and stems still settling: their metadata waits
    by_stem: dict[str, list[Path]] = field(default_factory=dict)


class FolderSource:
    provider = "folder"
    capabilities = SourceCapabilities(commits_after_write=True)  # files move on commit()
    requests = 0  # no remote API: nothing to count

    def __init__(
        self,
        tenant_id: str,
        inbox: Path,
        processed: Path,
        failed: Path,
        source_timezone: str = "UTC",
        settle_s: float = 30.0,
        audio_wait_s: float = 600.0,
    ):
        if not re.fullmatch(TENANT_ID_PATTERN, tenant_id):
            raise ValueError(f"invalid tenant id {tenant_id!r}")  # it becomes a directory name
        self.tenant_id = tenant_id
        self.inbox = Path(inbox) / tenant_id
        self.processed = Path(processed) / tenant_id
        self.failed = Path(failed) / tenant_id
        self.source_timezone = source_timezone
        self.settle_s, self.audio_wait_s = settle_s, audio_wait_s
        self.quarantined: list[Quarantined] = []  # what the last fetch moved to failed/
        self._takes: list[_Take] = []
        self._processed_audio: dict[str, Path] | None = None

    @classmethod
    def in_home(cls, tenant_id: str, home: Path, **kwargs) -> "FolderSource":
        """The default layout under CALLINTEL_HOME: inbox/, processed/, failed/."""
        return cls(tenant_id, home / "inbox", home / "processed", home / "failed", **kwargs)

    def fetch_calls(self, window: SyncWindow) -> list[dict]:
        """Calls that started in the window (naive UTC). `since_utc` is not needed: the inbox
        holds only what no earlier sync committed."""
        # takes accumulate until commit(): one sync may fetch several days before it writes
        self.quarantined, self._processed_audio = [], None
        if not self.inbox.is_dir():
            return []
        now = time.time()
        day_dir = self.processed / window.day.isoformat()
        inbox = self._scan(now)
        calls: dict[str, dict] = {}
        claimed: set[str] = set()  # audio names some metadata row refers to
        taken_audio: dict[str, _Take] = {}
        for path in inbox.metadata:
            read = self._read(path)
            if read is None:
                continue
            rows, records = read
            inside, outside, wanted, waiting = [], [], [], False
            for row, record in zip(rows, records, strict=True):
                files, missing = self._match(record, inbox)
                claimed.update(p.name for p in files)
                if not window.start_utc <= record["started_at_utc"] < window.end_utc:
                    outside.append(row)
                    continue
                record["source_file"] = path.name
                if files:
                    wanted.extend(files)
                    record["recording_url"] = self._destination(files[0], day_dir).as_uri()
                elif missing:
                    waiting |= _age(path, now) < self.audio_wait_s
                    waiting |= missing in inbox.uploading
                inside.append(record)
            if waiting or (outside and not inside):
                continue  # stays in the inbox: its audio may still come / its day is another
            self._takes.append(_Take(path, self._destination(path, day_dir), outside))
            for audio in wanted:
                taken_audio.setdefault(audio.name, _Take(audio, self._destination(audio, day_dir)))
            calls.update((r["call_id"], r) for r in inside)  # a later file's row wins

        for name, path in inbox.audio.items():
            if name in claimed or _age(path, now) < self.audio_wait_s:
                continue
            call = self._audio_only(path, day_dir)
            if window.start_utc <= call["started_at_utc"] < window.end_utc:
                calls.setdefault(call["call_id"], call)
                taken_audio[name] = _Take(path, self._destination(path, day_dir))
        self._takes.extend(taken_audio.values())
        return list(calls.values())

    def commit(self) -> list[Path]:
        """Move the files the fetches since the last commit took into processed/; call after the
        rows are written.
        Returns where they went. Safe to call twice (the second call has nothing to move)."""
        moved = []
        for take in self._takes:
            if not take.path.exists():
                continue  # already moved (a concurrent sync, or a crash after the move)
            if take.remainder:  # written before the move: a crash between keeps both, never none
                self._redrop(take.path, take.remainder)
            moved.append(_move(take.path, take.dest))
        self._takes = []
        return moved

    def _scan(self, now: float) -> _Inbox:
        inbox = _Inbox([], {}, set())
        for path in sorted(self.inbox.iterdir()):
            suffix = path.suffix.lower()
            if path.name.startswith(".") or not path.is_file():
                continue
            settling = _age(path, now) < self.settle_s
            if suffix in METADATA_EXTENSIONS and not settling:
                inbox.metadata.append(path)
            elif suffix in AUDIO_EXTENSIONS and settling:
                inbox.uploading |= {path.name, path.stem}
            elif suffix in AUDIO_EXTENSIONS and path.stat().st_size == 0:
                self._quarantine(path, "empty audio file")
            elif suffix in AUDIO_EXTENSIONS:
                inbox.audio[path.name] = path
                inbox.by_stem.setdefault(path.stem, []).append(path)
        return inbox

    def _read(self, path: Path) -> tuple[list[dict], list[dict]] | None:
        """(raw rows, call records), or None when the file was quarantined or vanished."""
        try:
            rows = parse_metadata(path.name, path.read_text(encoding="utf-8"))
            return rows, rows_to_calls(rows, self.source_timezone)
        except (MalformedFile, UnicodeDecodeError) as exc:
            self._quarantine(path, f"{type(exc).__name__}: {exc}")
        except FileNotFoundError:
            pass  # removed since the scan (by hand, or by a concurrent sync): nothing to read
        return None

    def _match(self, record: dict, inbox: _Inbox) -> tuple[list[Path], str | None]:
        """Sets recording_url; returns (inbox audio files to take, the audio still missing)."""
        ref = record.pop("recording")
        record["recording_url"] = None
        if ref and "://" in ref:
            record["recording_url"] = ref
            return [], None
        if ref:
            if ref in inbox.audio:
                return [inbox.audio[ref]], None
            if earlier := self._processed_index().get(ref):
                record["recording_url"] = earlier.as_uri()
                return [], None
            record["recording_missing"] = ref
            return [], ref
        call_id = record["call_id"]
        if call_id in inbox.by_stem:  # every format of it goes along; the first is the recording
            return inbox.by_stem[call_id], None
        index = self._processed_index()
        earlier = next((index[n] for n in _audio_names(call_id) if n in index), None)
        if earlier:
            record["recording_url"] = earlier.as_uri()
            return [], None
        # only a call someone talked on is expected to have a recording
        return [], call_id if record["call_status"] == "completed" else None

    def _audio_only(self, path: Path, day_dir: Path) -> dict:
        mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
        return {
            "call_id": path.stem,
            "started_at_utc": mtime,
            "ended_at_utc": None,
            "duration_seconds": None,  # unknown until the audio is decoded (STT reports it)
            "call_status": "completed",
            "recording_url": self._destination(path, day_dir).as_uri(),
            "is_final": True,
            "source_file": path.name,
            "audio_only": True,
        }

    def _destination(self, path: Path, day_dir: Path) -> Path:
        return _free_name(day_dir / path.name, path)

    def _processed_index(self) -> dict[str, Path]:
        # audio an earlier commit moved, for metadata that arrives after its audio was taken
        if self._processed_audio is None:
            self._processed_audio = {}
            days = sorted(d for d in self.processed.glob("????-??-??") if d.is_dir())
            for day in days[-PROCESSED_LOOKBACK_DAYS:]:  # oldest first: the newest copy wins
                for path in day.iterdir():
                    if path.suffix.lower() in AUDIO_EXTENSIONS:
                        self._processed_audio[path.name] = path
        return self._processed_audio

    def _quarantine(self, path: Path, reason: str) -> None:
        dest = _free_name(self.failed / path.name, path)
        # the reason is written first: a crash between leaves the file in the inbox to retry,
        # never a quarantined file without its reason
        _atomic_write(
            dest.with_name(dest.name + ".error.txt"),
            f"file: {path.name}\ntenant: {self.tenant_id}\n"
            f"quarantined_at_utc: {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}\nreason: {reason}\n"
            "fix the file and drop it into the inbox again\n",
        )
        self.quarantined.append(Quarantined(path.name, reason, _move(path, dest)))

    def _redrop(self, original: Path, rows: list[dict]) -> None:
        text = json.dumps(rows, ensure_ascii=False, sort_keys=True, default=str, indent=1)
        base = re.sub(r"\.rest-[0-9a-f]{8}$", "", original.stem)  # no .rest-x.rest-y chains
        digest = hashlib.sha256(text.encode()).hexdigest()[:8]
        _atomic_write(self.inbox / f"{base}.rest-{digest}.json", text)


def _audio_names(stem: str) -> list[str]:
    return [stem + ext for ext in sorted(AUDIO_EXTENSIONS)]


def _age(path: Path, now: float) -> float:
    return now - path.stat().st_mtime


def _free_name(dest: Path, src: Path) -> Path:
    """`dest`, unless a different file is there: then a content-hash suffix, so a reused name
    (daily exports called calls.csv) never overwrites, and the same file twice lands once."""
    if not dest.exists() or _same_content(dest, src):
        return dest
    return dest.with_name(f"{src.stem}-{_sha256(src)[:8]}{src.suffix}")


def _move(src: Path, dest: Path) -> Path:
    dest = _free_name(dest, src)  # re-checked: something may have landed there since the fetch
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        src.unlink()  # the same content is already there (an interrupted earlier commit)
    else:
        shutil.move(src, dest)  # a rename on one file system, copy + delete across them
    return dest


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # a dot-file while written, so a scan of the inbox never reads half of it
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _same_content(a: Path, b: Path) -> bool:
    return a.stat().st_size == b.stat().st_size and _sha256(a) == _sha256(b)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def source_for(tenant: Tenant, config: FolderCallsConfig, home: Path) -> FolderSource:
    """The registry's factory: the tenant's drop folder under CALLINTEL_HOME."""
    return FolderSource.in_home(
        tenant.id,
        home,
        source_timezone=config.source_timezone,
        settle_s=config.settle_s,
        audio_wait_s=config.audio_wait_s,
    )
