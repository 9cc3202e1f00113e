"""Twilio WhatsApp through the official `twilio` SDK: send one message part, find a part Twilio
already holds, fetch a message's status. The exactly-once ledger around these calls lives in
stages/digest.py (on stages/ledger.py); this module never touches the warehouse.

Retries: 429 waits for Retry-After; 5xx, timeouts and dropped connections back off
exponentially, at most `attempts` tries in all. A 5xx or a timeout may come after Twilio queued the
message (Twilio takes no idempotency key), so before trying again the recipient's recent messages
are listed and a match is adopted instead of sending twice. Other 4xx (bad number, bad template,
401) are permanent: returned as a failed result with Twilio's code, never raised, so one
recipient's failure cannot lose the others' state.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

import requests
import tenacity as tn
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from callintel_dagster.lib.digest.parts import Part
from callintel_dagster.lib.tenants.digest_config import TwilioDigest
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.base import RetryableProviderError
from callintel_dagster.providers.http import retry_after_from, retrying
from callintel_dagster.providers.secrets import secret
from callintel_dagster.providers.whatsapp import SenderSettings

CLOCK_SKEW = timedelta(minutes=5)  # Twilio's clock against ours, when matching by creation time
LIST_LIMIT = 100  # recent messages to a recipient searched when reconciling
MAX_WAIT_S = 60.0  # the longest Retry-After honoured


@dataclass(frozen=True)
class SendResult:
    status: str  # Twilio's status; "failed" (permanent), "retry" (not sent), "sending" (unknown)
    sid: str | None = None
    error_code: int | None = None
    error_message: str | None = None


class TwilioUnavailable(RetryableProviderError):
    """429/5xx/timeouts outlasted the retries. `ambiguous`: Twilio may have queued a message."""

    def __init__(
        self, tenant_id: str, cause: Exception, ambiguous: bool, retry_after: float | None = None
    ):
        super().__init__(tenant_id, "twilio", str(cause), retry_after)
        self.cause, self.ambiguous = cause, ambiguous


class _HttpClient(TwilioHttpClient):
    """Keeps the last response's Retry-After: TwilioRestException does not carry headers."""

    retry_after: float | None = None

    def request(self, *args, **kwargs):
        response = super().request(*args, **kwargs)
        self.retry_after = retry_after_from(response.headers or {})
        return response


class TwilioWhatsAppSender:
    """One tenant's Twilio account. `attempts`: tries per call (429/5xx/timeouts)."""

    provider = "twilio"
    ledgered: ClassVar[bool] = True  # a message sent cannot be taken back: sent exactly once
    tracks_status: ClassVar[bool] = True  # Twilio reports delivery later (poll or callback)

    def __init__(self, config: TwilioDigest, attempts: int = 4, tenant_id: str = "-"):
        self.config, self.attempts, self.tenant_id = config, attempts, tenant_id
        self._http = _HttpClient(timeout=config.timeout_s)
        account_sid = secret(tenant_id, self.provider, config.account_sid_env)
        token = secret(tenant_id, self.provider, config.auth_token_env)
        self.client = Client(account_sid, token, http_client=self._http)
        if config.api_base_url:  # region/edge rewrite hosts and cannot target a local emulator
            self.client.edge = self.client.region = None
            self.client.api.base_url = config.api_base_url.rstrip("/")
        self._messages = self.client.api.v2010.accounts(account_sid).messages

    @classmethod
    def for_tenant(cls, tenant: Tenant, settings: SenderSettings) -> "TwilioWhatsAppSender":
        return cls(tenant.digest, attempts=settings.attempts, tenant_id=tenant.id)

    def send(self, recipient: str, part: Part, since: datetime) -> SendResult:
        """Send one part. `since`: when its ledger row was committed (naive UTC)."""
        fields = {"to": f"whatsapp:{recipient}", "status_callback": self.config.status_callback_url}
        if self.config.messaging_service_sid:
            fields["messaging_service_sid"] = self.config.messaging_service_sid
        else:
            fields["from_"] = f"whatsapp:{self.config.from_number}"
        if part.mode == "template":
            fields |= {"content_sid": part.content_sid, "content_variables": part.content_variables}
        else:
            fields["body"] = part.body
        if part.media_url:  # Twilio fetches the image from the explorer (explorer/media.py)
            fields["media_url"] = [part.media_url]
        fields = {k: v for k, v in fields.items() if v is not None}
        ambiguous = False
        try:
            for attempt in self._retrying():
                with attempt:
                    if ambiguous and (found := self.find_sent(recipient, part, since, set())):
                        return found  # the lost answer's message: adopt it, never send twice
                    try:
                        message = self._call(lambda: self._messages.create(**fields))
                    except TwilioUnavailable as exc:
                        ambiguous = ambiguous or exc.ambiguous
                        raise
                    return SendResult(message.status, message.sid)
        except TwilioUnavailable as exc:
            # used up: "sending" (unknown) makes the next run look first; "retry" just sends
            code = getattr(exc.cause, "code", None)
            return SendResult("sending" if ambiguous else "retry", None, code, str(exc.cause))
        except TwilioRestException as exc:
            return SendResult("failed", None, exc.code or exc.status, exc.msg)
        raise AssertionError("unreachable")

    def find_sent(
        self, recipient: str, part: Part, since: datetime, claimed: set[str]
    ) -> SendResult | None:
        """The message Twilio holds for `part`, sent to `recipient` at or after `since`, that no
        other ledger row `claimed`; None when Twilio has none (the part was never sent)."""
        after = since - CLOCK_SKEW
        # A queued message has no date_sent, and a DateSent filter may leave it out: when the
        # filtered list has no match, the recipient's newest messages are read without it.
        for date_filter in ({"date_sent_after": after}, {}):
            listed = self._retried(
                lambda f=date_filter: self._messages.list(
                    to=f"whatsapp:{recipient}", limit=LIST_LIMIT, **f
                )
            )
            for m in listed:
                created = m.date_created.replace(tzinfo=None) if m.date_created else None
                if m.sid in claimed or (created and created < after):
                    continue
                if part.matches(m.body):
                    return SendResult(m.status, m.sid, m.error_code, m.error_message)
        return None

    def fetch(self, sid: str) -> SendResult:
        message = self._retried(lambda: self._messages(sid).fetch())
        return SendResult(message.status, message.sid, message.error_code, message.error_message)

    def _retrying(self) -> tn.Retrying:
        return retrying(TwilioUnavailable, self.attempts, MAX_WAIT_S)

    def _retried(self, fn):
        """A read (list, fetch): safe to repeat, so simply retried."""
        for attempt in self._retrying():
            with attempt:
                return self._call(fn)
        raise AssertionError("unreachable")

    def _call(self, fn):
        """One SDK call; transient failures raised as TwilioUnavailable for the caller's retry loop."""
        try:
            return fn()
        except TwilioRestException as exc:
            if exc.status == 429:
                raise TwilioUnavailable(self.tenant_id, exc, False, self._http.retry_after) from exc
            if exc.status >= 500:
                raise TwilioUnavailable(self.tenant_id, exc, True, self._http.retry_after) from exc
            raise
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise TwilioUnavailable(self.tenant_id, exc, True) from exc
