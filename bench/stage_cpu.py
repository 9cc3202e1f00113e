"""Benchmark: CPU-ms per call of each per-call stage's own work, on one fixed synthetic day.

No Dagster, no warehouse: the functions the steps call per call, in one process, in CPU time
(wall time on a shared machine says how long others let us run). Sync's redaction of the record,
the transcript step's passthrough, second redaction and language detection, the offline
analyser, the conversation signals and the static embeddings of the chunks.

    .venv/bin/python -m bench.stage_cpu              # 2,000 calls
    .venv/bin/python -m bench.stage_cpu --calls 500
"""

import argparse
import datetime
import json
import time

from callintel_dagster.lib.analysis.offline import analyse_offline
from callintel_dagster.lib.ingest.redaction import TenantRedaction, redact_call_record
from callintel_dagster.lib.synthetic import generate_day
from callintel_dagster.lib.tenants.privacy_config import PrivacyConfig
from callintel_dagster.lib.transcripts.chunking import chunk_turns
from callintel_dagster.lib.transcripts.language import detect_language
from callintel_dagster.lib.transcripts.signals import compute_signals
from callintel_dagster.providers.embeddings import shared_static
from callintel_dagster.resources.stt import PassthroughTranscriber


def timed(name: str, calls: int, f, items: list) -> list:
    began = time.process_time()
    out = [f(x) for x in items]
    took = time.process_time() - began
    print(f"{name:<30}{took:>8.2f} CPU-s{1000 * took / calls:>8.2f} CPU-ms/call")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    n = parser.parse_args().calls
    day = datetime.date(2026, 11, 18)
    calls = generate_day("t00", day, "Asia/Kolkata", calls_per_day=n, leads_per_day=n // 10).calls
    cfg, embedder = PrivacyConfig(), shared_static()
    # one-time loads outside the timings: Presidio, the language model, VADER, the embeddings
    redact_call_record(cfg, {"transcript_text": "call 98765 43210", "turns": []})
    detect_language("a warm-up sentence")
    analyse_offline([{"role": "customer", "text": "hello there"}])
    embedder.embed(["warm up"])
    print(f"{n:,} synthetic calls, default privacy block, CPU time in this process")
    records = timed("sync: redact the record", n, lambda c: redact_call_record(cfg, c), calls)
    rows = [
        {
            "transcript_text": r.get("transcript_text"),
            "transcript_turns_json": json.dumps(r["turns"]) if r.get("turns") else None,
            "language": r.get("language"),
            "recording_url": r.get("recording_url"),
            "call_status": r.get("call_status"),
        }
        for r in records
    ]
    found = timed("transcripts: passthrough", n, PassthroughTranscriber().transcribe, rows)
    privacy = TenantRedaction(cfg)
    redacted = timed(
        "transcripts: redact again", n, lambda t: privacy.apply(t.text, list(t.turns), None), found
    )
    timed("transcripts: language", n, lambda t: detect_language(t.text), found)
    turns = [r[1] for r in redacted]
    timed("analyses: offline rules", n, analyse_offline, [t for t in turns if t])
    durations = [(t, c["duration_seconds"]) for t, c in zip(turns, calls, strict=True) if t]
    timed("signals", n, lambda td: compute_signals(*td), durations)
    chunks = [
        chunk["text"]
        for i, t in enumerate(turns)
        if t
        for chunk in chunk_turns(f"c{i}", [x | {"turn_index": j} for j, x in enumerate(t)])
    ]
    timed("embeddings: static model", n, lambda texts: embedder.embed(texts), [chunks])


if __name__ == "__main__":
    main()
