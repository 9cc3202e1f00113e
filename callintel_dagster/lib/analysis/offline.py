"""Offline call analyser: VADER sentiment plus regex rules, filling the same `CallAnalysis` an LLM
will fill later. It needs no network or model download, so every deployment gets an analysis.

- Sentiment: VADER compound score per turn; the call score is the mean over customer turns (the
  customer's mood is what predicts the outcome), or over all turns when none is the customer's.
  Label: >= 0.05 positive, <= -0.05 negative, else neutral (VADER's published cut-offs). VADER is
  English-only; a few Hinglish words are added to its lexicon, but Hindi negation after the word
  ("accha nahi") is not understood.
- BANT: patterns on customer sentences (the matching sentence is the evidence); authority also
  when the agent asks about the decision and the next customer turn starts with yes/haan, and is
  withdrawn if the customer says someone else decides. Qualified = at least 3 of 4.
- Objections: taxonomy patterns on customer turns, in order of first mention.
- Outcome, first rule that matches: no customer speech -> unknown; wrong number; purchase (buyer
  words or payment made) -> purchased; booking confirmed -> booked/interested; customer not
  interested; callback, later or "let me think" -> callback/follow_up; support issue; BANT
  qualified; objections with no BANT signal -> not_interested; else unqualified.
- Summary: outcome and objections, then the most informative customer and agent sentence
  (most pattern hits, then length), quoted and clipped to fit 240 characters.

When no turn is labelled customer (no diarisation), the unlabelled turns are read as the
customer's. Transcript text is only matched and quoted, never followed as instructions, so text
injected into a call cannot change the output's shape.
"""

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from .checklist import DEFAULT_CHECKLIST, ChecklistItem, score_checklist
from .patterns import (
    AFFIRMATIVE,
    AUTHORITY_QUESTION,
    BANT_PATTERNS,
    HINGLISH_LEXICON,
    OBJECTION_PATTERNS,
    OUTCOME_PATTERNS,
    PURCHASE_DONE,
    clip,
    find,
    sentences,
)
from .schema import BANT_ITEMS, Bant, CallAnalysis, Sentiment

OFFLINE_MODEL = "callintel-rules-v1 (rules-based, no LLM)"
OFFLINE_AGENT_VERSION = "rules-1.1.0"  # bump on any rule, pattern or checklist change
MIN_TRANSCRIPT_CHARS = 15
SENTIMENT_THRESHOLD = 0.05
SUMMARY_MAX_CHARS = 240

_OUTCOME_PHRASE = {
    "purchased": "Purchase made",
    "booked": "Booking confirmed",
    "callback": "Callback requested",
    "qualified": "Qualified lead",
    "unqualified": "Lead not yet qualified",
    "not_interested": "Customer not interested",
    "support": "Support call",
    "wrong_number": "Wrong number",
    "unknown": "Unclear outcome",
}


@lru_cache(maxsize=1)
def _analyzer() -> Any:
    # Building the analyser parses the lexicon file (~100 ms): do it once per process, lazily.
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    sia = SentimentIntensityAnalyzer()
    for word, valence in HINGLISH_LEXICON.items():
        sia.lexicon.setdefault(word, valence)
    return sia


def run_guardrails(transcript_text: str | None) -> str | None:
    """Why a transcript should not be analysed, or None when it is fine."""
    text = (transcript_text or "").strip()
    if not text:
        return "empty_transcript"
    if len(text) < MIN_TRANSCRIPT_CHARS:
        return "transcript_too_short"
    return None


def _texts(turns: Sequence[dict[str, Any]], role: str) -> list[str]:
    return [t.get("text") or "" for t in turns if t.get("role") == role and t.get("text")]


def _sentiment(customer: list[str], everyone: list[str]) -> Sentiment:
    texts = customer or everyone
    scores = [_analyzer().polarity_scores(t)["compound"] for t in texts]
    score = round(sum(scores) / len(scores), 4) if scores else 0.0
    label = (
        "positive"
        if score >= SENTIMENT_THRESHOLD
        else "negative"
        if score <= -SENTIMENT_THRESHOLD
        else "neutral"
    )
    return Sentiment(label=label, score=score)


def _bant(turns: Sequence[dict[str, Any]], customer_role: str) -> Bant:
    found: dict[str, str] = {}
    asked_authority = False
    for t in turns:
        text, role = t.get("text") or "", t.get("role")
        if role == "agent":
            asked_authority = asked_authority or find(AUTHORITY_QUESTION, text)
            continue
        if role != customer_role or not text:
            continue
        for sentence in sentences(text):  # quote the sentence that matched, not the whole turn
            for item in BANT_ITEMS:
                if item not in found and find(BANT_PATTERNS[item], sentence):
                    # "I don't need it" mentions need but is its opposite.
                    if item == "need" and find(OBJECTION_PATTERNS["no_need"], sentence):
                        continue
                    found[item] = clip(sentence, 160)
        if asked_authority and "authority" not in found and find(AFFIRMATIVE, text):
            found["authority"] = clip(text, 160)
        asked_authority = False
    if any(find(OBJECTION_PATTERNS["authority"], c) for c in _texts(turns, customer_role)):
        found.pop("authority", None)  # "I'm the owner, but I'll ask my partner" is not authority
    flags = {item: item in found for item in BANT_ITEMS}
    return Bant(**flags, qualified=sum(flags.values()) >= 3, evidence=found)


def _objections(customer: list[str]) -> list[str]:
    out: list[str] = []
    for text in customer:
        out += [k for k, pats in OBJECTION_PATTERNS.items() if k not in out and find(pats, text)]
    return out


def _outcome(
    customer: list[str],
    everyone: list[str],
    bant: Bant,
    objections: list[str],
    sentiment: Sentiment,
) -> tuple[str, str]:
    """(contact_tag, lead_status); first matching rule wins, strongest evidence first."""

    def hit(key: str, texts: list[str]) -> bool:
        return any(find(OUTCOME_PATTERNS[key], t) for t in texts)

    if not customer:  # voicemail or a one-sided recording: nothing to judge the lead by
        return "follow_up", "unknown"
    if hit("wrong_number", everyone):
        return "not_interested", "wrong_number"
    if hit("purchased", customer) or any(find(PURCHASE_DONE, t) for t in everyone):
        return "purchased", "purchased"
    if hit("booked", everyone):
        return "interested", "booked"
    if hit("not_interested", customer):
        return "not_interested", "not_interested"
    # "Let me think about it" is a callback in practice, even if no one names a time.
    if hit("callback", everyone) or find(OBJECTION_PATTERNS["think_about_it"], " ".join(customer)):
        return "follow_up", "callback"
    if hit("support", everyone):
        return "follow_up", "support"  # a support call usually needs someone to close the loop
    if bant.qualified:
        return "interested", "qualified"
    if objections and not any(getattr(bant, i) for i in BANT_ITEMS):
        return "not_interested", "not_interested"  # objected and showed no buying signal at all
    warm = bant.need or sentiment.label == "positive"
    return ("interested" if warm else "follow_up"), "unqualified"


# A sentence is informative when it carries BANT, objection, outcome or offer/next-step content.
_INFORMATIVE = [
    *BANT_PATTERNS.values(),
    *OBJECTION_PATTERNS.values(),
    *OUTCOME_PATTERNS.values(),
    PURCHASE_DONE,
    *(
        ci.patterns
        for ci in DEFAULT_CHECKLIST
        if ci.item in {"Presents the offer or price", "Proposes a next step or booking"}
    ),
]


# Every informative pattern in one: most sentences match none, and then one search settles it.
_ANY_INFORMATIVE = [p for group in _INFORMATIVE for p in group]


def _informative_groups(sentence: str) -> int:
    """How many of the informative groups match the sentence."""
    if not find(_ANY_INFORMATIVE, sentence):
        return 0
    return sum(find(g, sentence) for g in _INFORMATIVE)


def _best_sentence(texts: list[str]) -> str | None:
    best, best_key = None, (-1, -1)
    for text in texts:
        for sentence in sentences(text):
            words = len(sentence.split())
            if words < 3:  # never quoted: no need to count its groups
                continue
            key = (_informative_groups(sentence), min(words, 20))
            if key > best_key:  # strict ">" keeps the earliest on ties
                best, best_key = sentence.rstrip(".").replace('"', "'"), key
    return best


def _summary(customer: list[str], agent: list[str], lead_status: str, objections: list[str]) -> str:
    head = _OUTCOME_PHRASE[lead_status]
    if objections:
        head += f" (objections: {', '.join(objections)})"
    quotes = [
        (who, s)
        for who, s in (("customer", _best_sentence(customer)), ("agent", _best_sentence(agent)))
        if s
    ]
    room = SUMMARY_MAX_CHARS - len(head) - 1 - sum(len(f'; {w} said ""') for w, _ in quotes)
    parts = [head]
    for i, (who, sentence) in enumerate(quotes):
        share = room // (len(quotes) - i)  # unused room from a short quote passes to the next
        quote = clip(sentence, share)
        room -= len(quote)
        parts.append(f'{who} said "{quote}"')
    return ("; ".join(parts))[: SUMMARY_MAX_CHARS - 1] + "."  # slice is a no-op safety net


def analyse_offline(
    turns: Sequence[dict[str, Any]], checklist: Sequence[ChecklistItem] = DEFAULT_CHECKLIST
) -> CallAnalysis:
    """Analyse one call's turns with rules only. Run `run_guardrails` first to skip junk."""
    everyone = [t.get("text") or "" for t in turns if t.get("text")]
    # Without diarisation nothing is labelled customer: read the unlabelled turns instead.
    customer_role = "customer" if _texts(turns, "customer") else "unknown"
    customer, agent = _texts(turns, customer_role), _texts(turns, "agent")
    sentiment = _sentiment(customer, everyone)
    bant = _bant(turns, customer_role)
    objections = _objections(customer)
    contact_tag, lead_status = _outcome(customer, everyone, bant, objections, sentiment)
    return CallAnalysis(
        summary=_summary(customer, agent, lead_status, objections),
        sentiment=sentiment,
        bant=bant,
        objections=objections,
        quality=score_checklist(turns, checklist),
        contact_tag=contact_tag,
        lead_status=lead_status,
    )
