"""Which of a day's notable calls the digest names: the best call and the low-quality ones.

One selection for the summary text (daily_summary.py) and for its links (links.py), so a link
always points at the call the sentence names."""

from typing import Any

HIGH_QUALITY, LOW_QUALITY = 85.0, 50.0


def quality(call: dict[str, Any]) -> float | None:
    q = call.get("quality_score")
    return None if q is None else float(q)


def scored(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Calls with a quality score, best first (ties by call id, so the pick is stable)."""
    return sorted(
        (c for c in calls if quality(c) is not None),
        key=lambda c: (-quality(c), str(c.get("call_id"))),
    )


def best_call(calls: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The day's best call, when it scored at least HIGH_QUALITY."""
    ranked = scored(calls)
    return ranked[0] if ranked and quality(ranked[0]) >= HIGH_QUALITY else None


def low_quality_calls(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Calls below LOW_QUALITY, worst first."""
    return [c for c in reversed(scored(calls)) if quality(c) < LOW_QUALITY]


def agent_of(call: dict[str, Any]) -> str:
    return call.get("agent_name") or "unassigned"
