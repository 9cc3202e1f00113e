"""Personal data spoken in some synthetic calls, so that redaction has something real to find.

About 15% of connected calls carry one or two customer sentences with a phone number (as digits
or as words), an e-mail ("... at the rate gmail dot com"), and in the Indian market an Aadhaar
number (valid Verhoeff check digit), a PAN or a UPI id. The sentences are appended to customer
turns that are already there, so every call keeps its turns, timings and duration.

Everything here is drawn from its own `random.Random` seeded by the call id: the calls' main
stream (and every test and digest built on it) is exactly what it was before PII existed.
`spoken_pii(call)` returns the values said, for tests that check none of them leaks.
"""

import random

from callintel_dagster.lib.synthetic.base import stable_seed
from callintel_dagster.lib.synthetic.phones import random_number
from callintel_dagster.privacy.checksums import verhoeff_valid

PII_SHARE = 0.15
_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_LOCALS = ("priya", "rahul", "anita", "vikram", "sneha", "arjun", "kavya", "rohan", "maria", "john")
_DOMAINS = ("gmail dot com", "yahoo dot co dot in", "outlook dot com", "rediffmail dot com")
_UPI_BANKS = ("okhdfcbank", "okicici", "ybl", "paytm", "oksbi")
_KINDS = {"IN": ("PHONE", "EMAIL", "AADHAAR", "PAN", "UPI"), "US": ("PHONE", "EMAIL")}


def with_spoken_pii(call: dict, seed: int, market: str) -> dict:
    """`call` with PII in ~15% of connected calls (decided by its id), else unchanged."""
    plan = _plan(call, seed, market)
    if not plan:
        return call
    turns = [dict(t) for t in call["turns"]]
    for index, _, sentence, _, _ in plan:
        turns[index]["text"] = f"{turns[index]['text']} {sentence}"
    text = "\n".join(f"{t['role'].capitalize()}: {t['text']}" for t in turns)
    return call | {"turns": turns, "transcript_text": text}


def spoken_pii(call: dict, seed: int, market: str) -> list[tuple[str, str, str]]:
    """(entity, value as written, words as spoken) for each PII value said in a generated call
    (the two differ for a number said in words or an e-mail said "at the rate ... dot com").

    Recomputed rather than carried in the call dict: a source keeps unknown keys (extra_json),
    and the values must not land in the warehouse by that side door.
    """
    return [(kind, value, said) for _, kind, _, value, said in _plan(call, seed, market)]


def _plan(call: dict, seed: int, market: str) -> list[tuple[int, str, str, str, str]]:
    """(turn index, entity, sentence, value, as spoken) per PII value; [] for most calls."""
    rng = random.Random(stable_seed("pii", call["call_id"], seed))
    customer = [i for i, t in enumerate(call["turns"]) if t["role"] == "customer"]
    if not customer or rng.random() >= PII_SHARE:
        return []
    kinds = rng.sample(_KINDS.get(market, _KINDS["US"]), k=rng.choice((1, 2)))
    plan = []
    for kind in kinds:
        sentence, value, said = _SAY[kind](rng, market)
        plan.append((rng.choice(customer), kind, sentence, value, said))
    return plan


def _phone(rng: random.Random, market: str) -> tuple[str, str, str]:
    number = random_number(rng, market if market in ("IN", "US") else "US")
    if rng.random() < 0.5:
        said = " ".join(_WORDS[int(d)] for d in number)
        return f"You can reach me on {said}.", number, said
    if market == "IN":
        grouped = f"{number[:5]} {number[5:]}"
    else:
        grouped = f"{number[:3]}-{number[3:6]}-{number[6:]}"
    return f"My number is {grouped}, call me there.", number, grouped


def _email(rng: random.Random, market: str) -> tuple[str, str, str]:
    local = f"{rng.choice(_LOCALS)}{rng.randrange(10, 100)}"
    domain = rng.choice(_DOMAINS if market == "IN" else _DOMAINS[:3:2])
    written = f"{local}@{domain.replace(' dot ', '.')}"
    if rng.random() < 0.5:
        said = f"{local} at the rate {domain}"
        return f"Mail the details to {said}.", written, said
    return f"Please send it to {written} today.", written, written


def _aadhaar(rng: random.Random, market: str) -> tuple[str, str, str]:
    body = f"{rng.randrange(2, 10)}{rng.randrange(10**10):010d}"
    digits = next(body + c for c in "0123456789" if verhoeff_valid(body + c))
    said = f"{digits[:4]} {digits[4:8]} {digits[8:]}"
    return f"My Aadhaar number is {said}.", digits, said


def _pan(rng: random.Random, market: str) -> tuple[str, str, str]:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    pan = (
        "".join(rng.choice(letters) for _ in range(3))
        + "P"
        + rng.choice(letters)
        + f"{rng.randrange(10_000):04d}"
        + rng.choice(letters)
    )
    return f"For the KYC my PAN is {pan}.", pan, pan


def _upi(rng: random.Random, market: str) -> tuple[str, str, str]:
    upi = f"{rng.choice(_LOCALS)}{rng.randrange(10, 100)}@{rng.choice(_UPI_BANKS)}"
    return f"I will pay the token amount from UPI id {upi}.", upi, upi


_SAY = {"PHONE": _phone, "EMAIL": _email, "AADHAAR": _aadhaar, "PAN": _pan, "UPI": _upi}
