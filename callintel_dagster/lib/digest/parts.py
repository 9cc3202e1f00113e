"""What a Twilio WhatsApp digest sends, as pure functions: the message parts of one recipient's
digest, and how per-part delivery statuses combine.

`body` mode splits the text into parts of at most `max_body_chars` (Twilio refuses a Body over
1,600 characters), at a line break when one is near the end of the part, else between words; a
word is cut only when it alone is longer than a part. Each part of a split starts with "(i/n) ",
counted inside the limit. `template` mode sends one message: the approved template's ContentSid
and ContentVariables built from the tenant's mapping. Lengths are counted in Python characters,
as lib/digest/text.py does.

The week's chart (`media_url`) rides on the last body part as its caption when that part fits a
WhatsApp caption (1,024 characters), else on a part of its own with a one-line caption. A
template message carries no MediaUrl: on WhatsApp a template's media is part of the approved
template itself (a twilio/media content template), so template mode sends no chart.
"""

import hashlib
import json
import re
from dataclasses import dataclass

from callintel_dagster.lib.digest.daily_summary import clip_text
from callintel_dagster.lib.tenants.digest_config import TwilioDigest

MAX_VARIABLE_CHARS = 250  # a WhatsApp template body holds 1,024 characters in all
MIN_PART_CHARS = 20  # room for the "(99/99) " label and some text
MAX_CAPTION_CHARS = 1024  # WhatsApp's limit for the text shown with an image
# Twilio's statuses in the order a message moves through them; a callback or poll that arrives
# late (Twilio does not order callbacks) must never move a part backwards.
_RANK = {
    "sending": 0,  # the ledger's own marker: committed before the API call, no sid yet
    "retry": 0,  # a transient failure used up its attempts: the next run sends it
    "accepted": 1,
    "scheduled": 1,
    "queued": 1,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "canceled": 4,
    "read": 5,
}
FAILED = frozenset({"failed", "undelivered", "canceled"})
SETTLED = FAILED | {"delivered", "read"}  # nothing more to poll for


@dataclass(frozen=True)
class Part:
    index: int  # 0-based
    parts: int
    mode: str  # template | body
    body: str | None = None
    content_sid: str | None = None
    content_variables: str | None = None  # the JSON string Twilio takes
    media_url: str | None = None  # the chart's signed URL (Twilio's MediaUrl)

    @property
    def sha256(self) -> str:
        """Identifies what this part says (the ledger's body_sha256). Not the media URL: its
        signature is made afresh each run, and a retry must still find the part's ledger row."""
        text = self.body if self.mode == "body" else f"{self.content_sid}\n{self.content_variables}"
        return sha256(text or "")

    def matches(self, body: str | None) -> bool:
        """Whether a message Twilio holds, with this `body`, is this part. A template message's
        body is the rendered template, which contains every variable's value verbatim."""
        if self.mode == "body":
            return body is not None and sha256(body) == self.sha256
        values = json.loads(self.content_variables or "{}").values()
        return bool(body) and all(v in body for v in values)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _label(i: int, n: int) -> str:
    return f"({i}/{n}) "


def _chunks(text: str, budget: int) -> list[str]:
    chunks, rest = [], text
    while len(rest) > budget:
        window = rest[: budget + 1]  # a break right after `budget` characters still fits
        cut = window.rfind("\n")
        if cut < budget // 2:  # a line break too early would waste most of the part
            cut = max(cut, window.rfind(" "))
        if cut <= 0:  # one word longer than a whole part: cut it
            chunk, rest = rest[:budget], rest[budget:]
        else:
            chunk, rest = rest[:cut], rest[cut + 1 :]
        if chunk.strip():
            chunks.append(chunk.rstrip())
        rest = rest.lstrip(" \n")
    if rest.strip():
        chunks.append(rest)
    return chunks


def split_body(text: str, max_chars: int) -> list[str]:
    """`text` as message bodies of at most `max_chars`; numbered "(i/n) " when more than one."""
    if max_chars < MIN_PART_CHARS:
        raise ValueError(f"max_chars must be at least {MIN_PART_CHARS}")
    text = text.strip()
    if len(text) <= max_chars:
        return [text]
    n = 2
    while True:  # the label's width depends on the part count: grow it until the labels fit
        chunks = _chunks(text, max_chars - len(_label(n, n)))
        if len(_label(len(chunks), len(chunks))) <= len(_label(n, n)):
            return [_label(i, len(chunks)) + c for i, c in enumerate(chunks, 1)]
        n = len(chunks)


def sanitize_variable(value: object, max_chars: int = MAX_VARIABLE_CHARS) -> str:
    """One template variable: Twilio refuses newlines, tabs, more than four consecutive spaces and
    empty values. Lines become " | "-separated; the value is clipped at a word boundary."""
    lines = [
        " ".join(line.split()) for line in str(value if value is not None else "").splitlines()
    ]
    flat = re.sub(r"\s+", " ", " | ".join(line for line in lines if line)).strip()
    return clip_text(flat, max_chars) if flat else "–"


def template_variables(
    mapping: dict[str, str], facts: dict[str, str], max_chars: int = MAX_VARIABLE_CHARS
) -> str:
    """ContentVariables JSON, e.g. {"1": "Wed 18 Nov 2026", "2": "4 booked from 30 calls"}."""
    keys = sorted(mapping, key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else 0, k))
    values = {k: sanitize_variable(facts.get(mapping[k]), max_chars) for k in keys}
    return json.dumps(values, ensure_ascii=False)


def chart_caption(facts: dict[str, str]) -> str:
    """The text of a part that carries only the chart."""
    return f"📈 {clip_text(facts['tenant_name'], 80)} · week to {facts['date']}"


def plan_parts(
    config: TwilioDigest, facts: dict[str, str], media_url: str | None = None
) -> list[Part]:
    """The parts one recipient gets: the same for every run, given the same facts (and, in body
    mode, whether a chart is attached)."""
    if config.mode == "template":
        variables = template_variables(config.content_variables, facts)
        return [Part(0, 1, "template", content_sid=config.content_sid, content_variables=variables)]
    bodies = split_body(facts["body"], config.max_body_chars)
    if media_url and len(bodies[-1]) > MAX_CAPTION_CHARS:
        bodies.append(chart_caption(facts))
    last = len(bodies) - 1
    return [
        Part(i, len(bodies), "body", body=b, media_url=media_url if i == last else None)
        for i, b in enumerate(bodies)
    ]


def advance(old: str | None, new: str | None) -> str | None:
    """The status to keep when `new` arrives for a part at `old`: never backwards."""
    if not new:
        return old
    if not old:
        return new
    return new if _RANK.get(new, 1) >= _RANK.get(old, 1) else old


def overall_status(statuses: list[str]) -> str:
    """One recipient's digest status from its parts' statuses (delivery.digests)."""
    if not statuses:
        return "sending"
    if any(s in FAILED for s in statuses):
        return "failed"
    return min(statuses, key=lambda s: _RANK.get(s, 1))
