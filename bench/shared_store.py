"""Benchmark: the cost of shared state on S3 (CALLINTEL_SHARED_STORE) against local disk.

The same tenant-day (synthetic calls, one audio-only call transcribed by the Deepgram emulator,
the static embedding model) is synced and processed through Dagster twice in one run: with
LanceDB and the audio archive under CALLINTEL_HOME (the baseline), then in a bucket of moto's S3
server on 127.0.0.1. Prints each step's time, search latency over the tenant's index (p50 of
`--queries` hybrid searches on a fresh connection), and the ratio S3 / local. moto is a Python
server on the same cores: a real S3 or MinIO answers each request faster, but LanceDB makes many
small requests (manifests, index files), so the request count is where the time goes.

    .venv/bin/python -m bench.shared_store [--calls 30] [--queries 20]
"""

import argparse
import logging
import os
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path

import dagster as dg
import pytest

from callintel_dagster.definitions import build_defs
from callintel_dagster.env import current_env
from callintel_dagster.partitions import tenant_day_key, tenants_partitions
from callintel_dagster.providers.embeddings import embedder_named
from callintel_dagster.search import ChunkIndex, search
from emulators.deepgram import DeepgramEmulator
from tests.shared_store.s3_server import moto_s3, use_shared_store

DAY = "2026-11-18"
AUDIO = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "audio" / "mono_16k.wav"
TENANTS = """tenants:
  - id: acme
    name: Acme Realty
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: {calls}, seed: 3, audio_samples: samples}}
    embeddings: {{provider: local, model: static}}
    stt: {{provider: deepgram, api_key_env: BENCH_DG, base_url: "{deepgram}"}}
"""
STORE_STEPS = {"call_recordings", "call_transcripts", "transcript_embeddings", "search p50 (ms)"}
QUERIES = ("flat", "price too high", "call me later", "site visit", "budget", "loan")


def step_times(instance, run_id: str) -> dict[str, float]:
    started, took = {}, {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or not entry.step_key:
            continue
        if event.event_type_value == "STEP_START":
            started[entry.step_key] = entry.timestamp
        elif event.event_type_value == "STEP_SUCCESS":
            took[entry.step_key] = entry.timestamp - started[entry.step_key]
    return took


def one_side(root: Path, calls: int, queries: int, deepgram, mp, s3_endpoint=None) -> dict:
    home = root / "home"
    (home / "samples").mkdir(parents=True)
    shutil.copy(AUDIO, home / "samples" / AUDIO.name)
    (root / "tenants.yaml").write_text(TENANTS.format(calls=calls, deepgram=deepgram.base_url))
    mp.setenv("CALLINTEL_HOME", str(home))
    mp.setenv("CALLINTEL_TENANTS", str(root / "tenants.yaml"))
    mp.setenv("BENCH_DG", "dg-key")
    mp.delenv("CALLINTEL_WAREHOUSE_URL", raising=False)
    if s3_endpoint:
        use_shared_store(mp, root, s3_endpoint)
    else:
        mp.delenv("CALLINTEL_SHARED_STORE", raising=False)
    env = current_env()
    defs = build_defs(env)
    times: dict[str, float] = defaultdict(float)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(tenants_partitions.name, ["acme"])
        for job in ("sync_job", "processing_job"):
            result = defs.resolve_job_def(job).execute_in_process(
                instance=instance, partition_key=str(tenant_day_key("acme", DAY))
            )
            assert result.success, job
            for step, seconds in step_times(instance, result.run_id).items():
                times[step] += seconds
    index, embedder = ChunkIndex.for_env(env), embedder_named("static")
    search(index, embedder, "acme", "warm up")  # opens the table and loads the model once
    latencies = []
    for i in range(queries):
        t0 = time.perf_counter()
        assert search(index, embedder, "acme", QUERIES[i % len(QUERIES)], limit=10)
        latencies.append(time.perf_counter() - t0)
    times["search p50 (ms)"] = statistics.median(latencies) * 1000
    return times


def main() -> None:
    os.environ.setdefault("LANCEDB_LOG", "error")  # its deprecation notes on every hybrid query
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=30, help="synthetic calls in the day")
    parser.add_argument("--queries", type=int, default=20)
    args = parser.parse_args()
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-shared-")))
        mp = stack.enter_context(pytest.MonkeyPatch.context())
        deepgram = stack.enter_context(DeepgramEmulator(latency_s=0.0, api_key="dg-key"))
        deepgram.add_recording(AUDIO.read_bytes(), utterances=[("0", 0, 2, "Hello there.")])
        endpoint = stack.enter_context(moto_s3())
        # a first pass pays the process's cold costs (Dagster's first run, the model's load,
        # boto3's and LanceDB's first client) so that neither measured side carries them
        one_side(root / "warm-up", 2, 1, deepgram, mp, endpoint)
        local = one_side(root / "local", args.calls, args.queries, deepgram, mp)
        shared = one_side(root / "s3", args.calls, args.queries, deepgram, mp, endpoint)
    for side in (local, shared):
        side["steps total"] = sum(v for k, v in side.items() if not k.startswith("search"))
    print(f"shared store bench: 1 tenant-day, {args.calls} calls + 1 audio-only call")
    print(f"{'step (* reads or writes the store)':<44}{'local':>9}{'S3 (moto)':>11}{'ratio':>7}")
    order = sorted(local, key=lambda s: (s in ("steps total", "search p50 (ms)"), s))
    for step in order:
        a, b = local[step], shared.get(step, 0.0)
        mark = "*" if step in STORE_STEPS else " "
        print(f"{mark} {step:<42}{a:>9.2f}{b:>11.2f}{b / a if a else 0:>6.1f}x")


if __name__ == "__main__":
    main()
