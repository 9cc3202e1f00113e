"""Rows of core.ai_usage: what each piece of paid AI work cost, appended per attempt.

A call's analysis row keeps its latest attempt; the usage ledger keeps every attempt (retries and
the repair request included), so a re-analysed or re-driven call still shows what it cost before.
"""

import uuid
from datetime import date, datetime


def usage_row(
    tenant_id: str,
    day: date,
    *,
    kind: str,
    purpose: str,
    provider: str,
    model: str | None,
    now: datetime,
    call_id: str | None = None,
    requests: int = 0,
    retries: int = 0,
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
    audio_seconds: float | None = None,
    cost_usd: float = 0.0,
    priced: bool = True,
) -> dict:
    return {
        "tenant_id": tenant_id,
        "partition_date": day,
        "usage_id": uuid.uuid4().hex,
        "kind": kind,
        "purpose": purpose,
        "call_id": call_id,
        "provider": provider,
        "model": model,
        "requests": requests,
        "retries": retries,
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "audio_seconds": audio_seconds,
        "cost_usd": round(float(cost_usd or 0.0), 8),
        "priced": priced,
        "recorded_at_utc": now,
    }


def stt_cost(price_per_minute: float | None, audio_seconds: float | None) -> tuple[float, bool]:
    """(cost in USD, priced) for a recording of `audio_seconds` at the tenant's per-minute price."""
    if price_per_minute is None:
        return 0.0, False
    return round((audio_seconds or 0.0) / 60.0 * price_per_minute, 8), True
