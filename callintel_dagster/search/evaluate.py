"""`evaluate`: one yes/no question asked of EVERY call of a tenant in a range of days.

Each call's own stored transcript (core.transcript_turns, this tenant only) is the input, not
the search index. With an LLM (the tenant's `llm:` provider, through the JsonAsker) the answer
is strict JSON (yes | no | unknown, a quote and its moment); a yes or no whose quote does not
verify verbatim in the call (search/citations.py) becomes "unknown" with the reason. With the
`offline` provider the rules below answer.

Offline rules (an honest heuristic, no language model): the question's content words (stop words
such as "did", "the", "agent" dropped, light suffix stemming: offered ~ offer) are looked for in
each turn, only the agent's turns when the question names the agent and only the customer's when
it names the customer. A word also matches its few listed synonyms (`SYNONYMS`: offer ~ book ~
schedule ~ propose ~ arrange, price ~ cost ~ expensive, ...), since a question's verb is rarely
the one said on the call. A turn holding all of them (at least two thirds when the question has
more than three) answers "yes", quoting that turn; otherwise "unknown" with the words it missed.
The rules never answer "no": the absence of words is not evidence that something did not happen.

Every answer is stored in core.evaluations keyed by (tenant, call, question id). A re-run reuses
rows whose transcript hash, provider, model and agent version match: no request, no cost.
"""

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pandas as pd

from callintel_dagster.lib.analysis.usage import usage_row
from callintel_dagster.lib.tables import AI_USAGE, EVALUATIONS, TRANSCRIPT_TURNS
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.registry import is_local
from callintel_dagster.resources.pool_slots import run_workers
from callintel_dagster.resources.warehouse import RowUpsert, Warehouse
from callintel_dagster.search.citations import normalise, number
from callintel_dagster.search.judges import RULES_MODEL, LlmJudge, RulesJudge


class NoTranscripts(ValueError):
    """No call of the tenant has transcript turns in the range: nothing to evaluate."""


@dataclass
class CallAnswer:
    call_id: str
    day: date
    answer: str  # yes | no | unknown
    quote: str
    start_s: float | None
    reason: str | None
    reused: bool = False

    def to_json(self) -> dict:
        return {
            "call_id": self.call_id,
            "day": self.day.isoformat(),
            "answer": self.answer,
            "quote": self.quote,
            "start_s": self.start_s,
            "reason": self.reason,
            "reused": self.reused,
        }


@dataclass
class Evaluation:
    question_id: str
    counts: dict[str, int]
    calls: list[CallAnswer]
    cost_usd: float = 0.0
    reused: int = 0  # answers taken from core.evaluations
    requests: int = 0
    provider: str = "offline"
    model: str = RULES_MODEL
    mode: str = "rules"  # rules | llm
    unverified: int = 0  # LLM answers whose quote failed the check (turned "unknown")

    def to_json(self) -> dict:
        return {
            "question_id": self.question_id,
            "counts": self.counts,
            "calls": [c.to_json() for c in self.calls],
            "cost_usd": round(self.cost_usd, 8),
            "reused": self.reused,
            "requests": self.requests,
            "mode": self.mode,
            "provider": self.provider,
            "model": self.model,
            "unverified_quotes": self.unverified,
        }


def question_id(question: str) -> str:
    """A stable id for a question: the same words, spacing and case aside, give the same id."""
    return hashlib.sha256(normalise(question).encode("utf-8")).hexdigest()[:16]


def evaluate(
    warehouse: Warehouse,
    tenant: Tenant,
    question: str,
    day_from: date,
    day_to: date,
    progress: Callable[[int, int, str], None] | None = None,
    now: datetime | None = None,
) -> Evaluation:
    """Ask `question` of every call of `tenant` between the two local days (inclusive).
    `progress(done, total, call_id)` is called once per call, reused ones included."""
    if not question.strip():
        raise ValueError("the question is empty")
    if day_from > day_to:
        raise ValueError(f"--from {day_from} is after --to {day_to}")
    now = now or datetime.now(UTC).replace(tzinfo=None)
    calls = _calls_in_range(warehouse, tenant.id, day_from, day_to)
    if not calls:
        raise NoTranscripts(
            f"tenant {tenant.id!r} has no call transcripts from {day_from} to {day_to}"
        )
    qid = question_id(question)
    judge = RulesJudge(question) if is_local("llm", tenant.id, tenant.llm.provider) else None
    judge = judge or LlmJudge(tenant, question)
    stored = _stored(warehouse, tenant.id, qid, list(calls))
    done_count, lock = [0], threading.Lock()

    def tick(call_id: str) -> None:
        if progress is not None:
            with lock:
                done_count[0] += 1
                progress(done_count[0], len(calls), call_id)

    answers: dict[str, CallAnswer] = {}
    todo = []
    for call_id, call in calls.items():
        row = stored.get(call_id)
        if row is not None and _reusable(row, call["input_hash"], judge):
            answers[call_id] = CallAnswer(
                call_id, call["day"], row["answer"], _text(row["quote"]) or "",
                number(row["start_s"]), _text(row["reason"]), reused=True,
            )  # fmt: skip
            tick(call_id)
        else:
            todo.append(call_id)

    def work(call_id: str) -> dict:
        try:
            return judge.judge(call_id, calls[call_id]["turns"])
        finally:
            tick(call_id)

    results = run_workers(todo, lambda c: c, work, judge.concurrency, None, "evaluate")
    rows, usage = [], []
    out = Evaluation(qid, {}, [], provider=judge.provider, model=judge.model, mode=judge.mode)
    for call_id in todo:
        result, call = results[call_id], calls[call_id]
        answers[call_id] = CallAnswer(
            call_id, call["day"], result["answer"], result["quote"], result["start_s"],
            result["reason"],
        )  # fmt: skip
        rows.append(_row(tenant.id, call_id, call, qid, question, judge, result, now))
        out.cost_usd += result["cost_usd"]
        out.requests += result["requests"]
        out.unverified += result["unverified"]
        if result["requests"]:
            usage.append(_usage(tenant.id, call_id, call["day"], judge, result, now))
    writes = [RowUpsert(EVALUATIONS, ("tenant_id", "call_id", "question_id"), pd.DataFrame(rows))]
    if usage:
        writes.append(RowUpsert(AI_USAGE, ("tenant_id", "usage_id"), pd.DataFrame(usage)))
    if rows:
        warehouse.write(writes)
    out.calls = [answers[c] for c in calls]
    out.reused = sum(a.reused for a in out.calls)
    out.counts = {k: sum(a.answer == k for a in out.calls) for k in ("yes", "no", "unknown")}
    return out


def _calls_in_range(warehouse: Warehouse, tenant_id: str, day_from: date, day_to: date) -> dict:
    """{call_id: {"day", "turns", "input_hash"}} for the tenant's calls with turns, in order."""
    frame = warehouse.query(
        "SELECT partition_date, call_id, turn_index, role, start_s, end_s, text "
        f"FROM {TRANSCRIPT_TURNS.qualified} WHERE tenant_id = ? "
        "AND partition_date BETWEEN ? AND ? ORDER BY partition_date, call_id, turn_index",
        [tenant_id, day_from, day_to],
    )
    calls: dict[str, dict] = {}
    for row in frame.to_dict("records"):
        call = calls.setdefault(row["call_id"], {"day": _day(row["partition_date"]), "turns": []})
        call["turns"].append(row)
    for call in calls.values():
        shape = [
            [t["role"], number(t["start_s"]), number(t["end_s"]), t["text"]] for t in call["turns"]
        ]
        call["input_hash"] = hashlib.sha256(json.dumps(shape).encode()).hexdigest()
    return calls


def _stored(warehouse: Warehouse, tenant_id: str, qid: str, call_ids: list[str]) -> dict:
    if not warehouse.table_exists(EVALUATIONS.qualified):
        return {}
    frame = warehouse.query(
        f"SELECT * FROM {EVALUATIONS.qualified} WHERE tenant_id = ? AND question_id = ?",
        [tenant_id, qid],
    )
    wanted = set(call_ids)
    return {r["call_id"]: r for r in frame.to_dict("records") if r["call_id"] in wanted}


def _reusable(row: dict, input_hash: str, judge) -> bool:
    return (
        row["status"] == "ok"
        and row["input_hash"] == input_hash
        and row["provider"] == judge.provider
        and row["model"] == judge.model
        and row["agent_version"] == judge.version
    )


def _row(tenant_id, call_id, call, qid, question, judge, result, now) -> dict:
    return {
        "tenant_id": tenant_id,
        "partition_date": call["day"],
        "call_id": call_id,
        "question_id": qid,
        "question": question,
        "answer": result["answer"],
        "quote": result["quote"],
        "start_s": result["start_s"],
        "reason": result["reason"],
        "status": result["status"],
        "provider": judge.provider,
        "model": judge.model,
        "agent_version": judge.version,
        "input_hash": call["input_hash"],
        "requests": result["requests"],
        "prompt_tokens": result["prompt_tokens"],
        "completion_tokens": result["completion_tokens"],
        "cost_usd": result["cost_usd"],
        "evaluated_at_utc": now,
    }


def _usage(tenant_id: str, call_id: str, day: date, judge, result: dict, now: datetime) -> dict:
    return usage_row(
        tenant_id,
        day,
        kind="llm",
        purpose="evaluate",
        provider=judge.provider,
        model=judge.model,
        now=now,
        call_id=call_id,
        requests=result["requests"],
        retries=result["retries"],
        prompt_tokens=result["prompt_tokens"],
        completion_tokens=result["completion_tokens"],
        cost_usd=result["cost_usd"],
        priced=result["priced"],
    )


def _text(value) -> str | None:
    return value if isinstance(value, str) else None  # None / NaN from a DataFrame: no text


def _day(value) -> date:
    return (
        value
        if isinstance(value, date) and not isinstance(value, datetime)
        else pd.Timestamp(value).date()
    )
