"""Deterministic conversation signals computed from speaker turns (no model involved).

A turn is `{"role": "agent"|"customer"|"unknown", "start_s", "end_s", "text"}`. Turns are read in
start order; a turn whose end precedes its start is treated as zero-length, and a turn without
timestamps only counts towards questions and `turns_per_minute`. Call length is
`max(duration_seconds, last turn end)`, so a provider duration that misses the tail still works.

- `talk_seconds`: speaking time summed over speakers (agent + customer + unknown). Two people
  talking at once count twice, so this can exceed the call length on very overlapping calls.
- `agent_talk_seconds` / `customer_talk_seconds`: that role's speaking time (its own overlapping
  turns counted once).
- `talk_ratio`: agent / (agent + customer) talk time, 0..1; None when neither spoke. Unknown-role
  speech is left out because it cannot be attributed.
- `longest_monologue_agent_s` / `_customer_s`: longest run of consecutive turns by that role,
  from the first turn's start to the last turn's end (pauses inside the run count: the speaker
  kept the floor). 0 when the role never spoke.
- `questions_agent` / `questions_customer`: sentences ending in "?" ("really??" is one).
- `question_rate_agent_per_min` / `_customer_per_min`: that role's questions per minute of that
  role's own talk time, so a quiet customer who asks two questions in 30 s scores high instead of
  being diluted by the agent's pitch. None when the role has no talk time.
- `non_talk_seconds`: time in [0, call length] when nobody speaks (overlaps counted once): hold,
  silence, ringing. `non_talk_share` = non_talk_seconds / call length (None for a 0 s call).
- `interruptions`: agent/customer turns that start more than `interruption_threshold_s` before the
  most recent turn of the other role ends. The threshold keeps a short back-channel or a cough
  overlap from counting. Unknown-role turns are ignored (we cannot tell who cut in on whom).
- `words_per_minute`: whitespace-separated words of timed turns / (talk_seconds / 60).
- `turns_per_minute`: number of turns / (call length / 60): how back-and-forth the call is.
- `agent_word_share`: agent words / (agent + customer words), 0..1: a talk-share estimate that
  needs no timestamps; None when neither role said a word.

Unmeasured is None, never zero: a transcript whose turns carry no timestamps (Bolna, SQL and
folder sources give text only) has no talk time, talk ratio, monologue, non-talk, interruption
or pace figure; only questions, `turns_per_minute` (from the call's duration) and
`agent_word_share` are measured. (No turns at all is a call in which nobody spoke: its silence
is measured.)
"""

import re
from collections.abc import Sequence
from typing import Any

from callintel_dagster.lib.tables import CALL_SIGNALS

Turn = dict[str, Any]
SIGNAL_COLUMNS = CALL_SIGNALS.column_names[CALL_SIGNALS.column_names.index("call_id") + 1 :]
ROLES = ("agent", "customer")
_QUESTION = re.compile(r"\?+")


def _timed(turns: Sequence[Turn]) -> list[tuple[float, float, Turn]]:
    out = []
    for t in turns:
        start, end = t.get("start_s"), t.get("end_s")
        if start is None or end is None:
            continue
        start = float(start)
        out.append((start, max(float(end), start), t))
    # Stable sort keeps the transcript order for turns starting at the same instant.
    return sorted(out, key=lambda x: (x[0], x[1]))


def _union_seconds(
    spans: list[tuple[float, float]], lo: float = 0.0, hi: float | None = None
) -> float:
    total, cur_s, cur_e = 0.0, None, None
    for s, e in sorted(spans):
        s, e = max(s, lo), e if hi is None else min(e, hi)
        if e <= s:
            continue
        if cur_e is None or s > cur_e:
            if cur_e is not None:
                total += cur_e - cur_s
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    if cur_e is not None:
        total += cur_e - cur_s
    return total


def _longest_runs(timed: list[tuple[float, float, Turn]]) -> dict[str, float]:
    best = {r: 0.0 for r in ROLES}
    run_role, run_start, run_end = None, 0.0, 0.0
    for s, e, t in timed + [(0.0, 0.0, {"role": None})]:  # sentinel flushes the last run
        role = t.get("role")
        if role == run_role and role is not None:
            run_end = max(run_end, e)
            continue
        if run_role in best:
            best[run_role] = max(best[run_role], run_end - run_start)
        run_role, run_start, run_end = role, s, e
    return best


def _interruptions(timed: list[tuple[float, float, Turn]], threshold: float) -> int:
    last_end: dict[str, float] = {}
    count = 0
    for s, e, t in timed:
        role = t.get("role")
        if role not in ROLES:
            continue
        other = "customer" if role == "agent" else "agent"
        if other in last_end and last_end[other] - s > threshold:
            count += 1
        last_end[role] = e
    return count


def _rate(count: float, seconds: float) -> float | None:
    return round(count / (seconds / 60.0), 3) if seconds > 0 else None


def compute_signals(
    turns: Sequence[Turn], duration_seconds: float | None, interruption_threshold_s: float = 0.5
) -> dict[str, Any]:
    """Signals for one call, keyed exactly like `CALL_SIGNALS` after `call_id`."""
    timed = _timed(turns)
    last_end = max((e for _, e, _ in timed), default=0.0)
    call_len = max(float(duration_seconds or 0.0), last_end)

    by_role: dict[str, list[tuple[float, float]]] = {}
    for s, e, t in timed:
        by_role.setdefault(t.get("role") or "unknown", []).append((s, e))
    role_talk = {r: _union_seconds(spans) for r, spans in by_role.items()}
    agent, customer = role_talk.get("agent", 0.0), role_talk.get("customer", 0.0)
    talk = sum(role_talk.values())

    questions = {r: 0 for r in ROLES}
    for t in turns:
        if t.get("role") in questions:
            questions[t["role"]] += len(_QUESTION.findall(t.get("text") or ""))

    spoken = _union_seconds([(s, e) for s, e, _ in timed], 0.0, call_len)
    non_talk = max(call_len - spoken, 0.0)
    words = sum(len((t.get("text") or "").split()) for _, _, t in timed)
    monologue = _longest_runs(timed)

    words_by_role = {r: 0 for r in ROLES}
    for t in turns:
        if t.get("role") in words_by_role:
            words_by_role[t["role"]] += len((t.get("text") or "").split())
    spoken_words = words_by_role["agent"] + words_by_role["customer"]
    word_share = round(words_by_role["agent"] / spoken_words, 4) if spoken_words else None

    measured = {
        "talk_seconds": round(talk, 3),
        "agent_talk_seconds": round(agent, 3),
        "customer_talk_seconds": round(customer, 3),
        "talk_ratio": round(agent / (agent + customer), 4) if agent + customer > 0 else None,
        "longest_monologue_agent_s": round(monologue["agent"], 3),
        "longest_monologue_customer_s": round(monologue["customer"], 3),
        "question_rate_agent_per_min": _rate(questions["agent"], agent),
        "question_rate_customer_per_min": _rate(questions["customer"], customer),
        "non_talk_seconds": round(non_talk, 3),
        "non_talk_share": round(non_talk / call_len, 4) if call_len > 0 else None,
        "interruptions": _interruptions(timed, interruption_threshold_s),
        "words_per_minute": _rate(words, talk),
    }
    if turns and not timed:  # text without timestamps: nothing above was measured
        measured = dict.fromkeys(measured)
    values = {
        **measured,
        "questions_agent": questions["agent"],
        "questions_customer": questions["customer"],
        "turns_per_minute": _rate(len(turns), call_len),
        "agent_word_share": word_share,
    }
    return {key: values[key] for key in SIGNAL_COLUMNS}
