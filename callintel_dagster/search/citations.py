"""Citations `[call id @ mm:ss] "quote"`, checked against the stored transcript.

A citation is kept only when its quote occurs **verbatim** in the stored turns of THAT call of
THAT tenant, near the cited moment:

- Verbatim means after normalising whitespace (runs of spaces, tabs and newlines become one
  space; leading and trailing space is dropped) and case (Unicode casefold) only. Punctuation,
  spelling, word order and ellipses must match: a paraphrase, a "..." joining two fragments or a
  corrected typo fails.
- The quote may run across up to `MAX_SPAN_TURNS` consecutive turns (their texts joined by a
  space, without speaker labels): a model sometimes quotes a reply and its follow-up together.
- Near the moment: the cited start must lie within `TOLERANCE_S` seconds of the matching turns'
  window [first turn's start, last turn's end]. A search chunk spans up to ~120 words (about
  45 s of speech) and moments are shown rounded to whole seconds, so 30 s accepts a citation of
  the chunk's or the turn's start and refuses a quote borrowed from another part of the call.
  Turns stored without timings cannot be placed: the quote alone decides.
- `turns_by_call` holds one tenant's turns only (`load_turns` reads them with the tenant id in
  the WHERE clause), so a quote from another tenant's identical call never verifies.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from callintel_dagster.lib.tables import TRANSCRIPT_TURNS
from callintel_dagster.lib.transcripts.moments import mm_ss

TOLERANCE_S = 30.0
MAX_SPAN_TURNS = 3

_CITATION = re.compile(
    r"\[\s*(?P<call>[^\]@\n]+?)\s*@\s*(?:(?P<mm>\d{1,3}):(?P<ss>[0-5]\d)|--:--)\s*\]\s*"
    r"[\"“](?P<quote>[^\"”\n]+)[\"”]"
)
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)
# Words that carry no content for matching a question to a transcript (English and the common
# romanised-Hindi function words of the synthetic calls).
STOPWORDS = frozenset(
    """a an the and or but if then so to of in on at by for with from about into over after before
    is are was were be been being am do does did done doing have has had having can could will would
    shall should may might must not no yes any all some each every this that these those there here
    what which who whom whose when where why how i me my we our you your he him his she her it its
    they them their as than too very just also only ever again more most much many such own same
    let lets get got make made call calls called calling agent agents customer customers caller
    someone anyone something anything mention mentioned mentions say said says ask asked tell told
    hai hain ka ki ke ko se mein main hum aap ye yeh wo woh tha thi the kya kar karna ji haan nahi
    bhi toh""".split()
)


@dataclass(frozen=True)
class Citation:
    call_id: str
    start_s: float | None  # the cited moment, seconds from the start of the call
    quote: str

    def __str__(self) -> str:
        return f'[{self.call_id} @ {mm_ss(self.start_s)}] "{self.quote}"'

    def to_json(self) -> dict:
        return {"call_id": self.call_id, "start_s": self.start_s, "quote": self.quote}


def normalise(text: str) -> str:
    """Whitespace collapsed and case folded: the only liberties the verbatim check takes."""
    return " ".join((text or "").split()).casefold()


def seconds_of(moment: str | None) -> float | None:
    """`mm:ss` -> seconds; None for None or anything else."""
    match = re.fullmatch(r"\s*(\d{1,3}):([0-5]\d)\s*", moment or "")
    return None if match is None else float(int(match.group(1)) * 60 + int(match.group(2)))


def parse_citations(text: str) -> list[Citation]:
    """Every `[call id @ mm:ss] "quote"` in `text` (straight or curly double quotes); `--:--`
    for an untimed call gives a citation without a moment."""
    return [
        Citation(
            m.group("call").strip(),
            None if m.group("mm") is None else float(int(m.group("mm")) * 60 + int(m.group("ss"))),
            m.group("quote"),
        )
        for m in _CITATION.finditer(text or "")
    ]


def why_not(citation: Citation, turns_by_call: dict[str, list[dict]]) -> str | None:
    """None when the citation verifies, else the reason (a code, never the quote)."""
    turns = turns_by_call.get(citation.call_id)
    if not turns:
        return "unknown_call"
    quote = normalise(citation.quote)
    if len(quote) < 2:
        return "empty_quote"
    windows = list(_matching_windows(quote, turns))
    if not windows:
        return "quote_not_in_call"
    if citation.start_s is None:
        return None if all(s is None for s, _ in windows) else "no_moment"
    for start, end in windows:
        if start is None:  # turns without timings: the quote alone decides
            return None
        last = end if end is not None else start
        if start - TOLERANCE_S <= citation.start_s <= last + TOLERANCE_S:
            return None
    return "moment_too_far"


def verify(citation: Citation, turns_by_call: dict[str, list[dict]]) -> bool:
    """True when the quote occurs verbatim in that call's stored turns near the cited moment."""
    return why_not(citation, turns_by_call) is None


def _matching_windows(quote: str, turns: list[dict]):
    """(start_s, end_s) of every run of at most MAX_SPAN_TURNS consecutive turns whose joined,
    normalised text contains `quote` (the shortest run from each first turn)."""
    texts = [normalise(t.get("text") or "") for t in turns]
    for i in range(len(turns)):
        joined = ""
        for j in range(i, min(len(turns), i + MAX_SPAN_TURNS)):
            joined = f"{joined} {texts[j]}" if joined else texts[j]
            if quote in joined:
                yield number(turns[i].get("start_s")), number(turns[j].get("end_s"))
                break


def number(value) -> float | None:
    """A float, or None for None, NaN (a DataFrame's missing value) and anything else."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number  # NaN from a DataFrame: no timing


def cut_quote(text: str, limit: int = 300) -> str:
    """At most `limit` characters of a turn, whitespace normalised and cut at a word: still a
    verbatim run of the turn."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0]


def load_turns(warehouse, tenant_id: str, call_ids: Iterable[str]) -> dict[str, list[dict]]:
    """{call_id: turns in order} of ONE tenant's calls, from core.transcript_turns."""
    ids = sorted(set(call_ids))
    out: dict[str, list[dict]] = {}
    for start in range(0, len(ids), 500):
        batch = ids[start : start + 500]
        frame = warehouse.query(
            "SELECT call_id, turn_index, role, start_s, end_s, text "
            f"FROM {TRANSCRIPT_TURNS.qualified} WHERE tenant_id = ? AND call_id IN "
            f"({', '.join('?' * len(batch))}) ORDER BY call_id, turn_index",
            [tenant_id, *batch],
        )
        for row in frame.to_dict("records"):
            out.setdefault(row["call_id"], []).append(row)
    return out


def content_words(text: str) -> list[str]:
    """The question's words worth matching: lower case, stop words dropped, light stemming."""
    words = [w.casefold() for w in _WORD.findall(text or "")]
    return list(dict.fromkeys(stem(w) for w in words if w not in STOPWORDS and len(w) > 1))


def stem(word: str) -> str:
    """A light English suffix strip (offered, offers, offering -> offer; schedule, scheduled ->
    schedul), enough to match a question's wording to a transcript's."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def words_in(text: str) -> set[str]:
    return {stem(w.casefold()) for w in _WORD.findall(text or "")}
