"""Links from a search hit or an ask citation to the call page, opened at the turn it cites:
`/t/{tenant}/calls/{call}?t={seconds}#turn-{index}`.

A hit or a citation carries a call id, a moment and maybe a quote, not a turn index: the turn is
found among the call's stored turns (this tenant's only), the one holding the quote at that
moment, else the last one starting by then.
"""

from urllib.parse import quote

from callintel_dagster.search.citations import normalise

MAX_CALLS = 500  # one IN list per lookup; a page of hits or citations is far below this


def call_page_url(
    tenant_id: str, call_id: str, start_s: float | None = None, index: int | None = None
) -> str:
    url = f"/t/{quote(tenant_id, safe='')}/calls/{quote(call_id, safe='')}"
    if start_s is not None:
        url += f"?t={round(float(start_s), 2):g}"
    if index is not None:
        url += f"#turn-{index}"
    return url


def turns_of(reader, tenant_id: str, call_ids) -> dict[str, list[dict]]:
    """{call_id: [{turn_index, start_s, text}] in order} for ONE tenant's calls."""
    ids = sorted(set(call_ids))[:MAX_CALLS]
    if not ids:
        return {}
    rows = reader.rows(
        "SELECT call_id, turn_index, start_s, text FROM core.transcript_turns "
        f"WHERE tenant_id = ? AND call_id IN ({', '.join('?' * len(ids))}) "
        "ORDER BY call_id, turn_index",
        (tenant_id, *ids),
    )
    out: dict[str, list[dict]] = {}
    for row in rows:
        out.setdefault(row["call_id"], []).append(row)
    return out


def turn_at(turns: list[dict], start_s: float | None, words: str | None = None) -> dict | None:
    """The turn a moment (and maybe a quote) points at; None for a call without turns."""
    if not turns:
        return None
    wanted = normalise(words or "")
    holding = [t for t in turns if wanted and wanted in normalise(t["text"])]
    if holding:
        same = [t for t in holding if start_s is not None and t["start_s"] == start_s]
        return (same or holding)[0]
    if start_s is None:
        return turns[0]
    started = [t for t in turns if t["start_s"] is not None and t["start_s"] <= start_s + 0.05]
    return started[-1] if started else turns[0]


def link(tenant_id: str, turns: dict, call_id: str, start_s, words: str | None = None) -> dict:
    """`turn_index` and `url` for one hit or citation."""
    turn = turn_at(turns.get(call_id, []), start_s, words)
    index = None if turn is None else int(turn["turn_index"])
    moment = start_s if start_s is not None or turn is None else turn["start_s"]
    return {"turn_index": index, "url": call_page_url(tenant_id, call_id, moment, index)}
