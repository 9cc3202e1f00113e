"""The inputs of a daily summary: one KPI row as a dict, and the day's notable calls."""

import json

import pandas as pd

KPI_FIELDS = (
    "calls",
    "connected_calls",
    "connect_rate",
    "talk_minutes",
    "avg_duration_seconds",
    "analysed_calls",
    "positive_calls",
    "neutral_calls",
    "negative_calls",
    "avg_quality_score",
    "new_leads",
    "qualified_leads",
    "booked",
)


def kpis_for(frame: pd.DataFrame) -> dict:
    """The KPI row of one tenant-day (zeros when the mart has no row for it)."""
    if frame.empty:
        return {name: 0 for name in KPI_FIELDS}
    row = frame.iloc[0]
    return {name: _plain(row.get(name)) for name in KPI_FIELDS}


def notable_calls(calls: pd.DataFrame, limit: int = 12) -> list[dict]:
    """Analysed calls that say most about the day: outcomes first, then the extremes."""
    if calls.empty:
        return []
    analysed = calls[calls["analysis_status"] == "ok"].copy()
    outcome_rank = {"purchased": 0, "booked": 1, "callback": 2, "qualified": 3}
    analysed["rank"] = analysed["lead_status"].map(outcome_rank).fillna(9)
    analysed["neg"] = (analysed["sentiment_label"] != "negative").astype(int)
    # call_id breaks ties: the mart's row order is not stable between builds, and the same day
    # must always yield the same digest
    picked = analysed.sort_values(["rank", "neg", "quality_score", "call_id"]).head(limit)
    return [
        {
            "call_id": r["call_id"],
            "agent_name": r["agent_name"],
            "phone_e164": r["phone_e164"],
            "contact_tag": r["contact_tag"],
            "lead_status": r["lead_status"],
            "sentiment_label": r["sentiment_label"],
            "quality_score": _plain(r["quality_score"]),
            "summary": r["summary"],
            "objections": json.loads(r["objections_json"] or "[]"),
        }
        for r in picked.to_dict("records")
    ]


def _plain(value):
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value
