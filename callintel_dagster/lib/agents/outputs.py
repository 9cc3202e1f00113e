"""The JSON each agent returns, as pydantic models; a tenant's output model combines its agents.

The models forbid unknown keys and check ranges and enumerations, so a reply that drifts from
the contract fails validation (and gets one repair request) instead of landing in the warehouse.
Tenant-specific parts (checklist items, question ids, custom fields) become the required keys of
objects, so the schema the LLM sees names each of them exactly once.
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from callintel_dagster.lib.analysis.schema import ContactTag, LeadStatus, Objection, Sentiment
from callintel_dagster.lib.strict_model import StrictModel
from callintel_dagster.lib.tenants.llm_config import LlmSettings, OfflineLlm

Stage = Literal["exploring", "interest_detected", "intent_confirmed", "qualified"]
Quote = Field("", max_length=400)


class SummaryOut(StrictModel):
    sentence: str = Field(min_length=1, max_length=300)
    paragraph: str = Field(min_length=1, max_length=1500)

    @field_validator("sentence", "paragraph")
    @classmethod
    def _one_line(cls, v: str) -> str:
        v = " ".join(v.split())
        if not v:
            raise ValueError("blank")
        return v


class ObjectionFound(StrictModel):
    type: Objection
    quote: str = Quote


class ObjectionsOut(StrictModel):
    objections: list[ObjectionFound] = Field(max_length=8)


class ContactTagOut(StrictModel):
    contact_tag: ContactTag
    lead_status: LeadStatus


class LeadScoreOut(StrictModel):
    score: int = Field(ge=0, le=100)
    stage: Stage


class BantEvidence(StrictModel):
    budget: str | None = None
    authority: str | None = None
    need: str | None = None
    timeline: str | None = None


class BantOut(StrictModel):
    budget: bool
    authority: bool
    need: bool
    timeline: bool
    qualified: bool
    evidence: BantEvidence = BantEvidence()

    @model_validator(mode="after")
    def _evidence_for_true_items_only(self) -> "BantOut":
        # a quote for an item the model judged false says nothing: drop it rather than fail
        for item in BantEvidence.model_fields:
            if not getattr(self, item):
                setattr(self.evidence, item, None)
        return self


class ItemVerdict(StrictModel):
    passed: bool
    applies: bool = True
    evidence: str = Quote


class YesNoAnswer(StrictModel):
    answer: Literal["yes", "no", "unknown"]
    quote: str = Quote


class ShortAnswer(StrictModel):
    answer: str = Field(min_length=1, max_length=200)
    quote: str = Quote


def _keyed_model(name: str, keys: dict[str, tuple[Any, str]]) -> type[BaseModel]:
    """An object with exactly these keys (the tenant's names), each required: the schema itself
    says "every checklist item / question once", so a schema-following model cannot miss one."""
    spec = {
        f"k{i}": (annotation, Field(..., alias=key, description=doc))
        for i, (key, (annotation, doc)) in enumerate(keys.items())
    }
    return create_model(name, __config__=ConfigDict(extra="forbid", populate_by_name=True), **spec)


_FIELD_TYPES: dict[str, Any] = {"text": str | None, "number": float | None, "yes_no": bool | None}


def _parts(config: LlmSettings) -> dict[str, Any]:
    parts: dict[str, Any] = {
        "summary": SummaryOut,
        "sentiment": Sentiment,
        "bant": BantOut,
        "objections": ObjectionsOut,
        "contact_tag": ContactTagOut,
        "lead_score": LeadScoreOut,
    }
    if config.checklist:
        items = {c.item: (ItemVerdict, c.description or c.item) for c in config.checklist}
        parts["quality"] = _keyed_model("QualityOut", items)
    if config.questions:
        kinds = {"yes_no": YesNoAnswer, "short": ShortAnswer}
        parts["questions"] = _keyed_model(
            "QuestionsOut", {q.id: (kinds[q.kind], q.text) for q in config.questions}
        )
    if config.fields:
        fields = {f.name: (_FIELD_TYPES[f.kind], f.description) for f in config.fields}
        parts["fields"] = _keyed_model("FieldsOut", fields)
    return parts


def output_model(config: LlmSettings) -> type[BaseModel]:
    """The combined model of the tenant's active agents: one key per agent. The offline rules
    answer no questions and fill no custom fields, so their model leaves those out."""
    if isinstance(config, OfflineLlm):
        config = config.model_copy(update={"questions": (), "fields": ()})
    parts = _parts(config)
    spec = {a: (parts[a], ...) for a in config.active_agents if a in parts}
    return create_model("CallAnalysisOutput", __base__=StrictModel, **spec)
