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
