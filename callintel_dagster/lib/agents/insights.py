"""An agent output (LLM or rules) → the columns of core.call_analyses, answers and objections.

The quality score is computed here from the tenant's weights, never taken from the model:
score = weight of passed items / weight of applicable items x 100.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from callintel_dagster.lib.analysis.checklist import ChecklistItem


@dataclass
class Insights:
    columns: dict[str, Any]
    answers: list[dict] = field(default_factory=list)  # kind, name, question, answer, quote
    objections: list[str] = field(default_factory=list)


def quality_score(verdicts: dict[str, dict], checklist: tuple[ChecklistItem, ...]) -> float | None:
    """`verdicts`: checklist item name -> {passed, applies}."""
    weights = {c.item: c.weight for c in checklist}
    applicable = [k for k, v in verdicts.items() if v.get("applies", True) and k in weights]
    total = sum(weights[k] for k in applicable)
    if not total:
        return None
    return round(100.0 * sum(weights[k] for k in applicable if verdicts[k]["passed"]) / total, 1)


def insights(output: dict, config) -> Insights:
    """`output` is the validated JSON (by alias) of the tenant's output model."""
    cols: dict[str, Any] = {"analysis_json": json.dumps(output, ensure_ascii=False)}
    if s := output.get("summary"):
        cols |= {"summary": s["sentence"], "summary_paragraph": s["paragraph"]}
    if s := output.get("sentiment"):
        cols |= {"sentiment_label": s["label"], "sentiment_score": s["score"]}
    if b := output.get("bant"):
        cols |= {
            f"bant_{k}": b[k] for k in ("budget", "authority", "need", "timeline", "qualified")
        }
    objections: list[str] = []
    if o := output.get("objections"):
        objections = list(dict.fromkeys(x["type"] for x in o["objections"]))
        cols["objections_json"] = json.dumps(objections)
    if q := output.get("quality"):
        cols["quality_score"] = quality_score(q, config.checklist)
    if c := output.get("contact_tag"):
        cols |= {"contact_tag": c["contact_tag"], "lead_status": c["lead_status"]}
    if ls := output.get("lead_score"):
        cols |= {"lead_score": float(ls["score"]), "qualification_stage": ls["stage"]}
    answers = []
    texts = {q.id: q.text for q in config.questions}
    for qid, a in (output.get("questions") or {}).items():
        answers.append(
            {
                "kind": "question",
                "name": qid,
                "question": texts.get(qid),
                "answer": a["answer"].strip(),
                "quote": a.get("quote") or None,
            }
        )
    for name, value in (output.get("fields") or {}).items():
        text = (
            None if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        )
        answers.append(
            {"kind": "field", "name": name, "question": None, "answer": text, "quote": None}
        )
    return Insights(cols, answers, objections)
