"""`callintel store push` against moto's S3 server: a deployment that ran on local disk moves its
archived recordings and search indices onto the shared store, verified, once, tenant by tenant."""

from pathlib import Path

import pytest

from callintel_dagster.cli.main import main
from callintel_dagster.env import current_env
from callintel_dagster.lib.shared_store import audio_archive_settings
from callintel_dagster.providers.audio_store import AudioStore, AudioUnavailable
from callintel_dagster.providers.embeddings import embedder_named
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.search import ChunkIndex, search
from tests.shared_store import local_deployment
from tests.shared_store.local_deployment import QUERIES, TENANTS_YAML
from tests.shared_store.s3_server import SECRET, keys, moto_s3, use_shared_store


@pytest.fixture(scope="module")
def endpoint():
    with moto_s3() as url:
        yield url


def _hits(index: ChunkIndex, tenant_id: str) -> list[tuple]:
    embedder = embedder_named("static")
    found = []
    for query in QUERIES:
        for mode in ("hybrid", "bm25", "vector"):
            hits = search(index, embedder, tenant_id, query, limit=3, mode=mode)
            found.append([(h.chunk_id, round(h.score, 5)) for h in hits])
    return found


def make_world(monkeypatch, tmp_path, endpoint, url: str) -> dict:
    """The local deployment, its search results, then CALLINTEL_SHARED_STORE switched on."""
    home = tmp_path / "home"
    (tmp_path / "tenants.yaml").write_text(TENANTS_YAML)
    monkeypatch.setenv("CALLINTEL_TENANTS", str(tmp_path / "tenants.yaml"))
    monkeypatch.setenv("CALLINTEL_HOME", str(home))
    monkeypatch.setenv("CALLINTEL_WAREHOUSE_URL", url)
    monkeypatch.delenv("CALLINTEL_SHARED_STORE", raising=False)
    recordings = local_deployment.build(home, url)
    local = ChunkIndex(str(home / "lancedb"))
    before = {t: _hits(local, t) for t in ("acme", "globex", "initech")}
    assert all(before[t][0] for t in before)  # hybrid finds chunks: the comparison has content
    s3, bucket = use_shared_store(monkeypatch, tmp_path, endpoint)
    return {
        "env": current_env(), "s3": s3, "bucket": bucket, "recordings": recordings,
        "before": before, "warehouse": Warehouse(url=url),
    }  # fmt: skip


@pytest.fixture
def world(monkeypatch, tmp_path, endpoint):
    return make_world(monkeypatch, tmp_path, endpoint, f"duckdb:///{tmp_path / 'w.duckdb'}")


@pytest.fixture
def any_world(monkeypatch, tmp_path, endpoint, warehouse_url):
    """The same on each warehouse engine (DuckDB, then PostgreSQL when it is there)."""
    return make_world(monkeypatch, tmp_path, endpoint, warehouse_url)


def push(capsys, *args: str) -> tuple[int, str]:
    code = main(["store", "push", *args])
    out = capsys.readouterr()
    assert SECRET not in out.out + out.err
    return code, out.out + out.err


def uris(world) -> dict[tuple[str, str], str]:
    rows = world["warehouse"].query(
        "SELECT tenant_id, call_id, archive_uri, sha256 FROM raw.call_recordings"
    )
    return {(r.tenant_id, r.call_id): r.archive_uri for r in rows.itertuples()}


def s3_uri(world, rec) -> str:
    return f"s3://{world['bucket']}/callintel/audio/{rec.tenant_id}/{rec.call_id}{rec.ext}"


def test_push_moves_every_recording_and_index_to_the_store(any_world, capsys):
    world = any_world
    code, out = push(capsys)
    assert code == 0, out
    assert "acme: recordings moved 3, already there 0, failed 0; index rows copied 3" in out
    assert "globex: recordings moved 2" in out and "initech: recordings moved 1" in out
    store = AudioStore(Path("/nonexistent"), **audio_archive_settings(world["env"]))
    stored = uris(world)
    for rec in world["recordings"]:
        uri = stored[(rec.tenant_id, rec.call_id)]
        assert uri == s3_uri(world, rec)
        assert store.read_archived(rec.tenant_id, uri) == rec.data
        other = "globex" if rec.tenant_id != "globex" else "acme"
        with pytest.raises(AudioUnavailable):
            store.read_archived(other, uri)  # tenant prefixes hold
        assert Path(rec.local_path).is_file()  # left in place
    sha = world["warehouse"].query("SELECT call_id, sha256 FROM raw.call_recordings")
    assert dict(zip(sha.call_id, sha.sha256, strict=True)) == {
        r.call_id: r.sha256 for r in world["recordings"]
    }
    assert sorted(keys(world["s3"], world["bucket"], "callintel/audio/")) == sorted(
        s3_uri(world, r).split("/", 3)[3] for r in world["recordings"]
    )
    shared = ChunkIndex.for_env(world["env"])
    assert shared.path.startswith("s3://")
    for tenant_id, hits in world["before"].items():
        assert _hits(shared, tenant_id) == hits
    tables = {k.split("/")[2] for k in keys(world["s3"], world["bucket"], "callintel/lancedb/")}
    assert tables == {"chunks_acme.lance", "chunks_globex.lance", "chunks_initech.lance"}


def test_a_second_push_moves_nothing(world, capsys):
    assert push(capsys)[0] == 0
    objects = {
        k: world["s3"].head_object(Bucket=world["bucket"], Key=k)["LastModified"]
        for k in keys(world["s3"], world["bucket"])
    }
    code, out = push(capsys)
    assert code == 0
    assert "acme: recordings moved 0, already there 3, failed 0; index rows copied 0" in out
    assert "nothing to move" in out
    after = {
        k: world["s3"].head_object(Bucket=world["bucket"], Key=k)["LastModified"]
        for k in keys(world["s3"], world["bucket"])
    }
    assert after == objects
    assert ChunkIndex.for_env(world["env"]).count("acme") == 3


def test_an_interrupted_push_continues(world, capsys):
    """What a push killed half-way leaves: one recording uploaded but its row still local, one
    day of acme's index committed, globex's table begun (data files, no manifest)."""
    first = world["recordings"][0]
    store = AudioStore.in_home(world["env"].home, **audio_archive_settings(world["env"]))
    store.fetch(first.tenant_id, first.call_id, first.local_path)  # the object, as a push puts it
    local = ChunkIndex(str(world["env"].lancedb_path)).open("acme")
    day = local.search().where("partition_date = '2026-11-17'").limit(None).to_arrow()
    shared = ChunkIndex.for_env(world["env"])
    shared.replace_day(
        "acme", "2026-11-17", day.to_pylist(), local.schema.field("vector").type.list_size
    )
    world["s3"].put_object(
        Bucket=world["bucket"], Key="callintel/lancedb/chunks_globex.lance/data/x.lance", Body=b"x"
    )
    code, out = push(capsys)
    assert code == 0, out
    assert "acme: recordings moved 3" in out
    assert "index rows copied 2 (days copied 1, already there 1)" in out
    assert uris(world)[(first.tenant_id, first.call_id)] == s3_uri(world, first)
    for tenant_id, hits in world["before"].items():
        assert _hits(ChunkIndex.for_env(world["env"]), tenant_id) == hits


def test_a_missing_or_altered_file_is_reported_and_the_rest_moved(world, capsys):
    missing = next(r for r in world["recordings"] if r.call_id == "a-2")
    altered = next(r for r in world["recordings"] if r.call_id == "g-1")
    Path(missing.local_path).unlink()
    data = bytearray(altered.data)
    data[-1] ^= 0xFF
    Path(altered.local_path).write_bytes(bytes(data))
    code, out = push(capsys)
    assert code == 1
    assert f"acme call a-2: missing local file {missing.local_path}" in out
    assert "globex call g-1: checksum mismatch" in out
    assert "acme: recordings moved 2, already there 0, failed 1" in out
    assert "globex: recordings moved 1, already there 0, failed 1" in out
    stored = uris(world)
    assert stored[("acme", "a-2")] == missing.local_path
    assert stored[("globex", "g-1")] == altered.local_path
    assert all(
        stored[(r.tenant_id, r.call_id)] == s3_uri(world, r)
        for r in world["recordings"]
        if r not in (missing, altered)
    )
    Path(missing.local_path).write_bytes(missing.data)  # put back: the next push finishes
    Path(altered.local_path).write_bytes(altered.data)
    code, out = push(capsys)
    assert code == 0, out
    assert "acme: recordings moved 1, already there 2, failed 0" in out


def test_a_tenant_filter_moves_only_that_tenant(world, capsys):
    code, out = push(capsys, "--tenant", "globex")
    assert code == 0, out
    assert "acme" not in out and "initech" not in out
    moved = {k for k, uri in uris(world).items() if uri.startswith("s3://")}
    assert moved == {("globex", "g-1"), ("globex", "1700000000.12")}
    assert {k.split("/")[2] for k in keys(world["s3"], world["bucket"])} == {
        "globex",
        "chunks_globex.lance",
    }
    assert push(capsys, "--tenant", "nobody")[0] == 2


def test_a_dry_run_changes_nothing(world, capsys):
    code, out = push(capsys, "--dry-run")
    assert code == 0
    assert (
        "acme: recordings would move 3, already there 0, failed 0; index rows would copy 3" in out
    )
    assert keys(world["s3"], world["bucket"]) == []
    assert not any(uri.startswith("s3://") for uri in uris(world).values())


def test_delete_local_removes_only_the_moved_files(world, capsys):
    missing = next(r for r in world["recordings"] if r.call_id == "i-1")
    Path(missing.local_path).unlink()
    code, out = push(capsys, "--delete-local")
    assert code == 1 and "initech call i-1: missing local file" in out
    assert "acme: recordings moved 3, already there 0, failed 0, local files deleted 3" in out
    assert not [r for r in world["recordings"] if Path(r.local_path).exists()]
    store = AudioStore(Path("/nonexistent"), **audio_archive_settings(world["env"]))
    acme = next(r for r in world["recordings"] if r.call_id == "a-1")
    assert store.read_archived("acme", uris(world)[("acme", "a-1")]) == acme.data


def test_without_a_shared_store_there_is_nowhere_to_push(world, capsys, monkeypatch):
    monkeypatch.delenv("CALLINTEL_SHARED_STORE")
    code, out = push(capsys)
    assert code == 2 and "CALLINTEL_SHARED_STORE is not set" in out
