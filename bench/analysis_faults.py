"""Show it: a tenant on each LLM provider analyses a day through Dagster while its emulator
injects faults, then the same day runs again; prints the counts of each run.

Faults per provider and run: two 429s (Retry-After where the provider sends one), a 503, a
timeout longer than the client waits, a reply that is not JSON (repaired by the second
request) and a reply missing required fields twice (the repair fails too: recorded as failed,
retried on the next run). A run analyses at most 20 calls (`max_calls_per_run`): the rest wait
as pending for the next run. Unanswered calls are skipped with their reason. (Cache hits need
repeated transcripts, which the synthetic source does not make: `make demo-emulated` shows them
on the Bolna tenant, whose scripted calls repeat.)

    .venv/bin/python -m bench.analysis_faults [--calls 30]
"""

import argparse
import os
import tempfile
from pathlib import Path

import dagster as dg

from callintel_dagster.definitions import build_defs
from callintel_dagster.env import current_env
from callintel_dagster.partitions import tenants_partitions
from emulators.bedrock import CONVERSE, BedrockEmulator
from emulators.llm import GROQ_PATH, OPENAI_PATH, LlmEmulator

DAY = "2026-11-18"
COMMON = "max_backoff_s: 1.0, timeout_s: 2.0, max_concurrency: 4, max_calls_per_run: 20"
TENANTS = """
tenants:
  - id: groq_co
    name: Groq Co
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: {calls}, seed: 3}}
    llm: {{provider: groq, api_key_env: BENCH_GROQ_KEY, base_url: "{groq}", {common}}}
  - id: ollama_co
    name: Ollama Co
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: {calls}, seed: 4}}
    llm: {{provider: openai_compatible, base_url: "{openai}", model: "llama3.1:8b", {common}}}
  - id: bedrock_co
    name: Bedrock Co
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: {calls}, seed: 5}}
    llm: {{provider: bedrock, endpoint_url: "{bedrock}", access_key_id_env: BENCH_AWS_ID,
           secret_access_key_env: BENCH_AWS_SECRET, {common}}}
"""
FAULTS = (
    {"status": 429, "retry_after": 0.2},
    {"status": 429, "retry_after": 0.2},
    {"status": 503},
    {"timeout": 3},
    {"reply": "not_json"},
    {"reply": "missing_fields"},
    {"reply": "missing_fields"},
)
COUNTS = ("ok", "cached", "reused", "skipped", "pending", "failed", "requests", "retried")


def run(defs: dg.Definitions, instance: dg.DagsterInstance, tenant: str) -> dict:
    job = defs.resolve_job_def("analysis_job")
    result = job.execute_in_process(instance=instance, partition_key=f"{DAY}|{tenant}")
    mat = [
        m
        for m in result.asset_materializations_for_node("call_analyses")
        if m.asset_key == dg.AssetKey("call_analyses")
    ][-1]
    return {k: mat.metadata[k].value for k in COUNTS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=30)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="callintel-bench-"))
    os.environ.update(
        CALLINTEL_HOME=str(home),
        BENCH_GROQ_KEY="k",
        BENCH_AWS_ID="AKIDBENCH",
        BENCH_AWS_SECRET="s",
    )
    with (
        LlmEmulator() as groq,
        LlmEmulator() as openai,
        BedrockEmulator() as bedrock,
        dg.instance_for_test() as instance,
    ):
        tenants = home / "tenants.yaml"
        tenants.write_text(
            TENANTS.format(
                calls=args.calls,
                common=COMMON,
                groq=groq.base_url,
                openai=openai.base_url,
                bedrock=bedrock.base_url,
            )
        )
        os.environ["CALLINTEL_TENANTS"] = str(tenants)
        selection = dg.AssetSelection.assets("call_analyses").upstream()
        defs = dg.Definitions.merge(
            build_defs(current_env()),
            dg.Definitions(jobs=[dg.define_asset_job("analysis_job", selection=selection)]),
        )
        instance.add_dynamic_partitions(
            tenants_partitions.name, ["groq_co", "ollama_co", "bedrock_co"]
        )
        print(f"{args.calls} calls per tenant on {DAY}; faults injected into the first run")
        print(f"{'tenant':<12}{'run':<7}" + "".join(f"{k:>10}" for k in COUNTS))
        for tenant, emulator, route in (
            ("groq_co", groq, GROQ_PATH),
            ("ollama_co", openai, OPENAI_PATH),
            ("bedrock_co", bedrock, CONVERSE),
        ):
            emulator.inject(route, *FAULTS)
            for label in ("faults", "again"):
                counts = run(defs, instance, tenant)
                print(f"{tenant:<12}{label:<7}" + "".join(f"{counts[k]:>10}" for k in COUNTS))


if __name__ == "__main__":
    main()
