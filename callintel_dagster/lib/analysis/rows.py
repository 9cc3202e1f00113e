"""An analysis outcome → one core.call_analyses row, its answers and its objections."""

from datetime import datetime

from callintel_dagster.lib.agents import insights


def analysis_rows(call: dict, analyzer, outcome, digest: str, attempts: int, now: datetime, config):
    """(row, answer rows, objection rows) for one call."""
    key = {
        "tenant_id": call["tenant_id"],
        "partition_date": call["partition_date"],
        "call_id": call["call_id"],
    }
    usage = outcome.usage
    row = key | {
        "analysis_status": outcome.status,
        "reason": outcome.reason,
        "attempts": attempts,
        "provider": analyzer.provider,
        "model": analyzer.model,
        "agent_version": analyzer.agent_version,
        "input_hash": digest,
        "analysed_at_utc": now,
        "cache_hit": outcome.cache_hit,
        "requests": usage.requests if usage else 0,
        "retries": usage.retries if usage else 0,
        "prompt_tokens": usage.prompt_tokens if usage else 0,
        "completion_tokens": usage.completion_tokens if usage else 0,
        "cost_usd": outcome.cost_usd,
    }
    if outcome.output is None:
        return row, [], []
    found = insights(outcome.output, config)
    return row | found.columns, *derived(key, found)


def derived(key: dict, found) -> tuple[list[dict], list[dict]]:
    answers = [key | a for a in found.answers]
    objections = [key | {"objection": o} for o in found.objections]
    return answers, objections


def rederive(row: dict, config) -> tuple[list[dict], list[dict]]:
    """Answers and objections of a reused row, from its stored JSON."""
    import json

    if row.get("analysis_status") != "ok" or not row.get("analysis_json"):
        return [], []
    key = {k: row[k] for k in ("tenant_id", "partition_date", "call_id")}
    return derived(key, insights(json.loads(row["analysis_json"]), config))
