"""Benchmark: `ask` (and `evaluate`) on synthetic calls against the LLM emulator: how many
citations pass the verbatim check, what is dropped, and end-to-end latency.

The calls are the synthetic ones (one tenant, a few days, a fixed seed; by default the corpus
that heads bench/data/search_queries.jsonl when that file is present), synced, transcribed and
indexed as the pipeline does (stages/sync.py, stages/transcription.py, stages/embeddings.py),
into a DuckDB warehouse and LanceDB index under bench/out/ask/. The questions are the labelled
queries of that file (English and Hinglish), else a built-in list.

Reported:
- honest model (the emulator quotes its passages): citations proposed, kept, dropped, and the
  share of proposed citations that verify;
- lying model (`--fabricate-every N`: every Nth quote is made up): the made-up quotes served,
  the citations dropped, and whether any made-up quote was shown;
- for both: every KEPT citation re-checked independently of search/citations.py (its normalised
  quote must be a substring of the call's stored core.call_transcripts text, read per tenant):
  the share of kept citations verified (aim: 100%);
- `ask` end-to-end latency p50/p95 (retrieval, the LLM request at the emulator's `--latency-s`,
  verification, the usage write) and the offline extractive answer's;
- `evaluate` over every call (one request per call), then the re-run: requests and seconds.

    .venv/bin/python -m bench.ask [--days 5] [--calls-per-day 80] [--latency-s 0.05]
        [--fabricate-every 3] [--model minilm|static]
"""

import argparse
import json
import os
import shutil
import statistics
import time
from datetime import date, datetime, timedelta
from pathlib import Path

LABELS = Path(__file__).parent / "data" / "search_queries.jsonl"
OUT = Path(__file__).parent / "out" / "ask"
NOW = datetime(2026, 11, 26, 12, 0)
QUESTIONS = [
    "Who said the price is too high?",
    "Did anyone ask for a demo?",
    "Which customers asked to be called back later?",
    "Who already uses another vendor?",
    "Did any customer say they need to talk to their family or partner first?",
    "What did customers say about the budget?",
    "Who agreed to a site visit or meeting?",
    "Which callers were not interested?",
    "bahut mehenga hai, budget nahi hai",
    "kal call karna, abhi busy hoon",
]


def corpus() -> tuple[dict, list[str]]:
    """(corpus parameters, questions)."""
    if LABELS.exists():
        lines = [json.loads(x) for x in LABELS.read_text(encoding="utf-8").splitlines() if x]
        return lines[0]["corpus"], [q["query"] for q in lines[1:]]
    params = {"tenant_id": "acme", "timezone": "Asia/Kolkata", "first_day": "2026-03-02"}
    return params | {"days": 5, "calls_per_day": 80, "seed": 11}, QUESTIONS


def tenant(params: dict, llm: dict, model: str):
    from callintel_dagster.lib.tenants.registry import Tenant

    return Tenant.model_validate(
        {
            "id": params["tenant_id"],
            "name": "Bench",
            "timezone": params["timezone"],
            "calls": {
                "provider": "synthetic",
                "calls_per_day": params["calls_per_day"],
                "seed": params["seed"],
            },
            "embeddings": {"provider": "local", "model": model},
            "llm": llm,
        }
    )


def build(params: dict, days: list[date], model: str):
    from callintel_dagster.providers.embeddings import embedder_named
    from callintel_dagster.providers.synthetic import SyntheticSource
    from callintel_dagster.resources.warehouse import Warehouse
    from callintel_dagster.search import ChunkIndex
    from callintel_dagster.stages.embeddings import embed_tenant
    from callintel_dagster.stages.sync import sync_tenant
    from callintel_dagster.stages.sync_specs import CALLS
    from callintel_dagster.stages.transcription import transcribe_tenant

    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    warehouse = Warehouse(url=f"duckdb:///{OUT}/warehouse.duckdb")
    index = ChunkIndex(str(OUT / "lancedb"))
    t = tenant(params, {"provider": "offline"}, model)
    sync_tenant(warehouse, t, days, SyntheticSource(t), CALLS, NOW)
    warehouse.write(transcribe_tenant(warehouse, t, days, None).writes())
    embedder = embedder_named(model)
    embed_tenant(warehouse, t, days, embedder, index)
    return warehouse, index, embedder


def transcripts(warehouse, tenant_id: str) -> dict[str, str]:
    """{call_id: normalised stored transcript text} of one tenant (the independent check)."""
    from callintel_dagster.search.citations import normalise

    frame = warehouse.query(
        "SELECT call_id, text FROM core.call_transcripts WHERE tenant_id = ?", [tenant_id]
    )
    return {r["call_id"]: normalise(r["text"] or "") for r in frame.to_dict("records")}


def run_asks(warehouse, index, embedder, t, questions: list[str], stored: dict) -> dict:
    from callintel_dagster.search.ask import ask
    from callintel_dagster.search.citations import normalise

    out = {"kept": 0, "dropped": 0, "independent_ok": 0, "not_found": 0, "seconds": []}
    out["shown"] = []
    for question in questions:
        started = time.perf_counter()
        answer = ask(warehouse, index, embedder, t, question, now=NOW)
        out["seconds"].append(time.perf_counter() - started)
        out["kept"] += len(answer.citations)
        out["dropped"] += answer.dropped_citations
        out["not_found"] += answer.not_found
        out["shown"].append(answer.answer)
        for c in answer.citations:
            out["independent_ok"] += normalise(c.quote) in stored.get(c.call_id, "\0")
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def report(label: str, r: dict, questions: int) -> None:
    proposed = r["kept"] + r["dropped"]
    ms = [s * 1000 for s in r["seconds"]]
    print(f"{label}")
    print(
        f"  questions {questions}, answered {questions - r['not_found']}, not found {r['not_found']}"
    )
    print(
        f"  citations proposed {proposed}, kept {r['kept']}, dropped {r['dropped']}; "
        f"proposed that verify {r['kept'] / max(proposed, 1):.1%}"
    )
    print(
        f"  kept citations verified independently (quote in core.call_transcripts): "
        f"{r['independent_ok']}/{r['kept']} = {r['independent_ok'] / max(r['kept'], 1):.1%}"
    )
    print(
        f"  latency p50 {statistics.median(ms):.0f} ms, p95 {pct(ms, 0.95):.0f} ms "
        f"(max {max(ms):.0f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=None, help="days (default: the corpus')")
    parser.add_argument("--calls-per-day", type=int, default=None)
    parser.add_argument("--latency-s", type=float, default=0.05, help="emulator latency")
    parser.add_argument("--fabricate-every", type=int, default=3)
    parser.add_argument("--model", choices=["minilm", "static"], default="minilm")
    args = parser.parse_args()
    os.environ.setdefault("LANCE_LOG", "error")
    from emulators.llm import LlmEmulator

    params, questions = corpus()
    params = dict(params)
    params["days"] = args.days or params["days"]
    params["calls_per_day"] = args.calls_per_day or params["calls_per_day"]
    first = date.fromisoformat(params["first_day"])
    days = [first + timedelta(days=i) for i in range(params["days"])]
    started = time.perf_counter()
    warehouse, index, embedder = build(params, days, args.model)
    stored = transcripts(warehouse, params["tenant_id"])
    print(
        f"corpus: {len(stored)} calls over {len(days)} days, {index.count(params['tenant_id'])} "
        f"chunks ({args.model}), built in {time.perf_counter() - started:.1f} s; "
        f"{len(questions)} questions; emulator latency {args.latency_s * 1000:.0f} ms"
    )
    llm = {
        "provider": "openai_compatible",
        "model": "llama3.1:8b",
        "requests_per_minute": 100_000,
        "max_backoff_s": 0.5,
        "prices": {"llama3.1:8b": {"input_per_mtok": 0.1, "output_per_mtok": 0.2}},
    }
    with LlmEmulator(latency_s=args.latency_s) as honest:
        t = tenant(params, llm | {"base_url": honest.base_url}, args.model)
        r = run_asks(warehouse, index, embedder, t, questions, stored)
        report("ask, LLM emulator quoting its passages:", r, len(questions))

        from callintel_dagster.search.evaluate import evaluate

        before = sum(honest.requests.values())
        t0 = time.perf_counter()
        first_run = evaluate(warehouse, t, "Did the agent offer a demo?", days[0], days[-1])
        first_s, asked = time.perf_counter() - t0, sum(honest.requests.values()) - before
        t0 = time.perf_counter()
        evaluate(warehouse, t, "Did the agent offer a demo?", days[0], days[-1])
        again_s, again = time.perf_counter() - t0, sum(honest.requests.values()) - before - asked
        print(
            f"evaluate 'Did the agent offer a demo?' over {len(first_run.calls)} calls: "
            f"{asked} requests in {first_s:.1f} s ({first_run.counts}, unverified quotes "
            f"{first_run.unverified}); re-run: {again} requests in {again_s:.2f} s"
        )
    with LlmEmulator(latency_s=args.latency_s, fabricate_every=args.fabricate_every) as liar:
        t = tenant(params, llm | {"base_url": liar.base_url}, args.model)
        r = run_asks(warehouse, index, embedder, t, questions, stored)
        every = args.fabricate_every
        report(f"ask, every {every}. quote of an answer made up:", r, len(questions))
        shown = sum(q in text for q in set(liar.fabricated) for text in r["shown"])
        print(f"  made-up quotes served {len(liar.fabricated)}, shown to the user {shown}")
    offline = tenant(params, {"provider": "offline"}, args.model)
    r = run_asks(warehouse, index, embedder, offline, questions, stored)
    report("ask, offline extractive:", r, len(questions))


if __name__ == "__main__":
    main()
