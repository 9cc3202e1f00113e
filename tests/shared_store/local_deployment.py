"""A deployment that ran on one machine before the shared store: recordings archived by the
AudioStore under CALLINTEL_HOME/audio (their local paths in raw.call_recordings) and each
tenant's search index in CALLINTEL_HOME/lancedb, for `callintel store push` to move."""

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from callintel_dagster.lib.tables import CALL_RECORDINGS
from callintel_dagster.providers.audio_store import AudioStore
from callintel_dagster.providers.embeddings import embedder_named
from callintel_dagster.resources.warehouse import SliceWrite, Warehouse
from callintel_dagster.search import ChunkIndex

AUDIO = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
DAYS = (date(2026, 11, 17), date(2026, 11, 18))
TENANTS_YAML = """
tenants:
  - id: acme
    name: Acme Realty
    timezone: Asia/Kolkata
  - id: globex
    name: Globex Support
    timezone: America/Los_Angeles
  - id: initech
    name: Initech
    timezone: Europe/London
"""
# (tenant, call id, day, fixture file, what was said)
CALLS = [
    ("acme", "a-1", DAYS[0], "mono_16k.wav", "The price of the flat is too high for us."),
    ("acme", "a-2", DAYS[1], "mono_16k.mp3", "Can we visit the site on Sunday morning?"),
    ("acme", "a-3", DAYS[1], "mono_16k.ogg", "We already bought a flat elsewhere, thanks."),
    ("globex", "g-1", DAYS[0], "phone_8k.wav", "My router keeps dropping the connection."),
    ("globex", "1700000000.12", DAYS[1], "stereo_8k.wav", "The invoice price looks wrong."),
    ("initech", "i-1", DAYS[1], "mono_16k.m4a", "Please send the quote for the printers."),
]
QUERIES = ("price too high", "visit on sunday", "router connection", "printers quote")


@dataclass(frozen=True)
class Recording:
    tenant_id: str
    call_id: str
    day: date
    local_path: str
    ext: str
    data: bytes
    sha256: str


def build(home: Path, warehouse_url: str) -> list[Recording]:
    """Archive every call's audio and index its words, as the pipeline did on local disk."""
    store, warehouse = AudioStore.in_home(home), Warehouse(url=warehouse_url)
    recordings, frames = [], []
    now = datetime(2026, 11, 19, 3, 0)  # archived_at_utc: naive UTC, as the stage writes it
    for tenant_id, call_id, day, fixture, _ in CALLS:
        audio = store.fetch(tenant_id, call_id, str(AUDIO / fixture))
        recordings.append(
            Recording(
                tenant_id,
                call_id,
                day,
                audio.path_or_uri,
                Path(audio.path_or_uri).name[len(call_id) :],
                (AUDIO / fixture).read_bytes(),
                audio.sha256,
            )
        )
        frames.append(
            {
                "tenant_id": tenant_id,
                "partition_date": day,
                "call_id": call_id,
                "location": str(AUDIO / fixture),
                "archive_uri": audio.path_or_uri,
                "bytes": audio.bytes_len,
                "sha256": audio.sha256,
                "content_type": audio.content_type,
                "recording_status": "archived",
                "reason": None,
                "archived_at_utc": now,
            }
        )
    frame = pd.DataFrame(frames, columns=CALL_RECORDINGS.column_names)
    slices = sorted({(r["tenant_id"], r["partition_date"]) for r in frames})
    warehouse.write([SliceWrite(CALL_RECORDINGS, slices, frame, {})])
    _index(ChunkIndex(str(home / "lancedb")))
    return recordings


def _index(index: ChunkIndex) -> None:
    embedder = embedder_named("static")
    for tenant_id in sorted({c[0] for c in CALLS}):
        for day in DAYS:
            calls = [c for c in CALLS if c[0] == tenant_id and c[2] == day]
            vectors = embedder.embed([c[4] for c in calls])
            rows = [
                {
                    "chunk_id": f"{call_id}:0",
                    "tenant_id": tenant_id,
                    "partition_date": day.isoformat(),
                    "call_id": call_id,
                    "chunk_index": 0,
                    "speaker": "customer",
                    "roles": "customer",
                    "text": f"Customer: {said}",
                    "model": embedder.model,
                    "vector": vector.tolist(),
                }
                for (_, call_id, _, _, said), vector in zip(calls, vectors, strict=True)
            ]
            if rows:
                index.replace_day(tenant_id, day.isoformat(), rows, embedder.dim)
        index.refresh(tenant_id)
