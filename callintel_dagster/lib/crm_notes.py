"""The text callintel writes back to a tenant's CRM for one analysed call (pure: no I/O).

Plain text without links: a CRM note is read by sales reps and indexed by the CRM's search, so the
LLM's summary is reduced to one line and any URL in it is dropped. Every note ends with a
reference line naming the call and the analysis version: a re-run can find a note it already
wrote (after an interrupted write) by looking for that line on the lead.
"""

import re
import string
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SUMMARY_MAX = 280  # one line, as seed 000's pastConversations recap
ZOHO_TITLE_MAX = 120  # Zoho's Note_Title length
ZOHO_CONTENT_MAX = 5000  # far below Zoho's limit; a note longer than this is not a one-liner
LSQ_NOTE_MAX = 2000  # LeadSquared ActivityNote (UNCONFIRMED: kept well inside common limits)
TITLE_FIELDS = ("tag", "status", "time", "date")

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class CallNote:
    """What one analysed call contributes to the CRM (a row of core.call_analyses + fct_calls)."""

    call_id: str
    agent_version: str
    contact_tag: str | None
    lead_status: str | None
    summary: str | None
    started_at_utc: datetime  # naive UTC
    timezone: str  # the tenant's, for the call time a rep reads

    @property
    def reference(self) -> str:
        return f"callintel ref: {self.call_id} / {self.agent_version}"


def label(value: str | None) -> str:
    """`follow_up` → `Follow up`; empty → `Unknown`."""
    text = one_line(value or "").replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else "Unknown"


def one_line(text: str, limit: int = SUMMARY_MAX) -> str:
    """One line of plain text: links removed, whitespace collapsed, cut at a word boundary."""
    text = _URL.sub("", _CONTROL.sub(" ", text))
    text = _SPACE.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut.rstrip(" ,;:-") + "…"


def call_time(note: CallNote) -> str:
    local = note.started_at_utc.replace(tzinfo=UTC).astimezone(ZoneInfo(note.timezone))
    return local.strftime("%d %b %Y %H:%M %Z")


def check_title_template(template: str) -> str:
    """A title template may only use TITLE_FIELDS; raises ValueError naming them otherwise."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ValueError(f"not a valid template: {exc}") from None
    unknown = names - set(TITLE_FIELDS)
    if unknown:
        allowed = ", ".join("{" + f + "}" for f in TITLE_FIELDS)
        raise ValueError(f"unknown placeholder(s) {sorted(unknown)}; use {allowed}")
    return template


def note_title(note: CallNote, template: str, limit: int = ZOHO_TITLE_MAX) -> str:
    local = note.started_at_utc.replace(tzinfo=UTC).astimezone(ZoneInfo(note.timezone))
    title = template.format(
        tag=label(note.contact_tag),
        status=label(note.lead_status),
        time=call_time(note),
        date=local.strftime("%d %b %Y"),
    )
    return one_line(title, limit)


def note_content(note: CallNote, limit: int) -> str:
    """Tag, lead status, the one-line summary, the call time and the reference, within `limit`
    characters: the summary is what gets shortened, never the reference."""
    head = [
        f"Contact tag: {label(note.contact_tag)}",
        f"Lead status: {label(note.lead_status)}",
    ]
    tail = [f"Call: {call_time(note)}", note.reference]
    summary = one_line(note.summary or "") or "(no summary)"
    fixed = sum(len(line) + 1 for line in head + tail) + len("Summary: ")
    room = max(limit - fixed, 1)
    lines = [*head, f"Summary: {one_line(summary, room)}", *tail]
    return "\n".join(lines)[:limit]
