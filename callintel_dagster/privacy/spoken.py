"""Runs of digits as a caller says them: written, grouped, spoken in English or Hindi words.

A call centre hears "98765 43210", "+91-98765-43210", "nine eight seven six five four three two
one zero", "double nine", "ninety eight", "nau aath saat chhe" and numbers split over two turns.
`digit_runs` finds each maximal run of number tokens (separators, fillers and turn breaks may sit
between them) and keeps every token's span, so a recogniser can test any contiguous slice of a
run (a run may hold two numbers said one after the other) and report the exact characters.
"""

import re
from dataclasses import dataclass

_UNITS = {
    "zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
    # Hindi / Hinglish number words as they are transliterated in transcripts
    "shunya": "0", "shoonya": "0", "sunya": "0", "ek": "1", "do": "2", "teen": "3", "tin": "3",
    "char": "4", "chaar": "4", "paanch": "5", "panch": "5", "paach": "5", "chhe": "6",
    "chhah": "6", "chheh": "6", "chah": "6", "che": "6", "saat": "7", "sat": "7", "aath": "8",
    "aat": "8", "nau": "9", "nao": "9",
}  # fmt: skip
_TEENS = {
    "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14",
    "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19",
}  # fmt: skip
_TENS = {
    "twenty": "2", "thirty": "3", "forty": "4", "fifty": "5", "sixty": "6", "seventy": "7",
    "eighty": "8", "ninety": "9",
}  # fmt: skip
_REPEAT = {"double": 2, "triple": 3}
# What speech-to-text writes for a digit said inside a number ("nine eight for three", "to one");
# read as digits only between two number tokens, so "call me to confirm" stays words.
_HOMOPHONES = {"for": "4", "to": "2", "too": "2", "won": "1", "ate": "8"}
# Words that may sit inside a number without ending it ("nine eight uh seven six").
# Backchannels too: the listener's "uh huh" / "haan ji" / "okay" is often its own turn.
_FILLERS = {
    "uh", "um", "umm", "hmm", "er", "huh", "haan", "ha", "han", "ji", "okay", "ok", "achha",
    "acha", "yes", "yeah", "right",
}  # fmt: skip
# Letter tokens that `_read` reads as a number, or that begin "double nine": the only words that
# can start a run (homophones and fillers count only inside one). Most words of a call are none.
_STARTS = frozenset([*_UNITS, *_TEENS, *_TENS, "hundred", *_REPEAT])
# Between two tokens of one run: spaces, line breaks (turn boundaries), dashes, dots, commas,
# the brackets of "(212) 730-8804".
_GAP = re.compile(r"[\s\-\u2010-\u2015.,()]*")
_TOKEN = re.compile(r"\+|\d+|[A-Za-z]+")  # \d: Devanagari digits (९८७) too


@dataclass(frozen=True)
class NumberToken:
    start: int
    end: int
    digits: str  # "" for a lone "+" (it prefixes the next token)
    written: bool  # digits as written, not words


@dataclass(frozen=True)
class DigitRun:
    tokens: tuple[NumberToken, ...]

    def digits(self, i: int, j: int) -> str:
        return "".join(t.digits for t in self.tokens[i:j])

    def span(self, i: int, j: int) -> tuple[int, int]:
        return self.tokens[i].start, self.tokens[j - 1].end


def digit_runs(text: str) -> list[DigitRun]:
    """Every maximal run of number tokens in `text`, with the spans of its tokens."""
    runs: list[DigitRun] = []
    current: list[NumberToken] = []
    last_end = -1
    pending: tuple[int, int] | None = None  # a "double"/"triple" waiting for its digit
    for match in _TOKEN.finditer(text):
        word, start, end = match.group(), match.start(), match.end()
        if start < last_end:  # already read as part of "ninety eight"
            continue
        lower = word.lower()
        if not current and pending is None and word[0].isalpha() and lower not in _STARTS:
            continue  # outside a run, a word that cannot start one: what the branches below do
        token = _read(word, lower, start, end, text)
        gap_start = pending[0] if pending is not None else start
        joined = bool(current) and _GAP.fullmatch(text, last_end, gap_start) is not None
        if token is None and lower in _HOMOPHONES and joined and _number_follows(text, end):
            token = NumberToken(start, end, _HOMOPHONES[lower], False)
        if token is None and lower in _REPEAT and pending is None:
            pending = (start, _REPEAT[lower])
            continue
        if token is None and lower in _FILLERS and joined and pending is None:
            last_end = end  # the run goes on across the filler
            continue
        if token is None:
            if current:
                runs.append(DigitRun(tuple(current)))
            current, pending = [], None
            continue
        if pending is not None and token.digits:
            repeat = token.digits[-1] * (pending[1] - 1)
            token = NumberToken(pending[0], end, repeat + token.digits, token.written)
        pending = None
        if current and not joined:
            runs.append(DigitRun(tuple(current)))
            current = []
        current.append(token)
        last_end = token.end
    if current:
        runs.append(DigitRun(tuple(current)))
    return runs


def _number_follows(text: str, end: int) -> bool:
    follow = re.match(r"[\s\-.,]+([0-9]+|[A-Za-z]+)", text[end : end + 24])
    if not follow:
        return False
    word = follow.group(1).lower()
    return word.isdigit() or word in _UNITS or word in _TEENS or word in _TENS or word in _REPEAT


def _read(word: str, lower: str, start: int, end: int, text: str) -> NumberToken | None:
    if word == "+":
        return NumberToken(start, end, "", True)
    if word.isdigit():
        # digits glued to letters (ORD12345, 2BHK) are part of a code, not a spoken number
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if before.isalpha() or after.isalpha():
            return None
        return NumberToken(start, end, "".join(str(int(c)) for c in word), True)
    if lower in _UNITS:
        return NumberToken(start, end, _UNITS[lower], False)
    if lower in _TEENS:
        return NumberToken(start, end, _TEENS[lower], False)
    if lower in _TENS:
        # "ninety eight" is one token "98"; a lone "ninety" is "90"
        follow = re.match(r"[\s\-]+([A-Za-z]+)", text[end:])
        unit = follow and follow.group(1).lower()
        if unit in _UNITS and unit not in ("oh", "o", "zero"):
            return NumberToken(start, end + follow.end(), _TENS[lower] + _UNITS[unit], False)
        return NumberToken(start, end, _TENS[lower] + "0", False)
    if lower == "hundred":
        return NumberToken(start, end, "00", False)
    return None
