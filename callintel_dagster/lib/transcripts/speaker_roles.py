"""Timed STT segments → speaker turns with roles (agent / customer / unknown).

How speakers are told apart, best first (the transcript records which one it used):
- `channel`: stereo call-centre recordings carry one party per channel; the tenant says which
  channel is the agent (`stt.agent_channel`).
- `diarization`: the provider labelled speakers (Deepgram, Sarvam batch). The agent is the
  speaker whose first words introduce a company or greet ("this is Maya from…", "calling
  from…", "hello"); if no speaker does, the first speaker (on outbound calls the agent opens).
  Any third speaker is `unknown`.
- `heuristic` (mono audio, no diarization): a new turn starts after a pause of at least
  `PAUSE_S` or after a question; turns alternate, starting with the agent. It is right for
  clean question-and-answer calls and wrong when one party pauses mid-thought: treat its roles
  as approximate.
Consecutive segments of the same role merge into one turn.
"""

import re
from collections.abc import Sequence

PAUSE_S = 0.7
_AGENT_OPENING = re.compile(
    r"\b(this is \w+ from|calling from|calling on behalf of|my name is|speaking from|"
    r"welcome to|thank you for calling|hello|hi|good (morning|afternoon|evening)|namaste)\b",
    re.IGNORECASE,
)


def turns_from_segments(
    segments: Sequence, separation: str, agent_channel: int = 0
) -> tuple[list[dict], str]:
    """(turns, separation used). `segments` have start_s, end_s, text and speaker."""
    ordered = sorted((s for s in segments if s.text.strip()), key=lambda s: (s.start_s, s.end_s))
    if separation == "channel":
        agent = f"ch{agent_channel}"
        roles = ["agent" if s.speaker == agent else "customer" for s in ordered]
    elif separation == "diarization" and any(s.speaker is not None for s in ordered):
        roles = _diarized_roles(ordered)
    else:
        roles, separation = _heuristic_roles(ordered), "heuristic"
    return _merge(ordered, roles), separation if ordered else "none"


def _diarized_roles(ordered: Sequence) -> list[str]:
    first_words: dict[str, str] = {}
    for s in ordered:
        first_words.setdefault(s.speaker, s.text)
    agent = next((sp for sp, text in first_words.items() if _AGENT_OPENING.search(text)), None)
    agent = agent if agent is not None else ordered[0].speaker
    customer = next((sp for sp in first_words if sp != agent), None)
    return [
        "agent" if s.speaker == agent else "customer" if s.speaker == customer else "unknown"
        for s in ordered
    ]


def _heuristic_roles(ordered: Sequence) -> list[str]:
    roles, current, previous = [], "agent", None
    for s in ordered:
        if previous is not None and (
            s.start_s - previous.end_s >= PAUSE_S or previous.text.rstrip().endswith("?")
        ):
            current = "customer" if current == "agent" else "agent"
        roles.append(current)
        previous = s
    return roles


def _merge(ordered: Sequence, roles: list[str]) -> list[dict]:
    turns: list[dict] = []
    for s, role in zip(ordered, roles, strict=True):
        if turns and turns[-1]["role"] == role:
            last = turns[-1]
            last["text"] = f"{last['text']} {s.text.strip()}"
            last["end_s"] = max(last["end_s"], s.end_s)
            last["_conf"].append(s.confidence)
        else:
            turns.append(
                {
                    "role": role,
                    "start_s": s.start_s,
                    "end_s": s.end_s,
                    "text": s.text.strip(),
                    "_conf": [s.confidence],
                }
            )
    for t in turns:
        known = [c for c in t.pop("_conf") if c is not None]
        t["confidence"] = round(sum(known) / len(known), 4) if known else None
    return turns
