"""Two tenants' calls for the explorer's API, auth and isolation tests, made by the real stages
(no Dagster, a second or two): synthetic calls synced, transcribed, analysed offline and embedded
with the static model into a real DuckDB warehouse and LanceDB index; one archived recording per
tenant. The explorer then reads the snapshot, as in production.
"""

import atexit
import functools
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from fastapi.testclient import TestClient

from callintel_dagster.env import Env
from callintel_dagster.explorer.app import create_app
from callintel_dagster.explorer.reader import Reader
from callintel_dagster.explorer.settings import ExplorerSettings
from callintel_dagster.lib.tables import CALL_RECORDINGS
from callintel_dagster.lib.tenants.registry import Tenant, load_registry
from callintel_dagster.providers.embeddings import embedder_named
from callintel_dagster.providers.synthetic import SyntheticSource
from callintel_dagster.resources.analyzers import OfflineAnalyzer
from callintel_dagster.resources.warehouse import SliceWrite, Warehouse
from callintel_dagster.search import ChunkIndex
from callintel_dagster.stages.analysis import analyse_tenant
from callintel_dagster.stages.embeddings import embed_tenant
from callintel_dagster.stages.sync import sync_tenant
from callintel_dagster.stages.sync_specs import CALLS
from callintel_dagster.stages.transcription import transcribe_tenant

DAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 27, 12, 0)
AUDIO = Path(__file__).resolve().parents[1] / "fixtures" / "audio" / "mono_16k.wav"
KEYS = {  # variable -> key; set per test with monkeypatch
    "CALLINTEL_KEY_ACME": "acme-key-0123456789abcdef",
    "CALLINTEL_KEY_GLOBEX": "globex-key-fedcba9876543210",
    "CALLINTEL_ADMIN_KEY": "admin-key-5555555555555555",
}
REGISTRY = """
tenants:
  - id: acme
    name: Acme Realty
    timezone: Asia/Kolkata
    calls: {provider: synthetic, calls_per_day: 12, seed: 3}
    embeddings: {provider: local, model: static}
  - id: globex
    name: Globex Support
    timezone: America/Los_Angeles
    default_region: US
    calls: {provider: synthetic, calls_per_day: 10, seed: 5}
    embeddings: {provider: local, model: static}
  - id: initech
    name: Initech (no index, no key)
    timezone: Europe/London
    calls: {provider: synthetic, calls_per_day: 4, seed: 7}
"""


@dataclass(frozen=True)
class World:
    settings: ExplorerSettings
    warehouse: Warehouse
    calls: dict[str, list[str]]  # tenant -> its call ids
    recorded: dict[str, str]  # tenant -> the call with an archived recording


@functools.cache
def shared_world() -> World:
    """One world per test session: the explorer only reads it, and building it takes seconds."""
    root = Path(tempfile.mkdtemp(prefix="explorer-world-"))
    atexit.register(shutil.rmtree, root, True)
    return build_world(root)


def build_world(root: Path, warehouse_url: str | None = None) -> World:
    """`warehouse_url`: a PostgreSQL database instead of a DuckDB file under `root`."""
    (root / "tenants.yaml").write_text(REGISTRY)
    tenants_path = root / "tenants.yaml"
    env = Env("test", home=root / "home", tenants_path=tenants_path, warehouse_url=warehouse_url)
    tenants = tuple(load_registry(env.tenants_path).active)
    warehouse = Warehouse(url=env.warehouse_location)
    index, static = ChunkIndex(str(env.lancedb_path)), embedder_named("static")
    calls, recorded = {}, {}
    for tenant in tenants:
        _process(warehouse, tenant)
        if tenant.id != "initech":  # initech: calls, but no search index yet
            embed_tenant(warehouse, tenant, [DAY], static, index)
        ids = warehouse.query(
            "SELECT call_id FROM raw.call_records WHERE tenant_id = ? ORDER BY call_id", [tenant.id]
        )["call_id"].tolist()
        calls[tenant.id], recorded[tenant.id] = ids, ids[0]
        _archive(warehouse, env.home, tenant.id, ids[0])
    warehouse.refresh_snapshot()  # DuckDB: what the snapshot sensor does after a run
    settings = ExplorerSettings(
        env=env,
        tenants=tenants,
        reader=Reader(warehouse),
        warehouse=warehouse,
        secret="explorer-test-secret",
    )
    return World(settings, warehouse, calls, recorded)


def _process(warehouse: Warehouse, tenant: Tenant) -> None:
    sync_tenant(warehouse, tenant, [DAY], SyntheticSource(tenant), CALLS, NOW)
    warehouse.write(transcribe_tenant(warehouse, tenant, [DAY], None).writes())
    done = analyse_tenant(warehouse, tenant, [DAY], OfflineAnalyzer(tenant), NOW)
    warehouse.write(done.writes())


def _archive(warehouse: Warehouse, home: Path, tenant_id: str, call_id: str) -> None:
    """The call's recording, archived where the recordings stage keeps it."""
    path = home / "audio" / tenant_id / f"{call_id}.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(AUDIO, path)
    row = {
        "tenant_id": tenant_id,
        "partition_date": DAY,
        "call_id": call_id,
        "location": f"https://calls.example/{call_id}.wav",
        "archive_uri": str(path),
        "bytes": path.stat().st_size,
        "sha256": None,
        "content_type": "audio/wav",
        "recording_status": "archived",
        "reason": None,
        "archived_at_utc": NOW,
    }
    frame = pd.DataFrame([row], columns=CALL_RECORDINGS.column_names)
    match = {"call_id": call_id}
    warehouse.write([SliceWrite(CALL_RECORDINGS, [(tenant_id, DAY)], frame, match)])


def client_for(world: World, monkeypatch, **kwargs) -> TestClient:
    """A client of the app with the tenants' keys set (initech has none)."""
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CALLINTEL_KEY_INITECH", raising=False)
    return TestClient(create_app(world.settings), **kwargs)


def bearer(name: str) -> dict:
    return {"Authorization": f"Bearer {KEYS[name]}"}
