"""The shared-store settings: CALLINTEL_SHARED_STORE parsed and refused with one-line reasons,
no key ever in configuration, tenant-scoped archive keys, and "unset" meaning local disk exactly
as before (the vectors and the recordings under CALLINTEL_HOME)."""

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from callintel_dagster.definitions import resources_for
from callintel_dagster.lib.shared_store import (
    SharedStore,
    SharedStoreError,
    audio_archive_settings,
    shared_store_of,
    vector_location,
)
from callintel_dagster.providers.audio_store import AudioStore, AudioUnavailable
from callintel_dagster.search import ChunkIndex

AUDIO = Path(__file__).resolve().parents[1] / "fixtures" / "audio" / "mono_16k.wav"


def test_a_bucket_and_prefix_place_the_vectors_and_the_audio():
    store = SharedStore.parse("s3://calls-prod/callintel/eu/", "http://127.0.0.1:9000", "eu-west-1")
    assert (store.bucket, store.prefix) == ("calls-prod", "callintel/eu")
    assert store.lancedb_uri == "s3://calls-prod/callintel/eu/lancedb"
    assert store.audio_prefix == "callintel/eu/audio"
    assert store.lancedb_options() == {
        "endpoint": "http://127.0.0.1:9000",
        "allow_http": "true",
        "region": "eu-west-1",
    }
    bare = SharedStore.parse("s3://calls-prod")
    assert bare.lancedb_uri == "s3://calls-prod/lancedb" and bare.audio_prefix == "audio"
    assert bare.lancedb_options() == {}  # AWS itself: the SDKs find the region and the keys
    tls = SharedStore.parse("s3://calls-prod/x", "https://minio.internal", "us-east-1")
    assert "allow_http" not in tls.lancedb_options()


@pytest.mark.parametrize(
    "uri",
    [
        "/var/callintel",  # not s3
        "gs://bucket/prefix",
        "s3:///prefix",  # no bucket
        "s3://Bad_Bucket/p",
        "s3://key:secret@bucket/p",  # credentials belong in AWS_* variables
        "s3://bucket/p?versionId=1",
        "s3://bucket/../other",
        "s3://bucket/a/./b",
    ],
)
def test_a_bad_location_is_refused_with_its_reason(uri):
    with pytest.raises(SharedStoreError, match="CALLINTEL_SHARED_STORE"):
        SharedStore.parse(uri)


def test_a_bad_location_fails_the_definitions_load(callintel_env):
    with pytest.raises(SharedStoreError, match="expected s3://bucket/prefix"):
        resources_for(replace(callintel_env, shared_store="bucket/prefix"))


def test_keys_never_enter_configuration(callintel_env, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "a-secret-that-must-not-show")
    env = replace(callintel_env, shared_store="s3://calls-prod/ci", s3_region="eu-west-1")
    resources = resources_for(env)
    for key in ("vector_store", "audio_archive"):
        assert "a-secret-that-must-not-show" not in repr(resources[key])
    assert resources["vector_store"].path == "s3://calls-prod/ci/lancedb"
    assert resources["audio_archive"].archive_bucket == "calls-prod"
    assert resources["audio_archive"].archive_prefix == "ci/audio"


@pytest.mark.parametrize(
    "uri",
    [
        "s3://calls/ci/audio/globex/c1.wav",  # another tenant's prefix
        "s3://other-bucket/ci/audio/acme/c1.wav",
        "s3://calls/ci/lancedb/chunks_acme.lance/data/x.lance",  # not the audio
        "s3://calls/ci/audio/acme/sub/c1.wav",  # nested
        "s3://calls/ci/audio/acme/../globex/c1.wav",
        "s3://calls/ci/audio/acme/.hidden",
        "s3://calls/ci/audio/acme/c1.wav?versionId=2",
        "/home/callintel/audio/acme/c1.wav",
    ],
)
def test_an_archived_uri_is_read_only_from_the_tenants_own_prefix(uri):
    store = AudioStore(Path("/nowhere"), archive_bucket="calls", archive_prefix="ci/audio")
    assert store.archive_key("acme", "s3://calls/ci/audio/acme/c1.wav") == "ci/audio/acme/c1.wav"
    with pytest.raises(AudioUnavailable, match="not in this tenant's archive"):
        store.archive_key("acme", uri)
    if uri.startswith("s3://"):  # refused before any request: no server is needed
        with pytest.raises(AudioUnavailable, match="not in this tenant's archive"):
            store.read_archived("acme", uri)


def test_unset_means_local_disk_as_before(callintel_env, monkeypatch, tmp_path):
    monkeypatch.delenv("CALLINTEL_SHARED_STORE", raising=False)
    env, home = callintel_env, callintel_env.home
    assert env.shared_store is None and shared_store_of(env) is None
    assert vector_location(env) == (str(home / "lancedb"), {})
    assert audio_archive_settings(env) == {"s3_endpoint_url": None}
    resources = resources_for(env)
    vectors, audio = resources["vector_store"], resources["audio_archive"]
    assert (vectors.path, vectors.storage_options) == (str(home / "lancedb"), {})
    assert (audio.root, audio.archive_bucket) == (str(home / "audio"), None)
    assert ChunkIndex.for_env(env).path == str(home / "lancedb")

    (home / "samples").mkdir(parents=True)
    shutil.copy(AUDIO, home / "samples" / "a.wav")
    archived = audio.store().fetch("acme", "c1", str(home / "samples" / "a.wav"))
    assert archived.path_or_uri == str((home / "audio" / "acme" / "c1.wav").resolve())
    row = {"chunk_id": "c1:0", "tenant_id": "acme", "partition_date": "2026-11-18"}
    row |= {"call_id": "c1", "chunk_index": 0, "text": "hello", "vector": [0.5] * 4}
    assert vectors.replace_day("acme", "2026-11-18", [row], dim=4) == 1
    assert (home / "lancedb" / "chunks_acme.lance").is_dir()
