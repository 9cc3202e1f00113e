"""Answering a digest recipient's WhatsApp question, without the web server (whatsapp_webhook.py
is the thin ASGI layer around this).

1. **Which tenant.** A message is for the Twilio tenants whose business number (`digest.from_number`,
   or `messaging_service_sid`) it was sent To, narrowed to the one in the URL path when the webhook
   is called as `/twilio/inbound/{tenant_id}`, and to those whose account it came from (AccountSid).
   Its `X-Twilio-Signature` must verify with THAT tenant's auth token: the tenant is decided by
   the number, the path and the credentials together, never by the text.
2. **Who.** Only numbers on that tenant's digest `recipients` get an answer; any other sender
   gets nothing (logged with the number masked).
3. **Exactly once.** delivery.whatsapp_questions keeps one row per (tenant, inbound MessageSid) on
   the exactly-once ledger (stages/ledger.py): committed as `received` BEFORE anything is asked
   or sent, `answering` before each reply part goes to Twilio (the part's sid saved after it),
   then `answered` or `failed`. A MessageSid that already has a row, whatever its status, is never
   answered again: a webhook Twilio retries sends nothing twice.
4. **The answer.** `ask` over the tenant's calls of the last `RECENT_DAYS` local days (only
   yesterday's or today's when the question says so), citations
   shortened to call references like `[c-1a2b @ 03:12]`, split into parts of at most 1,600
   characters (lib/digest/parts.py), sent as free-form text: the question opened the recipient's
   24-hour WhatsApp session, so no template is needed.

Logs carry tenant ids, MessageSids, masked numbers and reasons; never a question, an answer, a
full number or a secret.
"""

import hashlib
import logging
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from twilio.request_validator import RequestValidator

from callintel_dagster.lib.dayspan import local_today
from callintel_dagster.lib.digest.daily_summary import clip_text
from callintel_dagster.lib.digest.parts import Part, split_body
from callintel_dagster.lib.phones import is_e164
from callintel_dagster.lib.tables import WHATSAPP_QUESTIONS
from callintel_dagster.lib.tenants.digest_config import TwilioDigest
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.lib.transcripts.moments import mm_ss
from callintel_dagster.providers.base import MessageSender, ProviderError
from callintel_dagster.providers.secrets import secret
from callintel_dagster.providers.whatsapp.twilio_sender import SendResult
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.search.index import EmptyIndex
from callintel_dagster.stages.ledger import Ledger, Step, utcnow

log = logging.getLogger("callintel.inbound")

RECEIVED, ANSWERING, ANSWERED, FAILED = "received", "answering", "answered", "failed"
QUESTION_KEY = ("tenant_id", "message_sid")
RECENT_DAYS = 7  # the calls a reply is about: this many local days before today, and today
MAX_BODY_CHARS = 1600  # Twilio refuses a longer Body
MAX_PARTS = 3  # a longer answer is shortened: a question should not flood the chat
MAX_QUESTION_CHARS = 500  # what is kept of a question for `ask`
MAX_SOURCES = 5  # call references listed when the answer text cites none itself
NOTHING_INDEXED = "None of {name}'s calls can be searched yet: ask again after the next daily run."
INTERRUPTED = "interrupted: the webhook stopped while answering"
TEXT_ONLY = "Please send your question about the calls as a text message."
APOLOGY = "Sorry, I could not answer that just now. Please try again in a few minutes."
_CITED = re.compile(r"\[\s*(?P<call>[^\]@\n]+?)\s*@\s*(?P<at>\d{1,3}:[0-5]\d)\s*\]")


class AnswerLike(Protocol):
    """What `callintel_dagster.search.ask.ask` returns (only these attributes are read)."""

    answer: str
    citations: Sequence[Any]  # each with call_id, start_s, quote
    dropped_citations: int
    mode: str
    cost_usd: float
    not_found: bool


# (tenant, question, first and last local day) -> the answer (see serve.py's ask_answerer)
Answerer = Callable[[Tenant, str, date, date], AnswerLike]


@dataclass(frozen=True)
class Inbound:
    """One inbound WhatsApp message, from Twilio's form fields."""

    message_sid: str
    account_sid: str
    from_number: str  # E.164, without the "whatsapp:" prefix
    to_number: str  # the business number it was sent to, E.164
    body: str
    messaging_service_sid: str | None = None

    @classmethod
    def from_form(cls, form: dict[str, str]) -> "Inbound | None":
        """None when the fields are not an inbound message (no sid, no sender, no number)."""
        sid, account = form.get("MessageSid", ""), form.get("AccountSid", "")
        sender = form.get("From", "").removeprefix("whatsapp:")
        to = form.get("To", "").removeprefix("whatsapp:")
        if not (sid.startswith(("SM", "MM")) and account and is_e164(sender) and is_e164(to)):
            return None
        service = form.get("MessagingServiceSid") or None
        return cls(sid, account, sender, to, form.get("Body", ""), service)


def mask_phone(number: str) -> str:
    """A number as logs show it: the country code's first digits and the last four."""
    digits = number.lstrip("+")
    if len(digits) <= 6:
        return "+" + "*" * len(digits)
    return "+" + digits[:2] + "*" * (len(digits) - 6) + digits[-4:]


def short_ref(call_id: str) -> str:
    """A short, stable reference to a call for a chat message: "c-" and 4 hex digits of its id's
    hash (the ledger and `callintel ask` give the full ids)."""
    return "c-" + hashlib.sha256(call_id.encode()).hexdigest()[:4]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---- which tenant, which sender ---------------------------------------------------------------


def candidate_tenants(
    tenants: Iterable[Tenant], inbound: Inbound, path_tenant_id: str | None = None
) -> list[Tenant]:
    """The active Twilio tenants whose business number (or messaging service) `inbound` was sent
    to, only the path's tenant when the webhook URL names one."""
    found = []
    for tenant in tenants:
        digest = tenant.digest
        if not tenant.active or not isinstance(digest, TwilioDigest):
            continue
        if path_tenant_id is not None and tenant.id != path_tenant_id:
            continue
        by_number = digest.from_number is not None and digest.from_number == inbound.to_number
        by_service = (
            digest.messaging_service_sid is not None
            and digest.messaging_service_sid == inbound.messaging_service_sid
        )
        if by_number or by_service:
            found.append(tenant)
    return found


def signed_by(
    tenants: Iterable[Tenant], url: str, form: dict[str, str], signature: str
) -> list[Tenant]:
    """The tenants among `tenants` whose Twilio account sent `form`: the AccountSid is theirs and
    the signature verifies with their auth token (secrets through providers/secrets.py)."""
    if not signature:
        return []
    found = []
    for tenant in tenants:
        digest = tenant.digest
        account = secret(tenant.id, "twilio", digest.account_sid_env)
        if form.get("AccountSid") != account:
            continue
        token = secret(tenant.id, "twilio", digest.auth_token_env)
        if RequestValidator(token).validate(url, form, signature):
            found.append(tenant)
    return found


# ---- the ledger -------------------------------------------------------------------------------


def questions_ledger(warehouse: Warehouse) -> Ledger:
    """A question is answered once: a row in any status means its MessageSid was seen. Done when
    answered; held otherwise (failed, or in progress: received / answering), so the ledger's
    `step` says SEND only for a MessageSid never seen."""
    return Ledger(
        warehouse,
        WHATSAPP_QUESTIONS,
        QUESTION_KEY,
        stamp="updated_at_utc",
        done=lambda row: row["status"] == ANSWERED,
        held=lambda row: row["status"] in (RECEIVED, ANSWERING, FAILED),
    )


_CLAIMS = threading.Lock()  # read-then-claim is one step for this process's threads


def claim_question(
    warehouse: Warehouse, tenant: Tenant, inbound: Inbound, now: datetime | None = None
) -> dict | None:
    """Commit the question's row as `received`; None when its MessageSid already has one (a
    retried webhook: nothing more to do). The webhook runs in one process (see
    whatsapp_webhook.py), where this lock makes the read and the claim one step."""
    ledger = questions_ledger(warehouse)
    now = now or utcnow()
    with _CLAIMS:
        known = ledger.rows("tenant_id = ? AND message_sid = ?", [tenant.id, inbound.message_sid])
        if ledger.step(known[0] if known else None) is not Step.SEND:
            return None
        day = local_today(tenant.timezone, now.replace(tzinfo=UTC))
        row = dict.fromkeys(WHATSAPP_QUESTIONS.column_names)
        row |= {
            "tenant_id": tenant.id,
            "partition_date": day,
            "message_sid": inbound.message_sid,
            "recipient": inbound.from_number,
            "from_masked": mask_phone(inbound.from_number),
            "question_sha256": sha256(inbound.body),
            "asked_at_utc": now,
            "status": RECEIVED,
        }
        return ledger.save(row)


def close_interrupted(warehouse: Warehouse) -> int:
    """Mark the questions a stopped webhook left `received` or `answering` as failed (reason
    "interrupted"); returns how many. Called when the (single) webhook process starts, so none
    of them is being answered. They are not answered again: their text is not kept, and part of
    a reply may have gone out."""
    ledger = questions_ledger(warehouse)
    rows = ledger.rows("status IN (?, ?)", [RECEIVED, ANSWERING])
    for row in rows:
        ledger.save({**row, "status": FAILED, "error_reason": INTERRUPTED})
    return len(rows)


# ---- the reply --------------------------------------------------------------------------------


def days_asked_about(question: str, today: date) -> tuple[date, date]:
    """The local days a question is about: "yesterday" or "today" when it says so, else the
    last `RECENT_DAYS` days and today."""
    words = set(re.findall(r"[a-z]+", question.lower()))
    if "yesterday" in words:
        return today - timedelta(days=1), today - timedelta(days=1)
    if "today" in words:
        return today, today
    return today - timedelta(days=RECENT_DAYS), today


def reply_text(answer: AnswerLike, tenant: Tenant, day_from: date, day_to: date) -> str:
    """The answer for a chat: call ids shortened to references, a "Sources" line when the text
    cites no call itself, and which calls it is about."""
    text = (answer.answer or "").strip()
    call_ids = sorted({c.call_id for c in answer.citations}, key=len, reverse=True)
    text = _CITED.sub(lambda m: f"[{short_ref(m['call'])} @ {m['at']}]", text)
    for call_id in call_ids:  # ids the text names outside a citation (e.g. "Call X: ...")
        text = text.replace(call_id, short_ref(call_id))
    if answer.citations and not _CITED.search(text):
        refs = [f"[{short_ref(c.call_id)} @ {mm_ss(c.start_s)}]" for c in answer.citations]
        text += "\n\nSources: " + ", ".join(dict.fromkeys(refs[:MAX_SOURCES]))
    span = f"{day_to:%d %b %Y}"
    if day_from != day_to:
        span = f"{day_from:%d %b} – {span}"
    return f"{text}\n\n({tenant.name}, calls of {span})"


def reply_parts(
    text: str, max_chars: int = MAX_BODY_CHARS, max_parts: int = MAX_PARTS
) -> list[Part]:
    """`text` as message parts of at most `max_chars`, at most `max_parts` of them (a longer
    answer is shortened at a word boundary and says so)."""
    bodies = split_body(text, max_chars)
    budget = max_parts * max_chars
    while len(bodies) > max_parts:
        budget -= max_chars // 4
        cut = text[:budget].rsplit(" ", 1)[0].rstrip()
        bodies = split_body(cut + " … (shortened)", max_chars)
    return [Part(i, len(bodies), "body", body=b) for i, b in enumerate(bodies)]


def clip_question(body: str) -> str:
    return clip_text(body.strip(), MAX_QUESTION_CHARS)


@dataclass
class ReplyOutcome:
    status: str  # answered | failed
    sids: list[str]
    reason: str | None = None


def answer_question(
    warehouse: Warehouse,
    tenant: Tenant,
    inbound: Inbound,
    row: dict,
    answerer: Answerer,
    sender: MessageSender,
    now: datetime | None = None,
) -> ReplyOutcome:
    """Answer a claimed question (`row` from `claim_question`) and send the reply, recording
    each step on the ledger row."""
    ledger = questions_ledger(warehouse)
    now = now or utcnow()
    question = clip_question(inbound.body)
    day_from, day_to = days_asked_about(
        question, local_today(tenant.timezone, now.replace(tzinfo=UTC))
    )
    reason, note, answer = None, None, None
    try:
        if not question:  # a photo, a voice note, a sticker: nothing to search for
            note = ("empty_question", TEXT_ONLY)
        else:
            answer = answerer(tenant, question, day_from, day_to)
    except EmptyIndex:  # nothing embedded yet: say so rather than apologise
        note = ("empty_index", NOTHING_INDEXED.format(name=tenant.name))
    except Exception as exc:  # noqa: BLE001 - the asker still hears back; the row says why
        reason = f"ask_failed:{type(exc).__name__}"
        log.warning(
            "inbound tenant=%s sid=%s ask failed: %s",
            tenant.id,
            inbound.message_sid,
            _reason(exc),
        )
    if note:
        parts = reply_parts(note[1])
        facts: dict = {"answer_mode": "none", "not_found": True, "error_reason": note[0]}
    elif answer is None:
        parts = reply_parts(APOLOGY)
        facts = {"error_reason": reason}
    else:
        parts = reply_parts(reply_text(answer, tenant, day_from, day_to))
        facts = {
            "answer_mode": answer.mode,
            "not_found": bool(answer.not_found),
            "citations": len(answer.citations),
            "dropped_citations": int(answer.dropped_citations or 0),
            "prompt_tokens": int(getattr(answer, "prompt_tokens", 0) or 0),
            "completion_tokens": int(getattr(answer, "completion_tokens", 0) or 0),
            "cost_usd": float(answer.cost_usd or 0.0),
        }
    row = ledger.save({**row, **facts, "status": ANSWERING, "parts": len(parts)})
    sids: list[str] = []
    for part in parts:
        # the row says "answering" with the sids so far BEFORE each part goes out: a crash
        # leaves the question visibly unfinished and no retried webhook answers it again
        row = ledger.save({**row, "answer_sids": ",".join(sids) or None})
        result: SendResult = sender.send(inbound.from_number, part, row["updated_at_utc"])
        if not result.sid or result.status == "failed":
            code = result.error_code
            reason = reason or f"twilio_{result.status}:{code or '-'}:part {part.index + 1}"
            row = ledger.save({**row, "status": FAILED, "error_code": code, "error_reason": reason})
            return ReplyOutcome(FAILED, sids, reason)
        sids.append(result.sid)
    status = FAILED if reason else ANSWERED
    row = ledger.save(
        {**row, "status": status, "answer_sids": ",".join(sids), "answered_at_utc": utcnow()}
    )
    return ReplyOutcome(status, sids, reason)


def _reason(exc: Exception) -> str:
    """An error as a log may show it: provider errors carry ids and reasons; anything else by
    its type only (its message could quote the question)."""
    if isinstance(exc, ProviderError):
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    return type(exc).__name__
