"""Conversations per scenario from the line pools, then timed like real speech."""

import random

from callintel_dagster.lib.synthetic import lines as L

MAX_TURNS = 16
# Scenarios where the agent reached a person, i.e. a two-sided transcript exists.
CONNECTED = frozenset(
    {
        "booked_meeting",
        "pricing_objection",
        "callback_later",
        "not_interested",
        "purchased",
        "support_issue",
        "wrong_number",
    }
)
_BANT = ((L.NEED_Q, L.NEED_A), (L.BUDGET_Q, L.BUDGET_A), (L.AUTH_Q, None), (L.TIME_Q, L.TIME_A))
# How keen the customer is drives how many qualifying questions they sit through and whether they
# own the decision: buyers answer more and mostly decide themselves.
_DISCOVERY = {
    "booked_meeting": (1, 4, 0.85),
    "purchased": (1, 4, 0.9),
    "pricing_objection": (0, 4, 0.5),
    "callback_later": (0, 2, 0.5),
}
# Calls that already ended on a thank-you only get the customer's "bye", if anything.
_SHORT_GOODBYE = frozenset({"callback_later", "not_interested"})

Line = tuple[str, str]  # (role, text)


class _Speaker:
    """Picks a variant from a pool; Hinglish calls still switch to English lines now and then."""

    __slots__ = ("rng", "fill", "hinglish")

    def __init__(self, rng: random.Random, fill: dict[str, str], hinglish: bool):
        self.rng, self.fill, self.hinglish = rng, fill, hinglish

    def say(self, role: str, pool: L.Pool) -> Line:
        en, hi = pool
        variants = hi if self.hinglish and hi and self.rng.random() < 0.7 else en
        return role, self.rng.choice(variants).format_map(self.fill)


def conversation(
    rng: random.Random, scenario: str, fill: dict[str, str], hinglish: bool, inbound: bool
) -> list[Line]:
    """The lines of a connected call (4..16 turns) or of a voicemail (agent only)."""
    s = _Speaker(rng, fill, hinglish)
    if scenario == "voicemail":
        if rng.random() < 0.35:  # the line dropped at the beep: a near-empty transcript
            return [s.say("agent", L.VM_SHORT)]
        msg = [s.say("agent", L.VM_MESSAGE)]
        return [s.say("agent", L.VM_SHORT), *msg] if rng.random() < 0.4 else msg
    if scenario == "wrong_number":
        out = [
            s.say("agent", L.OPEN_OUT),
            s.say("customer", L.WHO),
            s.say("agent", L.IS_IT),
            s.say("customer", L.NOT_IT),
            s.say("agent", L.SORRY),
        ]
        return out + [s.say("customer", L.CLOSE_CUST)] if rng.random() < 0.4 else out
    if scenario == "support_issue":
        head = [s.say("agent", L.OPEN_IN)] if inbound else [s.say("agent", L.SUPPORT_OUT)]
        core = [
            s.say("customer", L.ISSUE),
            s.say("agent", L.TICKET_Q),
            s.say("customer", L.TICKET_A),
            s.say("agent", L.ESCALATE),
        ]
        if rng.random() < 0.6:
            core += [s.say("customer", L.FRUSTRATED), s.say("agent", L.REASSURE)]
        return head + core + _closing(s)
    if inbound:
        head = [s.say("agent", L.OPEN_IN), s.say("customer", L.ASK_IN)]
    else:
        head = [s.say("agent", L.OPEN_OUT), s.say("customer", L.ACK)]
    if scenario == "callback_later" and rng.random() < 0.5:
        head = head[:1]  # busy straight away, no small talk
    core = _core(s, scenario)
    lo, hi, owner = _DISCOVERY.get(scenario, (0, 0, 0.5))
    room = (MAX_TURNS - len(head) - len(core) - 2) // 2
    pairs = min(rng.randint(lo, hi), room) if len(head) > 1 else 0
    tail = _bye(s) if scenario in _SHORT_GOODBYE else _closing(s)
    return head + _discovery(s, pairs, owner) + core + tail


def _core(s: _Speaker, scenario: str) -> list[Line]:
    r = s.rng
    if scenario == "booked_meeting":
        out = [s.say("agent", L.PITCH), s.say("customer", L.DEMO_ASK)]
        if r.random() < 0.4:
            out += [s.say("customer", L.CUST_Q), s.say("agent", L.AGENT_A)]
        return out + [
            s.say("agent", L.SLOT_OFFER),
            s.say("customer", L.SLOT_ACCEPT),
            s.say("agent", L.SLOT_CONFIRM),
        ]
    if scenario == "pricing_objection":
        out = [
            s.say("agent", L.PITCH),
            s.say("customer", L.PRICE_OBJ),
            s.say("agent", L.PRICE_HANDLE),
            s.say("customer", L.PRICE_STALL),
        ]
        return out + [s.say("agent", L.FOLLOW_UP)] if r.random() < 0.7 else out
    if scenario == "callback_later":
        return [
            s.say("customer", L.BUSY),
            s.say("agent", L.WHEN_Q),
            s.say("customer", L.WHEN_A),
            s.say("agent", L.CALLBACK_OK),
        ]
    if scenario == "not_interested":
        out = [s.say("customer", L.REFUSE), s.say("agent", L.WHY_Q)]
        if r.random() < 0.7:
            out.append(s.say("customer", L.WHY_A))
        return out + [s.say("agent", L.DROP)]
    # purchased
    out = [s.say("agent", L.PITCH)]
    if r.random() < 0.6:
        out += [s.say("customer", L.CUST_Q), s.say("agent", L.AGENT_A)]
    out += [s.say("customer", L.BUY), s.say("agent", L.LINK_SENT)]
    return out + [s.say("customer", L.PAID), s.say("agent", L.WELCOME)] if r.random() < 0.5 else out


def _discovery(s: _Speaker, pairs: int, owner_p: float) -> list[Line]:
    if pairs <= 0:
        return []
    # Keep the natural order (need, budget, authority, timeline) of the topics that are asked.
    picked = sorted(s.rng.sample(range(len(_BANT)), pairs))
    out: list[Line] = []
    for i in picked:
        q, a = _BANT[i]
        if a is None:
            a = L.AUTH_YES if s.rng.random() < owner_p else L.AUTH_NO
        out += [s.say("agent", q), s.say("customer", a)]
    return out


def _bye(s: _Speaker) -> list[Line]:
    return [s.say("customer", L.CLOSE_CUST)] if s.rng.random() < 0.5 else []


def _closing(s: _Speaker) -> list[Line]:
    x = s.rng.random()
    if x < 0.2:
        return []
    if x < 0.5:
        return [s.say("agent", L.CLOSE_AGENT)]
    return [s.say("agent", L.CLOSE_AGENT), s.say("customer", L.CLOSE_CUST)]


def timed_turns(rng: random.Random, lines: list[Line], first_start: float) -> list[dict]:
    """Turn dicts timed at ~2.5 words/s with 0.3-2 s gaps and occasional customer overlaps."""
    agent_rate, cust_rate = rng.uniform(2.3, 2.8), rng.uniform(2.0, 3.0)
    turns: list[dict] = []
    t = first_start
    prev_role, prev_start = None, 0.0
    for role, text in lines:
        words = text.count(" ") + 1
        dur = max(
            0.5, words / (agent_rate if role == "agent" else cust_rate) * rng.uniform(0.9, 1.15)
        )
        start = t + rng.uniform(0.3, 2.0)
        if prev_role == "agent" and role == "customer" and rng.random() < 0.12:
            # Customers talk over the agent: mostly a cough or "haan" (<0.5 s), sometimes a real
            # interruption (>1 s). Never so early that the turn starts before the agent's turn.
            room = t - prev_start - 0.2
            big = rng.random() < 0.3 and room > 1.2
            overlap = rng.uniform(1.0, min(2.0, room)) if big else rng.uniform(0.1, 0.45)
            start = t - min(overlap, max(room, 0.0))
        start = round(start, 2)
        end = round(start + dur, 2)
        turns.append({"role": role, "start_s": start, "end_s": end, "text": text})
        prev_role, prev_start, t = role, start, max(t, end)
    return turns
