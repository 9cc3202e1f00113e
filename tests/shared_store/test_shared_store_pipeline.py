"""Shared state on moto's S3 server, through Dagster: one worker syncs and processes a small
tenant-day with CALLINTEL_SHARED_STORE set; the vectors and the recordings are then objects in
the bucket (nothing under its CALLINTEL_HOME), search reads them, the explorer streams the audio
from S3, and a second worker with another CALLINTEL_HOME (the same warehouse, as a cluster shares
PostgreSQL) transcribes the recording again and re-indexes the day from what the first wrote."""

import shutil
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from callintel_dagster.definitions import build_defs, resolved_resource
from callintel_dagster.env import current_env
from callintel_dagster.explorer.app import create_app
from callintel_dagster.explorer.settings import ExplorerSettings
from callintel_dagster.lib.tables import CALL_RECORDINGS
from callintel_dagster.providers.embeddings import embedder_named
from callintel_dagster.resources.warehouse import SliceWrite
from callintel_dagster.search import ChunkIndex, search
from conftest import DAY, run_job
from emulators.deepgram import DeepgramEmulator
from tests.shared_store.s3_server import SECRET, keys, moto_s3, use_shared_store

pytestmark = pytest.mark.integration

AUDIO = Path(__file__).resolve().parents[1] / "fixtures" / "audio" / "mono_16k.wav"
SPOKEN = ("Hello, this is Priya from Acme.", "Yes, tell me about the flat.")
FIRST_WORKER = [
    dg.AssetKey(name)
    for name in ("call_records", "call_recordings", "call_transcripts", "transcript_embeddings")
]
KEYS = {"CALLINTEL_KEY_ACME": "acme-key-0123456789abcdef", "CALLINTEL_KEY_GLOBEX": "globex-key-99"}
TENANTS = """
tenants:
  - id: acme
    name: Acme Realty
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: 4, seed: 3, audio_samples: samples}}
    embeddings: {{provider: local, model: static}}
    stt: {{provider: deepgram, api_key_env: CALLINTEL_TEST_DG, base_url: "{deepgram}"}}
  - id: globex
    name: Globex Support
    timezone: America/Los_Angeles
    calls: {{provider: synthetic, calls_per_day: 2, seed: 5}}
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """After the first worker's sync, recordings, transcripts and embeddings of acme's DAY."""
    root = tmp_path_factory.mktemp("shared-store")
    (root / "home" / "samples").mkdir(parents=True)
    shutil.copy(AUDIO, root / "home" / "samples" / AUDIO.name)
    with (
        pytest.MonkeyPatch.context() as mp,
        moto_s3() as endpoint,
        DeepgramEmulator(latency_s=0.0, api_key="dg-key") as deepgram,
        dg.instance_for_test() as instance,
    ):
        deepgram.add_recording(
            AUDIO.read_bytes(), utterances=[("0", 0, 2, SPOKEN[0]), ("1", 2.2, 4, SPOKEN[1])]
        )
        s3, bucket = use_shared_store(mp, root, endpoint)
        (root / "tenants.yaml").write_text(TENANTS.format(deepgram=deepgram.base_url))
        mp.setenv("CALLINTEL_TENANTS", str(root / "tenants.yaml"))
        mp.setenv("CALLINTEL_HOME", str(root / "home"))
        mp.setenv("CALLINTEL_TEST_DG", "dg-key")
        mp.delenv("CALLINTEL_WAREHOUSE_URL", raising=False)
        for name, value in KEYS.items():
            mp.setenv(name, value)
        env = current_env()
        defs = build_defs(env)
        # only the steps that touch the shared store, and what they need: one run
        runs = [run_job(defs, instance, "daily_job", asset_selection=FIRST_WORKER)]
        yield {
            "root": root, "env": env, "s3": s3, "bucket": bucket, "defs": defs, "mp": mp,
            "instance": instance, "deepgram": deepgram, "runs": runs,
        }  # fmt: skip


def recordings(warehouse) -> list[dict]:
    return warehouse.query(
        "SELECT * FROM raw.call_recordings WHERE tenant_id = 'acme' AND recording_status = "
        "'archived'"
    ).to_dict("records")


def test_vectors_and_audio_are_objects_in_the_bucket(world):
    s3, bucket, home = world["s3"], world["bucket"], world["env"].home
    lance = keys(s3, bucket, "callintel/lancedb/")
    assert lance and all(k.startswith("callintel/lancedb/chunks_acme.lance/") for k in lance)
    (recording,) = recordings(resolved_resource(world["defs"], "warehouse"))
    key = f"callintel/audio/acme/{recording['call_id']}.wav"
    assert recording["archive_uri"] == f"s3://{bucket}/{key}"
    assert keys(s3, bucket, "callintel/audio/") == [key]
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == AUDIO.read_bytes()
    assert not (home / "lancedb").exists()
    assert not [p for p in (home / "audio").rglob("*") if p.is_file()]
    # the transcription read the recording back from the bucket
    assert len(world["deepgram"].calls) == 1
    transcript = resolved_resource(world["defs"], "warehouse").query(
        "SELECT transcript_status, text FROM core.call_transcripts WHERE call_id = ?",
        [recording["call_id"]],
    )
    assert transcript["transcript_status"][0] == "ok" and SPOKEN[0] in transcript["text"][0]


def test_no_secret_reaches_the_run_logs_or_the_resources(world):
    instance = world["instance"]
    for result in world["runs"]:
        for record in instance.all_logs(result.run_id):
            assert SECRET not in str(record)
    for key in ("vector_store", "audio_archive"):
        assert SECRET not in repr(world["defs"].resources[key])


def test_search_reads_the_index_from_s3(world):
    index = ChunkIndex.for_env(world["env"])
    assert index.path == f"s3://{world['bucket']}/callintel/lancedb"
    hits = search(index, embedder_named("static"), "acme", "flat", limit=5)
    assert hits and {h.call_id for h in hits} <= set(_acme_calls(world))
    assert any(
        SPOKEN[1][:10] in h.snippet for h in search(index, None, "acme", "Priya", mode="bm25")
    )


def test_the_explorer_streams_the_recording_from_s3_to_its_own_tenant_only(world):
    warehouse = resolved_resource(world["defs"], "warehouse")
    (recording,) = recordings(warehouse)
    # a globex row naming acme's object: the explorer must refuse it (tenant prefix check)
    stolen = {**recording, "tenant_id": "globex", "call_id": "globex-stolen"}
    frame = pd.DataFrame([stolen], columns=CALL_RECORDINGS.column_names)
    warehouse.write(
        [SliceWrite(CALL_RECORDINGS, [("globex", DAY)], frame, {"call_id": "globex-stolen"})]
    )
    warehouse.refresh_snapshot()
    client = TestClient(create_app(ExplorerSettings.from_env(world["env"])))
    acme = {"Authorization": f"Bearer {KEYS['CALLINTEL_KEY_ACME']}"}
    url = f"/api/tenants/acme/calls/{recording['call_id']}/audio"
    whole = client.get(url, headers=acme)
    assert whole.status_code == 200 and whole.content == AUDIO.read_bytes()
    assert whole.headers["content-type"] == "audio/wav"
    part = client.get(url, headers={**acme, "Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == AUDIO.read_bytes()[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{AUDIO.stat().st_size}"
    globex = {"Authorization": f"Bearer {KEYS['CALLINTEL_KEY_GLOBEX']}"}
    assert (
        client.get("/api/tenants/globex/calls/globex-stolen/audio", headers=globex).status_code
        == 404
    )
    assert client.get(url.replace("acme", "globex", 1), headers=globex).status_code == 404
    found = client.get("/api/tenants/acme/search", params={"q": "flat"}, headers=acme)
    assert found.status_code == 200 and found.json()["hits"]


def test_a_second_worker_with_its_own_home_reads_what_the_first_wrote(world, tmp_path):
    mp, first = world["mp"], world["env"]
    mp.setenv("CALLINTEL_HOME", str(tmp_path / "worker2"))
    mp.setenv("CALLINTEL_WAREHOUSE_URL", f"duckdb:///{first.duckdb_path}")  # the shared warehouse
    try:
        second = current_env()
        defs = build_defs(second)
        assert resolved_resource(defs, "vector_store").count("acme", DAY.isoformat()) > 0
        before = len(world["deepgram"].calls)
        config = {"ops": {"call_transcripts": {"config": {"retranscribe": True}}}}
        steps = [dg.AssetKey("call_transcripts"), dg.AssetKey("transcript_embeddings")]
        run_job(defs, world["instance"], "processing_job", run_config=config, asset_selection=steps)
        assert len(world["deepgram"].calls) == before + 1  # the audio, read from the bucket
        hits = search(ChunkIndex.for_env(second), embedder_named("static"), "acme", "flat")
        assert hits
        assert not (second.home / "lancedb").exists()
        assert not [p for p in (second.home / "audio").rglob("*") if p.is_file()]
    finally:
        mp.setenv("CALLINTEL_HOME", str(first.home))
        mp.delenv("CALLINTEL_WAREHOUSE_URL")


def _acme_calls(world) -> list[str]:
    warehouse = resolved_resource(world["defs"], "warehouse")
    return warehouse.query("SELECT call_id FROM raw.call_records WHERE tenant_id = 'acme'")[
        "call_id"
    ].tolist()
