"""Call-quality checklist: weighted regex items matched on what the agent said.

A tenant can supply its own checklist (same model); the default fits outbound sales calls.
Score = weight of passed items / weight of applicable items x 100.
"""

import re
from collections.abc import Sequence
from typing import Any

from pydantic import Field, field_validator

from callintel_dagster.lib.strict_model import StrictConfig

from .patterns import OBJECTION_PATTERNS, find
from .schema import Quality, QualityItem


class ChecklistItem(StrictConfig):
    item: str = Field(min_length=1)
    weight: float = Field(gt=0, allow_inf_nan=False)
    # what an LLM judges the item by, beyond its name (optional)
    description: str = Field("", max_length=500)
    # regexes (case-insensitive) on agent turns: what the offline rules judge the item by; LLM
    # tenants may leave them out
    patterns: list[str] = Field(default_factory=list)
    # Optional gate: the item only counts when a customer turn matches one of these, so an agent
    # is not marked down for "handling objections" on a call that had none.
    applies_if_customer: list[str] = Field(default_factory=list)

    @field_validator("patterns", "applies_if_customer")
    @classmethod
    def _compiles(cls, v: list[str]) -> list[str]:
        for p in v:
            try:  # a broken tenant regex should fail at config load, not mid-run
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"invalid regex {p!r}: {exc}") from None
        return v


_ALL_OBJECTIONS = [p for ps in OBJECTION_PATTERNS.values() for p in ps]

DEFAULT_CHECKLIST: tuple[ChecklistItem, ...] = (
    ChecklistItem(
        item="Greets the customer",
        weight=1.0,
        patterns=[
            r"\b(?:hello|hi|hey|good (?:morning|afternoon|evening)|namaste|namaskar)\b",
        ],
    ),
    ChecklistItem(
        item="Introduces self and company",
        weight=1.5,
        patterns=[
            r"\bmy name is\b",
            r"\bmera naam\b",
            r"\bthis is \w+(?: \w+)? from\b",
            r"\b(?:calling|speaking) (?:from|on behalf of)\b",
            r"\b(?:bol|baat kar) (?:raha|rahi) (?:hoon|hu|hun)\b.*\bse\b",
            r"\bse (?:bol|baat kar) (?:raha|rahi) (?:hoon|hu|hun)\b",
        ],
    ),
    ChecklistItem(
        item="Confirms the customer's name",
        weight=1.0,
        patterns=[
            r"\b(?:am i|i am|i'm) (?:speaking|talking) (?:to|with)\b",
            r"\bis this (?:mr\.? |mrs\.? |ms\.? )?(?!ok\b|okay\b|fine\b|right\b|correct\b|good\b)\w+"
            r"(?: ji)?\s*\?",
            r"\bkya (?:main|mai|meri baat) \w+(?: ji)? se\b",
            r"\b(?:aap|ap) \w+ ji (?:hain|hai|bol rahe)\b",
            r"\bconfirm (?:your|the) name\b",
        ],
    ),
    ChecklistItem(
        item="Asks discovery questions",
        weight=2.0,
        patterns=[
            r"\b(?:what|which|how many|how much|when|why|where)\b[^?]*\?",
            r"\b(?:kaun|kaunsa|kaunsi|kitna|kitne|kitni|kab|kyun|kahan)\b[^?]*\?",
            r"\b(?:can|could) you (?:tell|share)\b",
            r"\b(?:bataiye|batayiye|bata sakte)\b",
        ],
    ),
    ChecklistItem(
        item="Presents the offer or price",
        weight=2.0,
        patterns=[
            r"(?:₹|\$|\brs\.?|\binr)\s?\d",
            r"\b\d[\d,.]*\s?(?:k|lakh|lac|crore|hazaar|hazar|thousand"
            r"|rupees|rupaye)\b",
            r"\b(?:price|pricing|cost|plan|package|offer|discount|emi|fees?)\b",
        ],
    ),
    ChecklistItem(
        item="Handles the objection",
        weight=1.5,
        applies_if_customer=_ALL_OBJECTIONS,
        patterns=[
            r"\b(?:i understand|i hear you|fair point|good question|valid (?:point|concern))\b",
            r"\bsamajh (?:sakta|sakti) (?:hoon|hu|hun)\b",
            r"\b(?:koi baat nahi|no worries)\b",
            r"\b(?:save|saving|value|worth|roi|return|emi|discount|trial|guarantee|refund)\b",
        ],
    ),
    ChecklistItem(
        item="Proposes a next step or booking",
        weight=2.0,
        patterns=[
            r"\b(?:book|booked|schedule|slot|appointment|demo|site visit|meeting)\b",
            r"\b(?:call you|follow up|follow-up)\b",
            r"\bsend (?:you )?(?:the )?(?:details|brochure|quote|link)",
            r"\b(?:book kar|bhej (?:deta|deti|dunga|dungi|raha|rahi)|milte hain)\b",
            r"\b(?:call|phone) (?:karoon|karu|karun|karunga|karungi|kar doon|kar dunga|kar dungi)\b",
        ],
    ),
    ChecklistItem(
        item="Closes politely",
        weight=1.0,
        patterns=[
            r"\b(?:thank you|thanks|thank u|dhanyavaad|dhanyawad|shukriya|have a (?:nice|good|great)"
            r" day|bye)\b",
        ],
    ),
)


def score_checklist(
    turns: Sequence[dict[str, Any]], checklist: Sequence[ChecklistItem] = DEFAULT_CHECKLIST
) -> Quality:
    """Score agent behaviour; items whose customer gate does not match are left out."""
    agent = [t.get("text") or "" for t in turns if t.get("role") == "agent"]
    if not agent:
        # No diarisation: better to judge the whole call than to score every agent 0.
        agent = [t.get("text") or "" for t in turns]
    customer = [t.get("text") or "" for t in turns if t.get("role") == "customer"]
    items: list[QualityItem] = []
    for ci in checklist:
        if ci.applies_if_customer and not any(find(ci.applies_if_customer, c) for c in customer):
            continue
        passed = any(find(ci.patterns, a) for a in agent)
        items.append(QualityItem(item=ci.item, weight=ci.weight, passed=passed))
    total = sum(i.weight for i in items)
    score = 100.0 * sum(i.weight for i in items if i.passed) / total if total else 0.0
    return Quality(score=round(score, 1), items=items)
