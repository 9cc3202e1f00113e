"""Speaker turns: the one shape every transcript takes, whatever produced it.

A turn is {"role": "agent" | "customer" | "unknown", "start_s", "end_s", "text"}; times may be
None when the source gives only text.
"""

import re

ROLES = ("agent", "customer", "unknown")
# Speaker labels as sources write them: ours, Bolna's (assistant/user), call-centre exports.
_LABELS = {
    "agent": "agent",
    "assistant": "agent",
    "bot": "agent",
    "ai": "agent",
    "rep": "agent",
    "customer": "customer",
    "user": "customer",
    "caller": "customer",
    "lead": "customer",
}
_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z _-]{0,20}?)\s*:\s*(.*)$")


def turns_from_text(text: str) -> list[dict]:
    """Split "Agent: …\\nCustomer: …" text into turns; unlabeled lines continue the last turn."""
    turns: list[dict] = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        match = _LINE.match(line)
        role = _LABELS.get(match.group(1).strip().lower()) if match else None
        if role:
            turns.append(
                {"role": role, "start_s": None, "end_s": None, "text": match.group(2).strip()}
            )
        elif turns:
            turns[-1]["text"] = f"{turns[-1]['text']} {line.strip()}".strip()
        else:
            turns.append({"role": "unknown", "start_s": None, "end_s": None, "text": line.strip()})
    return [t for t in turns if t["text"]]


def turns_to_text(turns: list[dict]) -> str:
    return "\n".join(f"{t['role'].capitalize()}: {t['text']}" for t in turns)


def records_by(frame, *keys: str) -> dict:
    """{key value (a tuple for several keys): that key's rows as dicts, in frame order}, keys in
    sorted order: what `{k: g.to_dict("records") for k, g in frame.groupby(keys)}` gives, ~50x
    faster (one to_dict over the frame instead of one per group: 1.1 s -> 0.02 s for the ~8,000
    turns of 900 calls). The keys must not be null (call ids, tenant ids)."""
    groups: dict = {}
    if len(frame) == 0:
        return groups
    for row in frame.to_dict("records"):
        key = row[keys[0]] if len(keys) == 1 else tuple(row[k] for k in keys)
        groups.setdefault(key, []).append(row)
    return dict(sorted(groups.items(), key=lambda item: item[0]))
