"""Call analysers. A tenant picks one under `llm:`.

`offline` is rules-based and says so in its model name; LLM providers (Groq, Bedrock,
OpenAI-compatible) fill the same `CallAnalysis` schema through the same `analyse`.
"""

from dataclasses import dataclass
from typing import Protocol

import dagster as dg

from callintel_dagster.lib.analysis import (
    OFFLINE_AGENT_VERSION,
    OFFLINE_MODEL,
    CallAnalysis,
    analyse_offline,
)
from callintel_dagster.lib.registry import Tenant


@dataclass
class Outcome:
    status: str  # ok | skipped | failed
    attempts: int
    analysis: CallAnalysis | None = None
    reason: str | None = None


class Analyzer(Protocol):
    provider: str
    model: str
    agent_version: str

    def analyse(self, turns: list[dict]) -> Outcome: ...


class OfflineAnalyzer:
    provider = "offline"
    model = OFFLINE_MODEL

    def __init__(self, tenant: Tenant):
        self._config = tenant.llm
        # The checklist is part of what the analysis means: a changed checklist re-analyses.
        self.agent_version = f"{OFFLINE_AGENT_VERSION}+checklist:{_digest(self._config)}"

    def analyse(self, turns: list[dict]) -> Outcome:
        try:
            return Outcome("ok", 1, analyse_offline(turns, list(self._config.checklist)))
        except ValueError as exc:  # pydantic ValidationError included: rules produced bad output
            return Outcome("failed", 1, reason=f"invalid analysis: {exc}"[:500])


def _digest(config) -> str:
    import hashlib

    payload = config.model_dump_json(include={"checklist"}).encode()
    return hashlib.sha256(payload).hexdigest()[:8]


class Analyzers(dg.ConfigurableResource):
    """Builds the analyser a tenant configured under `llm:`."""

    def for_tenant(self, tenant: Tenant) -> Analyzer:
        match tenant.llm.provider:
            case "offline":
                return OfflineAnalyzer(tenant)
        raise ValueError(f"tenant {tenant.id}: unknown llm provider {tenant.llm.provider!r}")
