"""The call-analysis output contract, shared by the offline rules and (later) LLM analysers.

Models forbid unknown keys and validate ranges, so a model that drifts from the contract fails
loudly at parse time instead of writing junk into `core.call_analyses`.
"""

from typing import Literal

from pydantic import Field, field_validator, model_validator

from callintel_dagster.lib.strict_model import StrictModel

SentimentLabel = Literal["positive", "neutral", "negative"]
Objection = Literal[
    "price", "competitor", "timing", "no_need", "authority", "trust", "think_about_it", "other"
]
ContactTag = Literal["purchased", "interested", "follow_up", "not_interested"]
LeadStatus = Literal[
    "booked",
    "purchased",
    "callback",
    "qualified",
    "unqualified",
    "not_interested",
    "support",
    "wrong_number",
    "unknown",
]
BANT_ITEMS = ("budget", "authority", "need", "timeline")


class Sentiment(StrictModel):
    label: SentimentLabel
    score: float = Field(ge=-1.0, le=1.0, description="-1 very negative .. 1 very positive")


class Bant(StrictModel):
    budget: bool
    authority: bool
    need: bool
    timeline: bool
    qualified: bool
    evidence: dict[str, str] = Field(
        default_factory=dict, description="a short quote from the call per BANT item that is true"
    )

    @model_validator(mode="after")
    def _evidence_only_for_true_items(self) -> "Bant":
        for key in self.evidence:
            if key not in BANT_ITEMS:
                raise ValueError(f"evidence key {key!r} is not one of {BANT_ITEMS}")
            if not getattr(self, key):
                raise ValueError(f"evidence given for {key!r}, which is false")
        return self


class QualityItem(StrictModel):
    item: str = Field(min_length=1)
    weight: float = Field(gt=0, allow_inf_nan=False)
    passed: bool


class Quality(StrictModel):
    score: float = Field(ge=0.0, le=100.0, description="weighted share of items passed x 100")
    items: list[QualityItem] = Field(default_factory=list)


class CallAnalysis(StrictModel):
    summary: str = Field(min_length=1, max_length=500, description="one sentence")
    sentiment: Sentiment
    bant: Bant
    objections: list[Objection] = Field(default_factory=list)
    quality: Quality
    contact_tag: ContactTag
    lead_status: LeadStatus

    @field_validator("summary")
    @classmethod
    def _one_line(cls, v: str) -> str:
        # The summary lands in WhatsApp digests and table cells: keep it a single clean line.
        v = " ".join(v.split())
        if not v:
            raise ValueError("summary is blank")
        return v

    @field_validator("objections")
    @classmethod
    def _dedupe(cls, v: list[str]) -> list[str]:
        # Repeats carry no meaning for the taxonomy and would skew objection counts.
        return list(dict.fromkeys(v))
