"""Call analysis: the output schema, the quality checklist and the offline (rules) analyser."""

from .checklist import DEFAULT_CHECKLIST, ChecklistItem, score_checklist
from .offline import (
    MIN_TRANSCRIPT_CHARS,
    OFFLINE_AGENT_VERSION,
    OFFLINE_MODEL,
    analyse_offline,
    run_guardrails,
)
from .schema import Bant, CallAnalysis, Quality, QualityItem, Sentiment

__all__ = [
    "DEFAULT_CHECKLIST",
    "MIN_TRANSCRIPT_CHARS",
    "OFFLINE_AGENT_VERSION",
    "OFFLINE_MODEL",
    "Bant",
    "CallAnalysis",
    "ChecklistItem",
    "Quality",
    "QualityItem",
    "Sentiment",
    "analyse_offline",
    "run_guardrails",
    "score_checklist",
]
