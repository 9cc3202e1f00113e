"""Benchmark: LLM analysis throughput of each provider client against its emulator on 127.0.0.1.

Each provider analyses the same set of unique synthetic calls (no cache hits) at the emulator's
default latency, first one request at a time (the baseline, what the seeds do) and then with
`max_concurrency` workers, in the same run. The ceiling is `max_concurrency / latency` requests
per second; the figure that matters is the share of it reached.

    .venv/bin/python -m bench.analysis [--calls 160] [--concurrency 16] [--latency 0.2]
"""

import argparse
import os
import time
from datetime import date

from callintel_dagster.lib.synthetic import generate_day
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.resources.analyzers import CallWork, LlmAnalyzer
from emulators.bedrock import BedrockEmulator
from emulators.llm import LlmEmulator

DAY = date(2026, 11, 18)


def calls(n: int, seed: int) -> list[CallWork]:
    day = generate_day("bench", DAY, "Asia/Kolkata", calls_per_day=n, leads_per_day=0, seed=seed)
    work = []
    for i, c in enumerate(day.calls):
        turns = [dict(t) for t in c["turns"]] or [{"role": "customer", "text": "Hello?"}]
        turns[0]["text"] = f"[{i}] " + (turns[0].get("text") or "")  # unique: no cache hits
        work.append(CallWork(c["call_id"], turns))
    return work


def llm_config(provider: str, url: str, concurrency: int) -> dict:
    common = {"max_concurrency": concurrency, "requests_per_minute": 100_000}
    if provider == "groq":
        return {"provider": "groq", "base_url": url, "api_key_env": "BENCH_GROQ_KEY", **common}
    if provider == "openai_compatible":
        return {"provider": "openai_compatible", "base_url": url, "model": "llama3.1", **common}
    return {
        "provider": "bedrock",
        "endpoint_url": url,
        "access_key_id_env": "BENCH_AWS_ID",
        "secret_access_key_env": "BENCH_AWS_SECRET",
        **common,
    }


def measure(provider: str, url: str, work: list[CallWork], concurrency: int) -> float:
    tenant = Tenant.model_validate(
        {
            "id": "bench",
            "name": "Bench",
            "timezone": "Asia/Kolkata",
            "llm": llm_config(provider, url, concurrency),
        }
    )
    analyzer = LlmAnalyzer(tenant)
    started = time.perf_counter()
    out = analyzer.analyse_many(work, cached={})
    elapsed = time.perf_counter() - started
    failed = [c for c, o in out.items() if o.status != "ok"]
    if failed:
        raise SystemExit(f"{provider}: {len(failed)} calls failed, e.g. {out[failed[0]].reason}")
    return len(work) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=160)
    parser.add_argument("--baseline-calls", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.2, help="emulator default: 0.2 s")
    args = parser.parse_args()
    os.environ.update(BENCH_GROQ_KEY="k", BENCH_AWS_ID="AKIDBENCH", BENCH_AWS_SECRET="s")
    work = calls(args.calls, seed=11)
    ceiling = args.concurrency / args.latency
    print(
        f"analysis throughput, {args.calls} unique calls, latency {args.latency:.2f} s, "
        f"{args.concurrency} workers (ceiling {ceiling:.1f} calls/s)"
    )
    print(
        f"{'provider':<18}{'1 at a time':>14}{'concurrent':>14}{'speed-up':>10}{'of ceiling':>12}"
    )
    for provider, emulator_cls in (
        ("groq", LlmEmulator),
        ("openai_compatible", LlmEmulator),
        ("bedrock", BedrockEmulator),
    ):
        with emulator_cls(latency_s=args.latency) as emu:
            base = measure(provider, emu.base_url, work[: args.baseline_calls], 1)
            fast = measure(provider, emu.base_url, work, args.concurrency)
        print(
            f"{provider:<18}{base:>10.2f}/s{fast:>12.2f}/s{fast / base:>9.1f}x"
            f"{100 * fast / ceiling:>11.1f}%"
        )


if __name__ == "__main__":
    main()
