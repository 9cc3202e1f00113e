"""Regex vocabularies for the offline analyser: English plus common romanised Hindi (Hinglish).

All patterns are matched case-insensitively, one turn at a time. They are deliberately
conservative: a missed signal costs less than a false "booked" in a manager's digest.
Changing anything here changes analyses, so bump `OFFLINE_AGENT_VERSION` in offline.py.
"""

import re
from collections.abc import Callable, Iterable

_AMOUNT = r"\d[\d,.]*\s?(?:k|lakh|lakhs|lac|crore|cr|hazaar|hazar|thousand|rupees|rupaye|rs)\b"

# Customer-side evidence for each BANT item.
BANT_PATTERNS: dict[str, list[str]] = {
    "budget": [
        r"\bbudget\b",
        r"\b" + _AMOUNT,
        r"(?:₹|\$|\brs\.?|\binr)\s?\d",
        r"\bafford\b",
        r"\b(?:spend|invest|kharch)\w*\b",
        r"\b(?:emi|down ?payment|loan)\b",
    ],
    "authority": [
        r"\bi(?:'m| am) the (?:owner|decision maker|director|founder|ceo|md|head|proprietor)\b",
        r"\bi (?:decide|make the decision|take the decision|sign off|approve)\b",
        r"\b(?:main|mai|mein) (?:hi|khud) (?:decide|decision|faisla)\b",
        r"\b(?:my|mera|meri) (?:own )?(?:decision|company|business|dukaan)\b",
        r"\bowner (?:hoon|hu|hun|main hoon)\b",
        r"\bdecision (?:mera|meri)(?: hi)? hai\b",
        r"\b(?:it'?s|its) my call\b",
        r"\bi run the (?:business|company|shop)\b",
        r"\bi(?:'ll| will) decide\b",
    ],
    "need": [
        # "I need to ask my boss" is an authority objection, not a need.
        r"\b(?:need|needs|needed)\b(?! to (?:ask|check|talk|discuss|think|consult|speak))",
        r"\b(?:require|requirement|looking for|want|wanted)\b",
        r"\binterested in\b",
        r"\b(?:chahiye|zaroorat|zarurat|jarurat|dhoondh)\w*\b",
    ],
    "timeline": [
        r"\b(?:next|this|coming) (?:week|month|quarter|year)\b",
        r"\b(?:agle|is|iss) (?:hafte|mahine|saal)\b",
        r"\b(?:kal|parso|tomorrow)\b",
        r"\bwithin (?:a|\d+) (?:day|week|month)s?\b",
        r"\b\d+ (?:din|hafte|mahine)\b",
        r"\b(?:asap|immediately|urgent|urgently|jaldi|turant)\b",
        r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
        r"\bby (?:the )?end of\b",
    ],
}

# Agent asks whether the customer decides; a "yes" in the next customer turn shows authority.
AUTHORITY_QUESTION = [
    r"\bdecision ?maker\b",
    r"\b(?:are you|will you be) the (?:one|person)\b.*\bdecid",
    r"\b(?:you|aap|ap) (?:hi|khud)? ?(?:decide|decision le)\w*\b.*\?",
    r"\bdo you (?:make|take) the (?:final )?decision\b",
    r"\bdecision (?:aap|ap) (?:hi|khud)\b",
]
AFFIRMATIVE = [
    r"^\W*(?:yes|yeah|yep|yup|haan|han|haanji|ji haan|ji|correct|right|sure|bilkul|of course)\b",
]

# Customer-side objections, keyed by the taxonomy in schema.Objection ("other" is LLM-only).
OBJECTION_PATTERNS: dict[str, list[str]] = {
    "price": [
        r"\b(?:too|very|bahut|kaafi|thoda) (?:expensive|costly|mehenga|mehnga|mahanga)\b",
        r"\b(?:expensive|costly|mehenga|mehnga|mahanga|overpriced)\b",
        r"\bcan(?:'|no)?t afford\b",
        r"\b(?:out of|over|above) (?:my |our )?budget\b",
        r"\bbudget (?:nahi|nahin|kam)\b",
        r"\bprice (?:is )?(?:too |very |bahut )?(?:high|zyada|jyada)\b",
        r"\btoo high\b",
        r"\b(?:paisa|price|rate|cost|premium|fees?|phir) (?:bhi |bahut |thoda )?(?:zyada|jyada)\b",
        r"\bnot worth\b",
        r"\bworth that much\b",
        r"\bdo better than\b",
        r"\b(?:kam|less) (?:karo|kar do|kijiye|kar sakte)\b",
        r"\bany discount\b",
    ],
    "competitor": [
        r"\balready (?:using|use|have|bought|working with)\b",
        r"\bcompetitor\b",
        r"\b(?:other|another|dusri|doosri) (?:company|vendor|provider|agency)\b",
        r"\bcheaper (?:elsewhere|somewhere|offer)\b",
        r"\bpaas already\b",
        r"\bsasta\b",
        r"\b(?:quoted|offered|offering) (?:us |me )?(?:much |a lot )?(?:less|cheaper|lower)\b",
        r"\bpehle se (?:hi )?(?:use|le|liya|laga|hai)\w*\b",
    ],
    "timing": [
        r"\bno time\b",
        r"\bbusy (?:hoon|hu|hun|hai|right now|at the moment)\b",
        r"\bnot (?:the )?right time\b",
        r"\bnot now\b",
        r"\babhi (?:nahi|nahin|time nahi)\b",
        r"\b(?:call|baat) (?:me )?later\b",
        r"\bbaad mein\b",
        r"\btime nahi hai\b",
        r"\b(?:don'?t|do not) have (?:the |any )?time\b",
        r"\b(?:driving|in a meeting)\b",
        r"\bmeeting mein (?:hoon|hu|hun|hain)\b",
    ],
    "no_need": [
        r"\b(?:don'?t|do not|doesn'?t) (?:need|want)\b",
        r"\bno need\b",
        r"\bnot interested\b",
        r"\bnahi chahiye\b",
        r"\b(?:zaroorat|zarurat|jarurat) nahi\b",
        r"\binterest(?:ed)? nahi\b",
    ],
    "authority": [
        r"\bmanager se (?:puchna|poochna|baat)\b",
        r"\b(?:ghar|family|wife|husband|papa|boss|partner|ghar wal\w*) se "
        r"(?:puchna|poochna|baat)\b",
        r"\b(?:ask|check with|consult|discuss with) (?:my )?(?:boss|manager|wife|husband|partner|"
        r"family|team|director|father)\b",
        r"\bnot (?:my|the) decision\b",
        r"\bi (?:don'?t|do not|can'?t) decide\b",
        r"\bnot the decision ?maker\b",
        r"\bdecision (?:mera|meri) nahi\b",
        r"\b(?:handles|manages) the (?:money|finances|budget)\b",
        r"\b(?:papa|boss|manager|partner|wife|husband) (?:decide|decides|will decide)\b",
    ],
    "trust": [
        r"\b(?:don'?t|do not|can'?t|cannot|how (?:can|do) i|hard to) trust\b",
        r"\btrust (?:issue|nahi)\w*\b",
        r"\b(?:fraud|scam|fake|spam)\b",
        r"\bbh?a?rosa\b",
        r"\b(?:reviews?|references?) (?:dekh|check)\w*\b",
        r"\bnever heard of (?:you|your company)\b",
    ],
    "think_about_it": [
        r"\bsochna padega\b",
        r"\bsoch (?:ke|kar)\b",
        r"\bsochke\b",
        r"\b(?:think|thinking) (?:about it|it over)\b",
        r"\b(?:let me|will|i'll) think\b",
        r"\bget back to you\b",
        r"\bcompare (?:and|karke|kar ke)\b",
    ],
}

# Call outcomes, matched on every turn (agents confirm bookings, customers ask for callbacks).
OUTCOME_PATTERNS: dict[str, list[str]] = {
    "wrong_number": [
        r"\bwrong number\b",
        r"\bgalat number\b",
        r"\b(?:no one|nobody) (?:here )?(?:by|named)\b",
    ],
    # What a buyer says; matched on customer turns only ("I'll take the details" from an agent
    # is not a sale). Payment facts from either side are in PURCHASE_DONE below.
    "purchased": [
        r"\bi(?:'ll| will) (?:buy|purchase|take it)\b",
        r"\bsign me up\b",
        r"\bi(?:'ll| will) take the \w+",
        r"\blet'?s go with the\b",
        r"\b(?:le lunga|le lungi|le lete hain)\b",
        r"\bkharid (?:lunga|lungi|lenge|liya)\b",
        r"\bgo ahead with the (?:purchase|order|plan)\b",
        r"\bfinal kar(?:o|do|dijiye)\b",
    ],
    "booked": [
        r"\b(?:booked|booking (?:is )?(?:confirmed|done))\b",
        r"\b(?:slot|appointment|demo|visit|meeting) (?:is )?(?:confirmed|booked|fixed|fix)\b",
        r"\b(?:slot|appointment|demo|visit|meeting) (?:book|fix|confirm) (?:hai|ho gaya|ho gayi)\b",
        r"\bconfirmed (?:your|the) (?:slot|appointment|demo|visit|meeting)\b",
        r"\bbook kar (?:diya|di|deta|deti|dete)\b",
        r"\bsee you (?:on|at|tomorrow)\b",
    ],
    "not_interested": OBJECTION_PATTERNS["no_need"]
    + [
        r"\b(?:don'?t|do not|mat) call\b",
        r"\bremove (?:my|this) number\b",
        r"\bhappy with (?:it|them|our|what we)\b",
        r"\b(?:signed|gone|went) with\b",
        r"\b(?:don'?t|do not) have time for this\b",
        r"\bby mistake\b",
        r"\bdobara call mat\b",
        r"\btime nahi hai mere paas\b",
    ],
    "callback": [
        r"\bcall (?:me )?(?:back|later|tomorrow|next week|in the evening)\b",
        r"\bcall ?back\b",
        r"\b(?:baad mein|phir se|dobara|kal) (?:call|baat|phone)\b",
        r"\bget back\b",
        r"\bcall (?:karna|karo|karein|kariye|kijiye|karte hain|karenge|karunga|karungi)\b",
        r"\bfollow(?: |-)?up (?:on|karenge|karte|karunga|karungi|next|tomorrow)\b",
        r"\bsend (?:me )?(?:the )?details\b",
        r"\bdetails bhej",
    ],
    "support": [
        r"\b(?:complaint|refund|not working|service request|kaam nahi kar)\w*\b",
        r"\b(?:raise|raised|open|opened) a (?:ticket|complaint)\b",
        r"\bticket (?:number|no)\b",
        r"\b(?:issue|problem) (?:with|in) (?:my|the) (?:order|account|device|product|service)\b",
    ],
}


# A sale recorded by either side: payment made or an order placed.
PURCHASE_DONE = [
    r"\bpayment (?:is )?(?:done|made|received|successful|kar (?:diya|di)|ho gaya)\b",
    r"\bpayment (?:mil gaya|aa gaya)\b",
    r"\bpaid just now\b",
    r"\border (?:is )?(?:placed|confirmed)\b",
    r"\b(?:sent|send|bhej\w*) (?:you |me )?(?:the )?payment link\b",
    r"\bpayment link\b.*\bbhej",
]

# Added to VADER's English lexicon (valence -4..4) so common Hinglish sentiment words register.
HINGLISH_LEXICON = {
    "accha": 0.8,
    "achha": 0.8,
    "acha": 0.8,
    "badhiya": 2.0,
    "badiya": 2.0,
    "shandaar": 2.5,
    "zabardast": 2.5,
    "dhanyavaad": 1.5,
    "dhanyawad": 1.5,
    "shukriya": 1.5,
    "mehenga": -1.5,
    "mehnga": -1.5,
    "mahanga": -1.5,
    "bekar": -2.0,
    "bakwas": -2.5,
    "ghatiya": -2.5,
    "kharab": -2.0,
    "pareshan": -1.5,
    "pareshaan": -1.5,
    "dhokha": -2.5,
    "gussa": -2.0,
}


def find(patterns: Iterable[str], text: str) -> bool:
    """True when any of `patterns` matches `text` (case-insensitively)."""
    key = tuple(patterns)
    matcher = _MATCHERS.get(key)
    if matcher is None:
        matcher = _MATCHERS[key] = _matcher(key)
    return matcher(text)


# Compiled once per pattern group: re.search with a string pattern looks up re's own cache on
# every call, which cost more than the matching itself (the offline analyser calls `find` ~700
# times per call; 2.3x faster overall).
_MATCHERS: dict[tuple[str, ...], Callable[[str], bool]] = {}


def _matcher(patterns: tuple[str, ...]) -> Callable[[str], bool]:
    compiled = [re.compile(p, re.IGNORECASE) for p in patterns]
    # One alternation scans the text once, and matches wherever any of its members matches. Only
    # without capturing groups: a numbered backreference in a tenant's pattern would point at
    # another group once joined. A pattern with inline flags cannot be joined either.
    if compiled and all(c.groups == 0 for c in compiled):
        try:
            joined = re.compile(_alternation(patterns), re.IGNORECASE)
        except re.error:
            joined = None
        if joined is not None:
            return lambda text: joined.search(text) is not None
    return lambda text: any(c.search(text) for c in compiled)


def _alternation(patterns: tuple[str, ...]) -> str:
    r"""All `patterns` as one alternation that matches wherever any of them does, arranged so
    that re tries fewer of them at each position (3x faster on the analyser's 144 informative
    patterns): the patterns whose parse begins with a word boundary sit behind one shared `\b`,
    and among them those whose next item is a literal character sit behind a lookahead for that
    character, one per character. Both are conditions every match of those patterns meets at its
    start, under the same flags, so they only skip branches that could not match there."""
    by_first: dict[str, list[str]] = {}  # first literal after \b ("" when none) -> patterns
    rest: list[str] = []
    for pattern in patterns:
        first = _after_boundary(pattern)
        if first is None:
            rest.append(f"(?:{pattern})")
        else:
            by_first.setdefault(first, []).append(f"(?:{pattern})")
    bounded = [
        (f"(?={re.escape(first)})" if first else "") + f"(?:{'|'.join(group)})"
        for first, group in by_first.items()
    ]
    head = [f"\\b(?:{'|'.join(bounded)})"] if bounded else []
    return "|".join(head + rest)


def _after_boundary(pattern: str) -> str | None:
    r"""The literal character every match starts with after a leading `\b` ("" for none), or
    None when the pattern's parse does not begin with `\b` (or cannot be parsed here)."""
    try:
        items = list(re._parser.parse(pattern, re.IGNORECASE))  # the parse re.compile uses
    except (re.error, AttributeError):
        return None
    if not items or items[0] != (re._constants.AT, re._constants.AT_BOUNDARY):
        return None
    if len(items) > 1 and items[1][0] is re._constants.LITERAL:
        return chr(items[1][1])
    return ""


_SENTENCE_END = re.compile(r"(?<=[.!?।])\s+")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def clip(text: str, limit: int) -> str:
    """One line of at most `limit` characters, cut at a word boundary with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
