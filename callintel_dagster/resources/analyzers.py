"""Call analysers. A tenant picks one under `llm:`: `offline` rules, or an LLM provider
(`groq`, `bedrock`, `openai_compatible`) running the tenant's agents.

Both return, per call, an `Outcome` whose `output` is the agents' JSON (the same shape either
way), so everything downstream reads one format.
"""

import hashlib
from dataclasses import dataclass
from typing import Protocol

import dagster as dg

from callintel_dagster.lib.agents import AgentSpec
from callintel_dagster.lib.analysis import OFFLINE_AGENT_VERSION, OFFLINE_MODEL
from callintel_dagster.lib.analysis.cost import token_cost
from callintel_dagster.lib.analysis.offline_output import offline_output
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.llm import build_chat_client
from callintel_dagster.providers.llm.json_asker import JsonAsker, Usage
from callintel_dagster.providers.registry import is_local
from callintel_dagster.resources.pool_slots import run_workers


@dataclass
class CallWork:
    call_id: str
    turns: list[dict]


@dataclass
class Outcome:
    status: str  # ok | skipped | failed | pending
    output: dict | None = None
    reason: str | None = None
    cache_key: str | None = None
    cache_hit: bool = False
    usage: Usage | None = None
    cost_usd: float = 0.0


class Analyzer(Protocol):
    provider: str
    model: str
    agent_version: str

    def analyse_many(self, calls: list[CallWork], cached: dict[str, dict]) -> dict[str, Outcome]:
        """`cached`: earlier answers by cache key (see `cache_keys`)."""

    def cache_keys(self, calls: list[CallWork]) -> dict[str, str]: ...


class OfflineAnalyzer:
    provider = "offline"
    model = OFFLINE_MODEL

    def __init__(self, tenant: Tenant):
        self._config = tenant.llm
        # The checklist is part of what the analysis means: a changed checklist re-analyses.
        digest = hashlib.sha256(
            self._config.model_dump_json(include={"checklist"}).encode()
        ).hexdigest()[:8]
        self.agent_version = f"{OFFLINE_AGENT_VERSION}+checklist:{digest}"

    def cache_keys(self, calls: list[CallWork]) -> dict[str, str]:
        return {}  # rules cost nothing: no cache

    def analyse_many(self, calls: list[CallWork], cached: dict[str, dict]) -> dict[str, Outcome]:
        out = {}
        for call in calls:
            try:
                out[call.call_id] = Outcome("ok", offline_output(call.turns, self._config))
            except ValueError as exc:  # pydantic ValidationError included: rules made bad output
                out[call.call_id] = Outcome("failed", reason=f"invalid analysis: {exc}"[:500])
        return out


class LlmAnalyzer:
    """The tenant's agents in one request per call, `max_concurrency` requests at a time."""

    def __init__(self, tenant: Tenant, slots=None):
        self._settings = tenant.llm
        client = build_chat_client(tenant.id, tenant.llm)
        self.provider, self.model = client.provider, client.model
        self._spec = AgentSpec(tenant.name, tenant.llm, client.model)
        self._asker = JsonAsker(tenant.id, client, tenant.llm)
        self._slots = slots
        self.agent_version = self._spec.version

    def cache_keys(self, calls: list[CallWork]) -> dict[str, str]:
        return {c.call_id: self._spec.cache_key(self._spec.user(c.turns)) for c in calls}

    def analyse_many(self, calls: list[CallWork], cached: dict[str, dict]) -> dict[str, Outcome]:
        keys = self.cache_keys(calls)
        out: dict[str, Outcome] = {}
        first_by_key: dict[str, CallWork] = {}
        for call in calls:
            key = keys[call.call_id]
            if key in cached:
                out[call.call_id] = Outcome("ok", cached[key], cache_key=key, cache_hit=True)
            else:
                first_by_key.setdefault(key, call)  # identical scripted calls: one request
        answered = self._run_concurrently(list(first_by_key.values()))
        for call in calls:
            if call.call_id in out:
                continue
            key = keys[call.call_id]
            first = answered[first_by_key[key].call_id]
            if first_by_key[key] is call:
                out[call.call_id] = first
            else:  # a duplicate of a call answered in this run
                out[call.call_id] = Outcome(
                    first.status, first.output, first.reason, key, cache_hit=first.status == "ok"
                )
        return out

    def _one(self, call: CallWork) -> Outcome:
        user = self._spec.user(call.turns)
        spec = self._spec
        answer = self._asker.ask(spec.system, user, spec.output_model, spec.json_schema, "call")
        u = answer.usage
        cost = token_cost(self._settings.prices, self.model, u.prompt_tokens, u.completion_tokens)
        status = "ok" if answer.output is not None else "failed"
        key = spec.cache_key(user)
        return Outcome(status, answer.output, answer.reason, key, usage=u, cost_usd=cost)

    def _run_concurrently(self, calls: list[CallWork]) -> dict[str, Outcome]:
        limit = self._settings.max_concurrency
        return run_workers(
            calls, lambda c: c.call_id, self._one, limit, self._slots, f"llm-{self.provider}"
        )


def agent_version(tenant: Tenant) -> str:
    """The version a tenant's analyses are made with now (without contacting the provider)."""
    if is_local("llm", tenant.id, tenant.llm.provider):
        return OfflineAnalyzer(tenant).agent_version
    return AgentSpec(tenant.name, tenant.llm, tenant.llm.model).version


class Analyzers(dg.ConfigurableResource):
    """Builds the analyser a tenant configured under `llm:`."""

    def for_tenant(self, tenant: Tenant, slots=None) -> Analyzer:
        if is_local("llm", tenant.id, tenant.llm.provider):  # `offline`: the rules, no LLM
            return OfflineAnalyzer(tenant)
        return LlmAnalyzer(tenant, slots)
