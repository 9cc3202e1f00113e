"""Two writers of one tenant's table on S3 at once (two workers' connections): LanceDB 0.40
commits each version with a conditional PUT, so the loser of a race retries on top of the winner
and no day is lost (docs/cluster.md#shared-state-on-s3)."""

import threading

import pytest

from callintel_dagster.env import current_env
from callintel_dagster.search import ChunkIndex
from tests.shared_store.s3_server import moto_s3, use_shared_store

DIM = 4


def rows_of(day: str, n: int = 3) -> list[dict]:
    return [
        {
            "chunk_id": f"{day}-c:{i}",
            "tenant_id": "acme",
            "partition_date": day,
            "call_id": f"{day}-c",
            "chunk_index": i,
            "text": f"chunk {i} of {day}",
            "vector": [1.0, float(i), 0.0, 0.5],
        }
        for i in range(n)
    ]


@pytest.fixture
def s3_env(monkeypatch, tmp_path):
    with moto_s3() as endpoint:
        use_shared_store(monkeypatch, tmp_path, endpoint)
        monkeypatch.setenv("CALLINTEL_HOME", str(tmp_path / "home"))
        yield current_env()


def test_concurrent_writers_of_one_table_lose_no_day(s3_env):
    ChunkIndex.for_env(s3_env).replace_day("acme", "2026-11-01", rows_of("2026-11-01"), DIM)
    days = {w: [f"2026-11-{10 * w + d:02d}" for d in range(1, 4)] for w in (1, 2)}
    errors = []

    def worker(w: int) -> None:
        index = ChunkIndex.for_env(s3_env)  # its own connection, as on another host
        try:
            for day in days[w]:
                index.replace_day("acme", day, rows_of(day), DIM)
        except Exception as exc:  # noqa: BLE001 - reported below with the worker
            errors.append((w, repr(exc)[:200]))

    threads = [threading.Thread(target=worker, args=(w,)) for w in days]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    index = ChunkIndex.for_env(s3_env)
    assert index.count("acme") == 3 * (1 + len(days[1]) + len(days[2]))
    for day in ["2026-11-01", *days[1], *days[2]]:
        assert index.count("acme", day) == 3, day
