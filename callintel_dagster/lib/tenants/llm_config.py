"""What a tenant can set under `llm:` in tenants.yaml: the provider, the agents and the guardrails.

Every provider shares the agent and guardrail settings (`LlmSettings`); the provider-specific ones
are the model, where to reach it and the NAME of the environment variable holding the key.
Example (seed 000's extra fields and a question for every call):

    llm:
      provider: groq
      api_key_env: GROQ_API_KEY
      max_calls_per_run: 10
      fields: [{name: Budget, description: the budget the customer named}]
      questions: [{id: demo_offered, text: Did the agent offer a demo?, kind: yes_no}]
"""

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from callintel_dagster.lib.analysis.checklist import DEFAULT_CHECKLIST, ChecklistItem
from callintel_dagster.lib.strict_model import StrictConfig
from callintel_dagster.lib.tenants.source_configs import SecretName

AgentName = Literal[
    "summary",
    "sentiment",
    "bant",
    "quality",
    "objections",
    "contact_tag",
    "lead_score",
    "questions",
    "fields",
]
ALL_AGENTS: tuple[str, ...] = AgentName.__args__  # type: ignore[attr-defined]


class Question(StrictConfig):
    """A question asked of every call; the answer comes with the quote that supports it."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,40}$")
    text: str = Field(min_length=3, max_length=300)
    kind: Literal["yes_no", "short"] = "yes_no"


class CustomField(StrictConfig):
    """An extra value to extract from each call (seed 000: "Budget", "Special requests")."""

    name: str = Field(min_length=1, max_length=60)
    description: str = Field("", max_length=300)
    kind: Literal["text", "number", "yes_no"] = "text"

    @field_validator("name")
    @classmethod
    def _key_safe(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9 _-]*", v):
            raise ValueError("letters, digits, spaces, '_' and '-' only, starting with a letter")
        return v


class Price(StrictConfig):
    """US dollars per million tokens."""

    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)


class LlmSettings(StrictConfig):
    agents: tuple[AgentName, ...] = tuple(a for a in ALL_AGENTS if a not in ("questions", "fields"))
    questions: tuple[Question, ...] = ()
    fields: tuple[CustomField, ...] = ()
    checklist: tuple[ChecklistItem, ...] = tuple(DEFAULT_CHECKLIST)
    # guardrails
    min_transcript_chars: int = Field(15, ge=0)
    max_calls_per_run: int | None = Field(None, ge=1)  # the rest wait, as status "pending"
    max_attempts: int = Field(3, ge=1, le=20)  # per call and agent version, across runs
    # throughput and retries (per tenant; the Dagster pool `llm_<provider>` caps it across runs)
    max_concurrency: int = Field(4, ge=1, le=64)
    requests_per_minute: int = Field(60, ge=1)
    max_retries: int = Field(4, ge=0, le=10)  # per request, on 429 / 5xx / timeouts
    max_backoff_s: float = Field(60.0, gt=0)
    timeout_s: float = Field(60.0, gt=0)
    max_output_tokens: int = Field(1500, ge=64)
    # the per-model price table; models not listed cost 0 and are reported as unpriced
    prices: dict[str, Price] = {}

    @model_validator(mode="after")
    def _agents_have_inputs(self) -> "LlmSettings":
        ids = [q.id for q in self.questions]
        if len(ids) != len(set(ids)):
            raise ValueError("question ids must be unique")
        names = [f.name.lower() for f in self.fields]
        if len(names) != len(set(names)):
            raise ValueError("field names must be unique")
        return self

    @property
    def active_agents(self) -> tuple[str, ...]:
        """The enabled agents; questions and fields run whenever the tenant lists some."""
        extra = [a for a, on in (("questions", self.questions), ("fields", self.fields)) if on]
        return tuple(dict.fromkeys([*self.agents, *extra]))


class OfflineLlm(LlmSettings):
    """Rules, no LLM: summary, sentiment, BANT, quality, objections, contact tag and lead score.
    Questions and custom fields need a language model and are left unanswered."""

    provider: Literal["offline"]

    @model_validator(mode="after")
    def _rules_need_patterns(self) -> "OfflineLlm":
        missing = [c.item for c in self.checklist if not c.patterns]
        if missing:
            raise ValueError(f"the offline analyser judges checklist items by patterns: {missing}")
        return self


class GroqLlm(LlmSettings):
    provider: Literal["groq"]
    api_key_env: SecretName
    model: str = "llama-3.3-70b-versatile"
    base_url: str = "https://api.groq.com"  # the SDK appends /openai/v1/...
    json_mode: Literal["json_object", "json_schema"] = "json_object"  # strict schema: some models


class OpenAICompatibleLlm(LlmSettings):
    """Any `/v1/chat/completions` server: Ollama, vLLM, a llama.cpp server."""

    provider: Literal["openai_compatible"]
    base_url: str  # e.g. http://127.0.0.1:11434 for Ollama
    model: str
    api_key_env: SecretName | None = None  # local servers usually need none
    json_mode: Literal["json_object", "json_schema"] = "json_object"


class BedrockLlm(LlmSettings):
    """AWS Bedrock Runtime Converse. Credentials from the named variables, else boto3's chain."""

    provider: Literal["bedrock"]
    model: str = "us.amazon.nova-lite-v1:0"
    region: str = "us-east-1"
    endpoint_url: str | None = None
    access_key_id_env: SecretName | None = None
    secret_access_key_env: SecretName | None = None


LlmConfig = Annotated[
    OfflineLlm | GroqLlm | OpenAICompatibleLlm | BedrockLlm, Field(discriminator="provider")
]
