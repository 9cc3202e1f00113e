"""Twilio Programmable Messaging (WhatsApp) emulator, after ../shared/docs/provider-contracts.md.

- `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, HTTP Basic AccountSid:AuthToken (else 401
  code 20003), form fields To, From or MessagingServiceSid, Body, ContentSid, ContentVariables,
  StatusCallback. Errors in Twilio's shape `{code, message, more_info, status}`: To not
  `whatsapp:+E164` → 21211, no From/MessagingServiceSid → 21603, Body over 1,600 → 21617, neither
  Body nor ContentSid → 21619, unknown ContentSid → 21655, bad ContentVariables → 21656.
  Accepted → 201 with the message (sid "SM"+32 hex, status queued; `accepted` via a service).
- `MediaUrl` (repeatable), as WhatsApp takes it: Body becomes optional; each URL must be an
  absolute http(s) URL (else 21620); WhatsApp carries one media item per message (a second → 21623)
  and a template's media is part of the approved template, so ContentSid with MediaUrl → 21620
  (both UNCONFIRMED codes for WhatsApp). Twilio downloads the media itself: the emulator GETs each
  URL when the message is created and keeps what it got in `media` ({sid, url, status,
  content_type, bytes}); a failed download or an unsupported Content-Type ends the message
  `failed` with 63019, an image over 5 MB with 11751. `num_media` counts the URLs.
- Free text outside the recipient's 24-hour session window is accepted, then ends `failed` with
  63016, as WhatsApp does. No session is open by default (`open_session(number)`), so only
  templates deliver. `fail_recipient(number, ...)` makes a number's messages end failed/undelivered.
- Messages move queued → sent → delivered every `step_s` seconds (None: only when `advance()` is
  called). Each move POSTs a status callback to the message's StatusCallback, form-encoded and
  signed with X-Twilio-Signature as Twilio signs it.
- `GET .../Messages/{Sid}.json` fetches; `GET .../Messages.json` lists newest first with To, From,
  DateSent, DateSent> and DateSent< filters in Twilio's paging envelope. A DateSent filter leaves
  out messages not sent yet (no date_sent) (UNCONFIRMED for the real API: clients must not rely
  on it either way).
- Inbound (a user writes to the business): `send_inbound(url, from_, to, body)` POSTs a signed
  message webhook to `url` as Twilio does (form fields MessageSid, AccountSid, From, To, Body,
  WaId, ProfileName, ...; X-Twilio-Signature with the account's auth token) and opens the
  sender's 24-hour session, so free-form replies to them deliver. `message_sid=` repeats one (a
  webhook Twilio retries); `signature=` sends a given (e.g. wrong) one, `signed=False` none.
  `POST /_emulator/inbound` does the same over HTTP (JSON `{url, from, to, body}`).
  `inbound` keeps every webhook sent with its answer; `replies_to(number)` lists the free-form
  messages the API accepted for a number.
- Faults: base `inject` (status faults get Twilio's body: 429 → 20429, 5xx → 20500/20503).
  `lose_responses = n` accepts the next n messages but answers after `lose_response_s`, like a
  response lost after Twilio queued the message. `messages` and `callbacks` keep everything.

Standalone: `python -m emulators.twilio --port 18705`.
"""

import argparse
import base64
import itertools
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import parse_qs, urlencode

from twilio.request_validator import RequestValidator

from emulators.base import Emulator, Request, Response

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "emulator-auth-token"
TEMPLATE_SID = "HX" + "a" * 32
TEMPLATE = "📊 Daily calls digest for {{1}}: {{2}}"
MESSAGES = "/2010-04-01/Accounts/{account}/Messages.json"
MESSAGE = "/2010-04-01/Accounts/{account}/Messages/{sid}.json"
WHATSAPP = re.compile(r"^whatsapp:\+[1-9]\d{6,14}$")
TOO_LONG = "The concatenated message body exceeds the 1600 character limit."
OUTSIDE_WINDOW = (
    "Failed to send freeform message because you are outside the allowed window. "
    "If you are using WhatsApp, please use a Message Template."
)
MEDIA_TYPES = {"image/jpeg", "image/png", "image/webp", "application/pdf", "video/mp4"}
MAX_IMAGE_BYTES = 5 * 1024 * 1024  # WhatsApp's image limit (16 MB for other media)
_FAULT_CODES = {429: (20429, "Too Many Requests"), 503: (20503, "Service Unavailable")}


def twilio_error(status: int, code: int, message: str) -> Response:
    more = f"https://www.twilio.com/docs/errors/{code}"
    return Response(status, {"code": code, "message": message, "more_info": more, "status": status})


class TwilioEmulator(Emulator):
    name = "twilio"

    def __init__(self, port: int = 0, latency_s: float = 0.0, step_s: float | None = 0.2):
        super().__init__(port=port, latency_s=latency_s)
        self.accounts = {ACCOUNT_SID: AUTH_TOKEN}
        self.templates = {TEMPLATE_SID: TEMPLATE}  # ContentSid → body with {{n}} placeholders
        self.step_s = step_s
        self.sessions: dict[str, float] = {}  # number → when its 24-hour window closes (epoch s)
        self.fates: dict[str, tuple[str, int, str]] = {}  # number → (status, code, message)
        self.messages: list[dict] = []  # every accepted message; "_" keys are not served
        self.callbacks: list[dict] = []  # {url, params, signature, status}
        self.inbound: list[dict] = []  # {url, params, signature, status, body}
        self.media: list[dict] = []  # every media download: {sid, url, status, content_type, bytes}
        self.lose_responses, self.lose_response_s = 0, 2.0
        self._by_sid: dict[str, dict] = {}
        self._state = threading.RLock()
        self._seq = itertools.count()
        self._stopped = False
        self.route("POST", MESSAGES, self._create)
        self.route("GET", MESSAGES, self._list)
        self.route("GET", MESSAGE, self._fetch)
        self.route("POST", "/_emulator/inbound", self._post_inbound)

    # ---- configuration -----------------------------------------------------------------------

    def open_session(self, number: str, hours: float = 24.0) -> None:
        """The recipient wrote to the business: free text delivers for `hours`."""
        self.sessions[number.removeprefix("whatsapp:")] = time.time() + hours * 3600

    def fail_recipient(self, number: str, status="undelivered", code=63024, message="") -> None:
        self.fates[number.removeprefix("whatsapp:")] = (
            status,
            code,
            message or "Invalid recipient",
        )

    def inject(self, pattern: str, *faults: dict) -> None:
        for fault in faults:  # a status fault answers in Twilio's error shape
            status = fault.get("status")
            if status and "body" not in fault:
                code, msg = _FAULT_CODES.get(status, (20500, "Internal Server Error"))
                fault["body"] = twilio_error(status, code, msg).body
        super().inject(pattern, *faults)

    def stop(self) -> None:
        self._stopped = True
        super().stop()

    # ---- inbound -----------------------------------------------------------------------------

    def send_inbound(
        self,
        url: str,
        from_: str,
        to: str,
        body: str,
        *,
        message_sid: str | None = None,
        account_sid: str = ACCOUNT_SID,
        signature: str | None = None,
        signed: bool = True,
        timeout_s: float = 15.0,
    ) -> dict:
        """A user's WhatsApp message to the business number `to`, POSTed to the webhook `url` as
        Twilio does; returns the record kept in `inbound` (its `status` and `body` are the
        webhook's answer). Twilio waits 15 s for a webhook before giving up."""
        sid = message_sid or "SM" + secrets.token_hex(16)
        params = inbound_params(from_, to, body, sid, account_sid)
        number = params["From"].removeprefix("whatsapp:")
        if signature is None and signed:
            signature = RequestValidator(self.accounts[account_sid]).compute_signature(url, params)
        self.open_session(number)  # the user wrote: free text reaches them for 24 hours
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        headers |= {"X-Twilio-Signature": signature} if signature is not None else {}
        entry = {"url": url, "params": params, "signature": signature, "status": None}
        entry["body"] = None
        with self._state:
            self.inbound.append(entry)
        request = urllib.request.Request(url, data=urlencode(params).encode(), headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as answer:
                entry.update(status=answer.status, body=answer.read().decode())
        except urllib.error.HTTPError as exc:
            entry.update(status=exc.code, body=exc.read().decode(errors="replace"))
        except Exception as exc:  # noqa: BLE001 - Twilio logs a failed webhook (error 11200)
            entry["status"] = f"{type(exc).__name__}: {exc}"
        return entry

    def replies_to(self, number: str) -> list[dict]:
        """The free-form (non-template) messages the API accepted for `number`, oldest first."""
        to = f"whatsapp:{number.removeprefix('whatsapp:')}"
        with self._state:
            return [_public(m) for m in self.messages if m["to"] == to and not m["_content_sid"]]

    def _post_inbound(self, request: Request) -> Response:
        doc = request.json()
        entry = self.send_inbound(
            doc["url"], doc["from"], doc["to"], doc["body"], message_sid=doc.get("message_sid")
        )
        answer = {k: entry[k] for k in ("status", "body")}
        return Response(200, answer | {"message_sid": entry["params"]["MessageSid"]})

    # ---- progression -------------------------------------------------------------------------

    def advance(self, sid: str | None = None) -> None:
        """Move one message (or every unsettled one) a step: queued → sent → delivered."""
        with self._state:
            targets = [self._by_sid[sid]] if sid else list(self.messages)
        for msg in targets:
            self._step(msg)

    def _step(self, msg: dict) -> None:
        with self._state:
            status, fate = msg["status"], msg["_fate"]
            if status in ("delivered", "failed", "undelivered"):
                return
            if status in ("queued", "accepted") and fate and fate[0] == "failed":
                new, error = "failed", fate
            elif status in ("queued", "accepted"):
                new, error = "sent", None
                msg["date_sent"] = _rfc2822()
            else:
                new, error = (fate[0], fate) if fate else ("delivered", None)
            msg.update(status=new, date_updated=_rfc2822())
            if error:
                msg.update(error_code=error[1], error_message=error[2])
        self._callback(msg)
        if self.step_s and new == "sent" and not self._stopped:
            self._later(msg)

    def _later(self, msg: dict) -> None:
        timer = threading.Timer(self.step_s or 0, lambda: self._stopped or self._step(msg))
        timer.daemon = True
        timer.start()

    def _callback(self, msg: dict) -> None:
        url = msg["_callback"]
        if not url:
            return
        params = {"AccountSid": msg["account_sid"], "ApiVersion": "2010-04-01"}
        params |= {"ChannelPrefix": "whatsapp", "From": msg["from"] or "", "To": msg["to"]}
        params |= {"MessageSid": msg["sid"], "MessageStatus": msg["status"], "SmsSid": msg["sid"]}
        params["SmsStatus"] = msg["status"]
        if msg["error_code"]:
            params["ErrorCode"] = str(msg["error_code"])
        token = self.accounts[msg["account_sid"]]
        signature = RequestValidator(token).compute_signature(url, params)
        entry = {"url": url, "params": params, "signature": signature, "status": None}
        self.callbacks.append(entry)
        request = urllib.request.Request(
            url, data=urlencode(params).encode(), headers={"X-Twilio-Signature": signature}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                entry["status"] = answer.status
        except Exception as exc:  # noqa: BLE001 - Twilio logs a failed callback and moves on
            entry["status"] = f"{type(exc).__name__}: {exc}"

    # ---- API ---------------------------------------------------------------------------------

    def _auth(self, request: Request) -> Response | None:
        scheme, _, blob = request.headers.get("authorization", "").partition(" ")
        try:
            sid, _, token = base64.b64decode(blob).decode().partition(":")
        except ValueError:
            sid, token = "", ""
        if scheme != "Basic" or self.accounts.get(sid) != token or sid != request.params["account"]:
            return twilio_error(401, 20003, "Authenticate")
        return None

    def _create(self, request: Request) -> Response:
        if denied := self._auth(request):
            return denied
        fields = parse_qs(request.body.decode())
        form, media = {k: v[-1] for k, v in fields.items()}, fields.get("MediaUrl", [])
        to, from_ = form.get("To", ""), form.get("From")
        service, body, content_sid = form.get("MessagingServiceSid"), form.get("Body"), None
        if not WHATSAPP.match(to):
            return twilio_error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if not from_ and not service:
            return twilio_error(400, 21603, "A 'From' phone number is required.")
        if from_ and not WHATSAPP.match(from_):
            return twilio_error(400, 21212, f"Invalid 'From' Phone Number: {from_}")
        if refused := _media_refusal(media, "ContentSid" in form):
            return refused
        if "ContentSid" in form:
            content_sid = form["ContentSid"]
            if content_sid not in self.templates:
                return twilio_error(400, 21655, "The ContentSid is Invalid")
            body = _render(self.templates[content_sid], form.get("ContentVariables") or "{}")
            if body is None:
                return twilio_error(400, 21656, "The ContentVariables Parameter is invalid")
        elif not body and not media:
            return twilio_error(400, 21619, "A text message body or media url must be specified.")
        elif len(body or "") > 1600:
            return twilio_error(400, 21617, TOO_LONG)
        number = to.removeprefix("whatsapp:")
        fate = self.fates.get(number)
        if content_sid is None and self.sessions.get(number, 0) < time.time():
            fate = ("failed", 63016, OUTSIDE_WINDOW)
        msg = self._store(request.params["account"], to, from_, service, body or "", form, fate)
        msg["num_media"] = str(len(media))
        for url in media:  # Twilio downloads the media before it hands the message on
            failure = self._download(msg, url)
            if failure and not msg["_fate"]:
                msg["_fate"] = failure
        if self.step_s:
            self._later(msg)
        if self.lose_responses > 0:
            self.lose_responses -= 1
            time.sleep(self.lose_response_s)  # the client has given up by now
        return Response(201, _public(msg))

    def _store(self, account, to, from_, service, body, form, fate) -> dict:
        sid = "SM" + secrets.token_hex(16)
        now = _rfc2822()
        msg = {
            "account_sid": account,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": from_,
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued" if from_ else "accepted",
            "to": to,
            "uri": MESSAGE.format(account=account, sid=sid),
            "_content_sid": form.get("ContentSid"),
            "_content_variables": form.get("ContentVariables"),
            "_callback": form.get("StatusCallback"),
            "_fate": fate,
            "_seq": next(self._seq),
        }
        with self._state:
            self.messages.append(msg)
            self._by_sid[sid] = msg
        return msg

    def _download(self, msg: dict, url: str) -> tuple[str, int, str] | None:
        """GET one MediaUrl as Twilio does; the failure that ends the message, if any."""
        entry = {"sid": msg["sid"], "url": url, "status": None, "content_type": None, "bytes": 0}
        with self._state:
            self.media.append(entry)
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                data = answer.read(MAX_IMAGE_BYTES + 1)
                kind = answer.headers.get_content_type()
                entry.update(status=answer.status, content_type=kind, bytes=len(data))
        except urllib.error.HTTPError as exc:
            entry["status"] = exc.code
            return ("failed", 63019, f"Media failed to download: HTTP {exc.code}")
        except Exception as exc:  # noqa: BLE001 - unreachable, refused, timed out
            entry["status"] = type(exc).__name__
            return ("failed", 63019, "Media failed to download")
        if kind not in MEDIA_TYPES:
            return ("failed", 63019, f"Media failed to download: unsupported type {kind}")
        if kind.startswith("image/") and len(data) > MAX_IMAGE_BYTES:
            return ("failed", 11751, "Media exceeds messaging provider size limit")
        return None

    def _fetch(self, request: Request) -> Response:
        if denied := self._auth(request):
            return denied
        msg = self._by_sid.get(request.params["sid"])
        if msg is None or msg["account_sid"] != request.params["account"]:
            return twilio_error(404, 20404, f"The requested resource {request.path} was not found")
        return Response(200, _public(msg))

    def _list(self, request: Request) -> Response:
        if denied := self._auth(request):
            return denied
        q = request.query
        with self._state:
            found = [m for m in self.messages if m["account_sid"] == request.params["account"]]
        found = [m for m in found if _wanted(m, q)]
        found.sort(key=lambda m: m["_seq"], reverse=True)
        size = min(int(q.get("PageSize", 50)), 1000)
        page = int(q.get("Page", 0))
        start = int(q.get("PageToken", "PA0")[2:] or 0)
        chunk = found[start : start + size]
        base = MESSAGES.format(account=request.params["account"])
        filters = {k: v for k, v in q.items() if k not in ("Page", "PageSize", "PageToken")}

        def uri(p: int, token: int) -> str:
            return (
                base
                + "?"
                + urlencode({**filters, "PageSize": size, "Page": p, "PageToken": f"PA{token}"})
            )

        more = start + size < len(found)
        return Response(
            200,
            {
                "messages": [_public(m) for m in chunk],
                "end": start + len(chunk) - 1,
                "first_page_uri": uri(0, 0),
                "next_page_uri": uri(page + 1, start + size) if more else None,
                "page": page,
                "page_size": size,
                "previous_page_uri": None,
                "start": start,
                "uri": uri(page, start),
            },
        )


def inbound_params(from_: str, to: str, body: str, message_sid: str, account_sid: str) -> dict:
    """The form fields Twilio posts to a WhatsApp sender's webhook for an incoming text."""
    number = from_.removeprefix("whatsapp:")
    return {
        "AccountSid": account_sid,
        "ApiVersion": "2010-04-01",
        "Body": body,
        "From": f"whatsapp:{number}",
        "MessageSid": message_sid,
        "MessageType": "text",
        "NumMedia": "0",
        "NumSegments": "1",
        "ProfileName": "Emulated user",
        "ReferralNumMedia": "0",
        "SmsMessageSid": message_sid,
        "SmsSid": message_sid,
        "SmsStatus": "received",
        "To": f"whatsapp:{to.removeprefix('whatsapp:')}",
        "WaId": number.lstrip("+"),
    }


def _media_refusal(media: list[str], template: bool) -> Response | None:
    """Twilio's answer to MediaUrl fields it does not take on WhatsApp; None when they are fine."""
    if media and template:
        return twilio_error(400, 21620, "MediaUrl cannot be sent with a ContentSid")
    if len(media) > 1:
        return twilio_error(400, 21623, "WhatsApp takes one media item per message")
    if any(not re.match(r"^https?://[^/\s]+", url) for url in media):
        return twilio_error(400, 21620, "Invalid media URL(s)")
    return None


def _rfc2822(when: datetime | None = None) -> str:
    return format_datetime(when or datetime.now(UTC).replace(microsecond=0))


def _public(msg: dict) -> dict:
    return {k: v for k, v in msg.items() if not k.startswith("_")}


def _render(template: str, variables_json: str) -> str | None:
    """The template with its {{n}} filled; None when the variables are not acceptable."""
    try:
        values = json.loads(variables_json)
    except ValueError:
        return None
    if not isinstance(values, dict) or any(
        not isinstance(v, str) or not v.strip() or re.search(r"[\n\t]| {5,}", v)
        for v in values.values()
    ):
        return None
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values.get(m.group(1), m.group(0)), template)


def _wanted(msg: dict, q: dict[str, str]) -> bool:
    if q.get("To") and msg["to"] != q["To"] or q.get("From") and msg["from"] != q["From"]:
        return False
    bounds = {op: q[f"DateSent{op}"] for op in ("", ">", "<") if q.get(f"DateSent{op}")}
    if not bounds:
        return True
    if msg["date_sent"] is None:
        return False
    sent = parsedate_to_datetime(msg["date_sent"])
    for op, value in bounds.items():
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        day_only = len(value) == 10  # "YYYY-MM-DD": the whole day
        left, right = (sent.date(), when.date()) if day_only else (sent, when)
        if (
            (op == "" and left != right)
            or (op == ">" and left < right)
            or (op == "<" and left > right)
        ):
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description="Twilio WhatsApp Messages API emulator")
    parser.add_argument("--port", type=int, default=18705)
    parser.add_argument("--step-s", type=float, default=2.0)
    args = parser.parse_args()
    emulator = TwilioEmulator(port=args.port, step_s=args.step_s).start()
    print(f"Twilio emulator on {emulator.base_url}")
    print(f"  account_sid {ACCOUNT_SID}  auth_token {AUTH_TOKEN}  template {TEMPLATE_SID}")
    emulator.serve_until_interrupted()


if __name__ == "__main__":
    main()
