"""The whole graph for one Groq tenant-day against the LLM emulator, then `callintel ask` and
`callintel evaluate` over what it stored: every shown citation verifies against the stored
transcript, filters hold inside retrieval, and a second evaluate makes no request at all."""

import json

import pytest

from callintel_dagster.cli.main import main
from callintel_dagster.definitions import resolved_resource
from callintel_dagster.search.citations import Citation, load_turns, verify
from conftest import DAY, defs_for_tenants, run_job
from emulators.llm import LlmEmulator

TENANTS = """
tenants:
  - id: acme
    name: Acme Realty
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: 30, seed: 3}}
    embeddings: {{provider: local, model: static}}
    llm:
      provider: groq
      api_key_env: GROQ_KEY
      base_url: "{groq}"
      max_backoff_s: 0.2
      requests_per_minute: 100000
      prices:
        llama-3.3-70b-versatile: {{input_per_mtok: 0.59, output_per_mtok: 0.79}}
  - id: globex
    name: Globex Support
    timezone: America/Los_Angeles
"""


@pytest.fixture
def groq(monkeypatch):
    monkeypatch.setenv("GROQ_KEY", "gsk_test")
    with LlmEmulator(latency_s=0.01, api_key="gsk_test") as emulator:
        yield emulator


def cli_json(capsys, *argv) -> dict:
    capsys.readouterr()
    code = main([*argv, "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def test_ask_and_evaluate_over_a_run(tmp_path, monkeypatch, instance, groq, capsys):
    defs = defs_for_tenants(tmp_path, monkeypatch, TENANTS.format(groq=groq.base_url))
    run_job(defs, instance)
    warehouse = resolved_resource(defs, "warehouse")
    fct = warehouse.query("SELECT * FROM marts.fct_calls WHERE tenant_id = 'acme'")
    negative = set(fct.loc[fct["sentiment_label"] == "negative", "call_id"])

    answer = cli_json(capsys, "ask", "--tenant", "acme", "Why did customers say no?")
    assert answer["mode"] == "llm" and answer["dropped_citations"] == 0 and answer["citations"]
    turns = load_turns(warehouse, "acme", [c["call_id"] for c in answer["citations"]])
    assert all(verify(Citation(**c), turns) for c in answer["citations"])
    ask_usage = warehouse.query("SELECT * FROM core.ai_usage WHERE purpose = 'ask'")
    assert len(ask_usage) == 1 and ask_usage["cost_usd"].iloc[0] > 0

    if negative:  # the filter holds inside retrieval: only negative calls are cited
        filtered = cli_json(
            capsys, "ask", "--tenant", "acme", "price too high", "--sentiment", "negative"
        )
        assert {c["call_id"] for c in filtered["citations"]} <= negative

    argv = ("evaluate", "--tenant", "acme", "--from", str(DAY), "--to", str(DAY))
    before = sum(groq.requests.values())
    first = cli_json(capsys, *argv, "Did the agent offer a demo?")
    asked = sum(groq.requests.values()) - before
    assert asked == len(first["calls"]) > 0 and first["unverified_quotes"] == 0
    assert {c["call_id"] for c in first["calls"]} <= set(fct["call_id"])
    again = cli_json(capsys, *argv, "did the agent offer a DEMO?")  # same question, normalised
    assert sum(groq.requests.values()) - before == asked and again["reused"] == asked
    assert again["counts"] == first["counts"] and again["question_id"] == first["question_id"]
