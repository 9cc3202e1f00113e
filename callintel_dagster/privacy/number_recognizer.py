"""The Presidio recogniser for every identifier made of digits: phone, Aadhaar, card, SSN, account.

One pass over the digit runs (callintel_dagster.privacy.spoken) serves all five, because on a call
they look alike: ten digits after "order number" are an order, after "my number is" a phone, after
"account number" an account. Each run is cut greedily into the longest slices that validate
(check digits, libphonenumber), judged by the nearest cue phrase before the slice and the unit
word after it ("rupees", "minutes" make it an amount, not an identifier).
"""

import re

from presidio_analyzer import LocalRecognizer, RecognizerResult

from callintel_dagster.privacy.checksums import (
    NUMBER_ENTITIES,
    is_aadhaar,
    is_card,
    is_ssn,
    phone_e164,
)
from callintel_dagster.privacy.spoken import DigitRun, digit_runs

_SUFFIX = r"(?:\s+(?:number|numbers|num|no\.?|id|nos|details))?"
_CUES = re.compile(
    r"\b(?:"
    r"(?P<account>account|a/c|acct|khata|bank\s+(?:number|no))"
    r"|(?P<aadhaar>aadha+r|adhaar|adhar|uidai|uid)"
    r"|(?P<card>card|debit|credit|visa|mastercard|rupay|amex)"
    r"|(?P<ssn>social\s+security|ssn|social)"
    r"|(?P<other>order|ticket|invoice|booking|reference|ref|tracking|awb|pnr|otp|pin\s*code|"
    r"pincode|policy|serial|model|case|complaint|transaction|txn|utr|consignment|shipment|"
    r"customer\s+id|emp(?:loyee)?\s+id|gst|gstin|imei|flight|train|batch|sku|lot)"
    r"|(?P<phone>phone|mobile|number|call|whatsapp|contact|reach|cell|landline|alternate|dial|"
    r"fon|phn)"
    r")" + _SUFFIX + r"\b",
    re.IGNORECASE,
)
_UNIT_AFTER = re.compile(
    r"\s*(?:rupees|rs\b|inr|dollars|bucks|lakh|lakhs|crore|percent|%|sq\.?\s*ft|square|km|kg|"
    r"minutes|mins|hours|hrs|days|months|years|am\b|pm\b|o'clock|baje|points)",
    re.IGNORECASE,
)
_WINDOW = 60  # characters before a number in which a cue still speaks for it
_STITCH_GAP = 80  # at most one short turn between the two pieces of a number
_MIN_DIGITS, _MAX_DIGITS = 9, 19  # an SSN or a short account number .. the longest card


class NumberRecognizer(LocalRecognizer):
    def __init__(self) -> None:
        super().__init__(supported_entities=list(NUMBER_ENTITIES), name="callintel_numbers")

    def load(self) -> None:  # nothing to load: tables and libphonenumber metadata
        pass

    def analyze(self, text, entities, nlp_artifacts=None) -> list[RecognizerResult]:
        wanted = set(entities or NUMBER_ENTITIES)
        runs = digit_runs(text)
        found = [_entities_in(run, text) for run in runs]
        for k in range(len(runs) - 1):
            if not found[k] and not found[k + 1]:
                found[k] += _stitched(runs[k], runs[k + 1], text)
        return [
            RecognizerResult(entity, start, end, 0.9)
            for entities_of_run in found
            for entity, start, end in entities_of_run
            if entity in wanted
        ]


def _stitched(first: DigitRun, second: DigitRun, text: str) -> list[tuple[str, int, int]]:
    """A number interrupted by a whole turn: "my number is 98450" / "sorry, the line dropped" /
    "12345". Both pieces are taken only when neither is a number alone, a turn break lies
    between them, and a cue announced the number (without one, two stray fragments of an
    unrelated conversation could add up to a valid phone)."""
    start, gap_start = first.span(0, len(first.tokens))
    gap_end = second.tokens[0].start
    gap = text[gap_start:gap_end]
    if gap_end - gap_start > _STITCH_GAP or not any(c in gap for c in "\n\u2029"):
        return []
    cue = _nearest_cue(text, start)
    if cue in (None, "other"):
        return []
    joined = DigitRun(first.tokens + second.tokens)
    entity = _classify(joined, 0, len(joined.tokens), text, cue)
    if not entity:
        return []
    return [
        (entity, *first.span(0, len(first.tokens))),
        (entity, *second.span(0, len(second.tokens))),
    ]


def _entities_in(run: DigitRun, text: str) -> list[tuple[str, int, int]]:
    """Greedy from the left: the longest slice starting here that is an identifier."""
    found, i, n = [], 0, len(run.tokens)
    while i < n:
        ends, length = [], 0
        for j in range(i + 1, n + 1):  # only slices that can hold an identifier (<= 19 digits)
            length += len(run.tokens[j - 1].digits)
            if length > _MAX_DIGITS:
                break
            ends.append(j)
        cue = _nearest_cue(text, run.tokens[i].start) if length >= _MIN_DIGITS else None
        for j in reversed(ends):
            entity = _classify(run, i, j, text, cue)
            if entity:
                found.append((entity, *run.span(i, j)))
                i = j
                break
        else:
            i += 1
    return found


def _classify(run: DigitRun, i: int, j: int, text: str, cue: str | None) -> str | None:
    plus = run.tokens[i].digits == ""
    digits = run.digits(i, j)
    if not _MIN_DIGITS <= len(digits) <= _MAX_DIGITS or (plus and j == i + 1):
        return None
    end = run.span(i, j)[1]
    if _UNIT_AFTER.match(text, end):
        return None
    if cue == "other":
        return None
    if cue == "account" and len(digits) <= 18:
        return "ACCOUNT"
    if cue == "aadhaar" and is_aadhaar(digits):
        return "AADHAAR"
    if cue == "card" and is_card(digits):
        return "CARD"
    if cue == "ssn" and is_ssn(digits):
        return "SSN"
    groups = [len(t.digits) for t in run.tokens[i:j]]
    if is_aadhaar(digits) and groups == [4, 4, 4]:
        return "AADHAAR"  # written as Aadhaar cards print it
    if phone_e164(digits, plus):
        return "PHONE"
    if is_aadhaar(digits):
        return "AADHAAR"
    if is_card(digits):
        return "CARD"
    if groups == [3, 2, 4] and all(t.written for t in run.tokens[i:j]) and is_ssn(digits):
        return "SSN"
    return None


def _nearest_cue(text: str, start: int) -> str | None:
    window = text[max(0, start - _WINDOW) : start]
    last = None
    for match in _CUES.finditer(window):
        last = match
    return last.lastgroup if last else None
