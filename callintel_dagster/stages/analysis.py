"""One tenant's analysis work for a run: decide per call, ask the analyser, build the rows.

Per call, in order: leave it to another live run that has claimed it (stages/claims.py);
reuse the recorded outcome when lib/process_once.py says it needs no work (same transcript and
agent version, not failed, or failed `max_attempts` times unless re-driven); skip it with a
reason (no transcript, too short, guardrail); hold it back as `pending` once the run's cap is
reached; else analyse it.

The rows are written per call, not per tenant-day: the calls this run claimed, and the analyses
of calls whose transcript is gone. The rows of calls another run holds are left as they are, so
two runs over the same day each keep what the other wrote.
"""

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd

from callintel_dagster.lib.analysis import run_guardrails
from callintel_dagster.lib.analysis.rows import analysis_rows, rederive
from callintel_dagster.lib.analysis.usage import usage_row
from callintel_dagster.lib.process_once import ANALYSIS, input_hash, needs_work, next_attempt
from callintel_dagster.lib.tables import (
    AI_USAGE,
    CALL_ANALYSES,
    CALL_ANSWERS,
    CALL_OBJECTIONS,
    CALL_TRANSCRIPTS,
    LLM_CACHE,
    TRANSCRIPT_TURNS,
)
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.lib.transcripts.turns import records_by
from callintel_dagster.resources.analyzers import CallWork, Outcome
from callintel_dagster.resources.warehouse import RowUpsert, Warehouse
from callintel_dagster.stages.claims import Claimer, call_refs, gone, replace_calls

CACHE_LOOKUP_BATCH = 500
# the recorded answers of the LLM for some cache keys ({marks}: one ? per key)
CACHED_SQL = (
    f"SELECT cache_key, response_json FROM {LLM_CACHE.qualified} WHERE tenant_id = ? "
    "AND cache_key IN ({marks})"
)
COUNT_KEYS = (
    *("ok", "cached", "reused", "skipped", "pending", "failed", "requests", "retried"),
    "left_to_other_run",
)


@dataclass
class TenantAnalysis:
    rows: list[dict] = field(default_factory=list)
    answers: list[dict] = field(default_factory=list)
    objections: list[dict] = field(default_factory=list)
    cache_rows: list[dict] = field(default_factory=list)
    usage_rows: list[dict] = field(default_factory=list)  # core.ai_usage: every attempt's cost
    counts: Counter = field(default_factory=Counter)  # analysed, cached, reused, skipped, ...
    # calls whose rows this run replaces: its claimed calls and those whose transcript is gone
    replaced: list[tuple] = field(default_factory=list)
    # the calls left to other runs: run id → {day: calls}; per tenant, not merged
    left: dict[str, Counter] = field(default_factory=dict)

    def add(self, row: dict, answers: list[dict], objections: list[dict]) -> None:
        self.rows.append(row)
        self.answers += answers
        self.objections += objections

    def merge(self, other: "TenantAnalysis") -> None:
        for name in ("rows", "answers", "objections", "cache_rows", "usage_rows", "replaced"):
            getattr(self, name).extend(getattr(other, name))
        self.counts.update(other.counts)

    def writes(self) -> list:
        """One transaction: the analyses, answers and objections of the calls this run
        replaces (old rows out, new rows in), and new cache and usage rows."""

        def frame(rows, table):
            return pd.DataFrame(rows, columns=table.column_names)

        per_call = ((CALL_ANALYSES, self.rows), (CALL_ANSWERS, self.answers))
        return [
            *replace_calls(self.replaced, *per_call, (CALL_OBJECTIONS, self.objections)),
            RowUpsert(LLM_CACHE, ("tenant_id", "cache_key"), frame(self.cache_rows, LLM_CACHE)),
            RowUpsert(AI_USAGE, ("tenant_id", "usage_id"), frame(self.usage_rows, AI_USAGE)),
        ]


def analyse_tenant(
    warehouse: Warehouse,
    tenant: Tenant,
    days: list[date],
    analyzer,
    now: datetime,
    redrive: bool = False,
    claimer: Claimer | None = None,
) -> TenantAnalysis:
    """The tenant's analysis outcomes for `days`; with a `claimer`, only of the calls no other
    live run has claimed (those are counted as `left_to_other_run`, in `left`)."""
    config, slices = tenant.llm, [(tenant.id, d) for d in days]
    version, result = analyzer.agent_version, TenantAnalysis()
    stored = warehouse.read_slices(CALL_ANALYSES.qualified, slices)
    previous = _by_call(stored)
    calls = warehouse.read_slices(CALL_TRANSCRIPTS.qualified, slices).to_dict("records")
    refs = call_refs(calls)
    held = claimer.take(tenant.id, refs) if claimer else {}
    result.replaced = [(tenant.id, d, c) for d, c in refs if c not in held] + gone(stored, refs)
    turns = _turns_by_call(warehouse, slices) if len(held) < len(calls) else {}
    work: list[tuple[dict, str, CallWork]] = []
    for call in calls:
        if other := held.get(call["call_id"]):
            result.left.setdefault(other, Counter())[str(call["partition_date"])[:10]] += 1
            result.counts["left_to_other_run"] += 1
            continue
        text = call["text"] or ""
        digest, prior = input_hash(text), previous.get(call["call_id"])
        if not needs_work(prior, version, digest, config.max_attempts, redrive, ANALYSIS):
            result.add(prior, *rederive(prior, config))
            result.counts["reused"] += 1
            continue
        if skip := _skip_reason(call, text, config.min_transcript_chars):
            outcome = Outcome("skipped", reason=skip)
        elif config.max_calls_per_run and len(work) >= config.max_calls_per_run:
            reason = f"waiting: the run cap of {config.max_calls_per_run} calls was reached"
            outcome = Outcome("pending", reason=reason)
        else:
            work.append((call, digest, CallWork(call["call_id"], turns.get(call["call_id"], []))))
            continue
        result.add(*analysis_rows(call, analyzer, outcome, digest, 0, now, config))
        result.counts[outcome.status] += 1
    items = [w for _, _, w in work]
    cached = _cached(warehouse, tenant.id, set(analyzer.cache_keys(items).values()))
    outcomes = analyzer.analyse_many(items, cached)
    for call, digest, item in work:
        outcome = outcomes[item.call_id]
        attempts = next_attempt(previous.get(call["call_id"]), version, digest, ANALYSIS)
        result.add(*analysis_rows(call, analyzer, outcome, digest, attempts, now, config))
        result.counts["cached" if outcome.cache_hit else outcome.status] += 1
        if outcome.usage:
            result.counts["requests"] += outcome.usage.requests
            result.counts["retried"] += outcome.usage.retries
            if outcome.usage.requests:
                result.usage_rows.append(_usage_row(call, analyzer, outcome, now, config))
        if outcome.status == "ok" and not outcome.cache_hit and outcome.cache_key:
            result.cache_rows.append(_cache_row(tenant.id, analyzer, outcome, now))
    return result


def _usage_row(call: dict, analyzer, outcome: Outcome, now: datetime, config) -> dict:
    u = outcome.usage
    return usage_row(
        call["tenant_id"],
        call["partition_date"],
        kind="llm",
        purpose="analysis",
        provider=analyzer.provider,
        model=analyzer.model,
        now=now,
        call_id=call["call_id"],
        requests=u.requests,
        retries=u.retries,
        prompt_tokens=u.prompt_tokens,
        completion_tokens=u.completion_tokens,
        cost_usd=outcome.cost_usd,
        priced=analyzer.model in config.prices,
    )


def _by_call(frame: pd.DataFrame) -> dict[str, dict]:
    return {r["call_id"]: r for r in frame.to_dict("records")}


def _turns_by_call(warehouse: Warehouse, slices: list) -> dict[str, list[dict]]:
    turns = warehouse.read_slices(
        TRANSCRIPT_TURNS.qualified,
        slices,
        "call_id, turn_index, role, start_s, end_s, text",
        order_by="call_id, turn_index",
    )
    return records_by(turns, "call_id")


def _skip_reason(call: dict, text: str, min_chars: int) -> str | None:
    if call["transcript_status"] != "ok":
        return f"{call['transcript_status']}: {call['reason']}"
    if len(text.strip()) < min_chars:
        return "transcript_too_short"
    return run_guardrails(text)


def _cached(warehouse: Warehouse, tenant_id: str, keys: set[str]) -> dict[str, dict]:
    found, keys = {}, sorted(keys)
    for i in range(0, len(keys), CACHE_LOOKUP_BATCH):
        batch = keys[i : i + CACHE_LOOKUP_BATCH]
        marks = ", ".join("?" * len(batch))
        frame = warehouse.query(CACHED_SQL.format(marks=marks), [tenant_id, *batch])
        found |= {
            k: json.loads(v)
            for k, v in zip(frame["cache_key"], frame["response_json"], strict=True)
        }
    return found


def _cache_row(tenant_id: str, analyzer, outcome: Outcome, now: datetime) -> dict:
    return {
        "tenant_id": tenant_id,
        "cache_key": outcome.cache_key,
        "provider": analyzer.provider,
        "model": analyzer.model,
        "response_json": json.dumps(outcome.output, ensure_ascii=False),
        "prompt_tokens": outcome.usage.prompt_tokens,
        "completion_tokens": outcome.usage.completion_tokens,
        "created_at_utc": now,
    }
