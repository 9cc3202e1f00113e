"""The offline (rules) analysis in the agents' JSON shape, so LLM and rules rows read alike.

Lead score by rules: 20 points per BANT item the customer showed, +20 for a booking or purchase,
+10 for positive sentiment, capped at 100. Stage: qualified (BANT qualified, or booked/purchased),
intent_confirmed (a callback or keen contact), interest_detected (need or positive mood), else
exploring. Questions and custom fields need a language model: the rules leave them out.
"""

from collections.abc import Sequence
from typing import Any

from .offline import analyse_offline
from .schema import CallAnalysis

_BANT = ("budget", "authority", "need", "timeline")


def lead_score(a: CallAnalysis) -> dict:
    score = 20 * sum(getattr(a.bant, k) for k in _BANT)
    score += 20 if a.lead_status in ("booked", "purchased") else 0
    score += 10 if a.sentiment.label == "positive" else 0
    if a.bant.qualified or a.lead_status in ("booked", "purchased"):
        stage = "qualified"
    elif a.lead_status == "callback" or a.contact_tag == "interested":
        stage = "intent_confirmed"
    elif a.bant.need or a.sentiment.label == "positive":
        stage = "interest_detected"
    else:
        stage = "exploring"
    return {"score": min(score, 100), "stage": stage}


def offline_output(turns: Sequence[dict[str, Any]], config) -> dict:
    a = analyse_offline(turns, list(config.checklist))
    judged = {i.item: i.passed for i in a.quality.items}  # items that applied to this call
    parts = {
        "summary": {"sentence": a.summary, "paragraph": a.summary},
        "sentiment": a.sentiment.model_dump(mode="json"),
        "bant": a.bant.model_dump(mode="json") | {"evidence": a.bant.evidence},
        "quality": {
            c.item: {
                "passed": judged.get(c.item, False),
                "applies": c.item in judged,
                "evidence": "",
            }
            for c in config.checklist
        },
        "objections": {"objections": [{"type": o, "quote": ""} for o in a.objections]},
        "contact_tag": {"contact_tag": a.contact_tag, "lead_status": a.lead_status},
        "lead_score": lead_score(a),
    }
    return {k: v for k, v in parts.items() if k in config.active_agents}
