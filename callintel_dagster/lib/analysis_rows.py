"""An analysis outcome → one core.call_analyses row (the validated JSON kept whole)."""

import json
from datetime import datetime


def analysis_row(call: dict, analyzer, outcome, digest: str, attempts: int, now: datetime) -> dict:
    a = outcome.analysis
    row = {
        "tenant_id": call["tenant_id"],
        "partition_date": call["partition_date"],
        "call_id": call["call_id"],
        "analysis_status": outcome.status,
        "reason": outcome.reason,
        "attempts": attempts,
        "provider": analyzer.provider,
        "model": analyzer.model,
        "agent_version": analyzer.agent_version,
        "input_hash": digest,
        "analysed_at_utc": now,
    }
    if a is None:
        return row
    return row | {
        "sentiment_label": a.sentiment.label,
        "sentiment_score": a.sentiment.score,
        "summary": a.summary,
        "bant_budget": a.bant.budget,
        "bant_authority": a.bant.authority,
        "bant_need": a.bant.need,
        "bant_timeline": a.bant.timeline,
        "bant_qualified": a.bant.qualified,
        "objections_json": json.dumps(a.objections),
        "quality_score": a.quality.score,
        "contact_tag": a.contact_tag,
        "lead_status": a.lead_status,
        "analysis_json": a.model_dump_json(),
    }
