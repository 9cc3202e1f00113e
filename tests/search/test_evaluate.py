"""`evaluate` on a temporary DuckDB of synthetic calls: the offline rules (yes with a verified
quote, never "no"), the LLM through the emulator (quotes checked verbatim, a made-up one turns
the answer "unknown"), answers stored per (tenant, call, question), and a re-run that costs
nothing: zero requests to the emulator."""

from datetime import date, datetime

import pytest

from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.synthetic import SyntheticSource
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.search.citations import Citation, load_turns, verify
from callintel_dagster.search.evaluate import NoTranscripts, evaluate, question_id
from callintel_dagster.stages.sync import sync_tenant
from callintel_dagster.stages.sync_specs import CALLS
from callintel_dagster.stages.transcription import transcribe_tenant
from emulators.llm import OPENAI_PATH, LlmEmulator

DAY = date(2026, 11, 18)
NOW = datetime(2026, 11, 20, 12, 0)
QUESTION = "Did the agent offer a demo?"


def tenant(tenant_id: str = "acme", **llm) -> Tenant:
    return Tenant.model_validate(
        {
            "id": tenant_id,
            "name": "Acme",
            "timezone": "Asia/Kolkata",
            "calls": {"provider": "synthetic", "calls_per_day": 24, "seed": 3},
            "llm": llm or {"provider": "offline"},
        }
    )


def llm_tenant(base_url: str, model: str = "llama3.1:8b", **extra) -> Tenant:
    return tenant(
        provider="openai_compatible",
        base_url=base_url,
        model=model,
        max_backoff_s=0.5,
        requests_per_minute=100_000,
        prices={"llama3.1:8b": {"input_per_mtok": 0.1, "output_per_mtok": 0.2}},
        **extra,
    )


@pytest.fixture
def warehouse(tmp_path):
    warehouse = Warehouse(url=f"duckdb:///{tmp_path}/w.duckdb")
    t = tenant()
    sync_tenant(warehouse, t, [DAY], SyntheticSource(t), CALLS, NOW)
    warehouse.write(transcribe_tenant(warehouse, t, [DAY], None).writes())
    return warehouse


@pytest.fixture
def emulator():
    with LlmEmulator(latency_s=0.0) as emu:
        yield emu


def test_offline_rules_say_yes_with_a_verified_quote_and_never_no(warehouse):
    progress = []
    out = evaluate(warehouse, tenant(), QUESTION, DAY, DAY, lambda *a: progress.append(a))
    n = len(out.calls)
    assert n > 10 and [p[0] for p in progress] == list(range(1, n + 1))
    assert out.counts["no"] == 0 and out.counts["yes"] > 0 and out.counts["unknown"] > 0
    assert sum(out.counts.values()) == n and out.mode == "rules" and out.cost_usd == 0
    turns = load_turns(warehouse, "acme", [c.call_id for c in out.calls])
    for call in out.calls:
        if call.answer == "yes":
            assert "demo" in call.quote.lower()
            assert verify(Citation(call.call_id, call.start_s, call.quote), turns)
            # the rules only read the agent's turns when the question names the agent
            said = {t["text"]: t["role"] for t in turns[call.call_id]}
            assert said[call.quote] == "agent"
        else:
            assert call.quote == "" and call.reason.startswith("no_match")


def test_answers_are_stored_per_tenant_call_and_question(warehouse):
    out = evaluate(warehouse, tenant(), QUESTION, DAY, DAY, now=NOW)
    rows = warehouse.query("SELECT * FROM core.evaluations")
    assert len(rows) == len(out.calls)
    assert set(rows["question_id"]) == {question_id(QUESTION)}
    assert question_id("  did the AGENT offer a   demo? ") == question_id(QUESTION)
    again = evaluate(warehouse, tenant(), QUESTION, DAY, DAY)
    assert again.reused == len(out.calls) and again.counts == out.counts
    evaluate(warehouse, tenant(), "Did the customer mention a budget?", DAY, DAY)
    assert len(warehouse.query("SELECT * FROM core.evaluations")) == 2 * len(out.calls)


def test_the_llm_answers_with_verified_quotes_and_a_rerun_costs_nothing(warehouse, emulator):
    t = llm_tenant(emulator.base_url, max_concurrency=3)
    out = evaluate(warehouse, t, QUESTION, DAY, DAY, now=NOW)
    n = len(out.calls)
    assert out.mode == "llm" and out.requests == n == sum(emulator.requests.values())
    assert out.unverified == 0 and out.cost_usd > 0 and out.reused == 0
    assert out.counts["yes"] + out.counts["no"] > 0
    turns = load_turns(warehouse, "acme", [c.call_id for c in out.calls])
    for call in out.calls:
        if call.answer in ("yes", "no"):
            assert verify(Citation(call.call_id, call.start_s, call.quote), turns)
    usage = warehouse.query("SELECT * FROM core.ai_usage WHERE purpose = 'evaluate'")
    assert len(usage) == n and abs(usage["cost_usd"].sum() - out.cost_usd) < 1e-9

    again = evaluate(warehouse, t, QUESTION, DAY, DAY)
    assert sum(emulator.requests.values()) == n  # not one more request
    assert again.reused == n and again.cost_usd == 0 and again.counts == out.counts
    assert [c.to_json() | {"reused": True} for c in out.calls] == [c.to_json() for c in again.calls]
    # another model is another answer: asked again
    evaluate(warehouse, llm_tenant(emulator.base_url, "llama3.1:70b"), QUESTION, DAY, DAY)
    assert sum(emulator.requests.values()) == 2 * n


def test_a_made_up_quote_turns_the_answer_unknown(warehouse):
    with LlmEmulator(latency_s=0.0, fabricate_every=1) as liar:
        out = evaluate(warehouse, llm_tenant(liar.base_url), QUESTION, DAY, DAY)
        assert liar.fabricated  # the model did make quotes up
    answered = [c for c in out.calls if c.reason and c.reason.startswith("unverified_quote")]
    assert answered and out.unverified == len(answered)
    assert out.counts["yes"] == out.counts["no"] == 0
    assert all(c.answer == "unknown" and c.quote == "" for c in out.calls)
    assert {c.reason for c in answered} == {"unverified_quote: quote_not_in_call"}


def test_a_failed_request_is_unknown_with_the_reason_and_asked_again_next_time(warehouse, emulator):
    emulator.inject(OPENAI_PATH, *[{"reply": "not_json"}] * 2)  # the answer and its repair
    t = llm_tenant(emulator.base_url, max_concurrency=1)
    out = evaluate(warehouse, t, QUESTION, DAY, DAY)
    failed = [c for c in out.calls if c.reason == "llm_failed: invalid_output"]
    assert len(failed) == 1 and failed[0].answer == "unknown"
    before = sum(emulator.requests.values())
    evaluate(warehouse, t, QUESTION, DAY, DAY)
    assert sum(emulator.requests.values()) == before + 1  # only the failed call, again


def test_another_tenants_calls_are_never_evaluated(warehouse):
    with pytest.raises(NoTranscripts, match="'globex'"):
        evaluate(warehouse, tenant("globex"), QUESTION, DAY, DAY)
    with pytest.raises(NoTranscripts):
        evaluate(warehouse, tenant(), QUESTION, date(2026, 11, 1), date(2026, 11, 2))
