"""Where alerts go, and who hears what.

The deployment's channels (top-level `alerts:`) hear every incident; a tenant's own channels hear
only that tenant's incidents, never another tenant's. Sending:

- webhook: Slack-style JSON POSTed with httpx; the URL is read from the environment variable the
  config names, at send time, and never appears in a log line or an error (errors name the
  variable and the HTTP status).
- whatsapp: the digest's paths: the outbox writer (one file per notice and recipient) or Twilio
  (a free-text message through providers/whatsapp/twilio_sender.py).
- email: an RFC 5322 message per notice and recipient, written to the outbox (no SMTP relay yet).
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import cache
from pathlib import Path

import dagster as dg
import httpx

from callintel_dagster.alerts.messages import Notice
from callintel_dagster.lib.digest.parts import Part
from callintel_dagster.lib.tenants.alerts_config import (
    Channel,
    EmailChannel,
    WebhookChannel,
    WhatsAppChannel,
)
from callintel_dagster.lib.tenants.digest_config import TwilioDigest
from callintel_dagster.lib.tenants.registry import Registry
from callintel_dagster.providers.whatsapp.outbox import OutboxSender
from callintel_dagster.providers.whatsapp.twilio_sender import TwilioWhatsAppSender

DEPLOYMENT = "deployment"  # the scope of the top-level channels


class AlertDeliveryError(RuntimeError):
    """A channel did not take a notice; the message names the channel, never its URL or key."""


@dataclass(frozen=True)
class Route:
    id: str  # "<scope>:<index>:<kind>", remembered per incident while a send is partial
    scope: str  # DEPLOYMENT or the tenant id
    channel: Channel


def routes_for(registry: Registry, tenant_id: str) -> list[Route]:
    """The deployment's channels, then the tenant's own (when `tenant_id` is a known tenant)."""
    routes = [
        Route(f"{DEPLOYMENT}:{n}:{c.kind}", DEPLOYMENT, c)
        for n, c in enumerate(registry.alerts.channels)
    ]
    own = next((t.alerts for t in registry.tenants if t.id == tenant_id), None)
    if own is not None:
        routes += [
            Route(f"{tenant_id}:{n}:{c.kind}", tenant_id, c) for n, c in enumerate(own.channels)
        ]
    return routes


@dataclass(frozen=True)
class Outbox:
    """The deployment's outbox (the digest's) and Twilio tries per call."""

    root: Path
    twilio_attempts: int = 4

    def sender(self, route: Route, notice: Notice) -> OutboxSender:
        # <outbox>/alerts/<scope>/<notice id>/<day>/<recipient>.txt: a file per notice
        return OutboxSender(self.root / "alerts" / route.scope, notice.id)


def send(route: Route, notice: Notice, outbox: Outbox, now: datetime) -> None:
    channel = route.channel
    if isinstance(channel, WebhookChannel):
        _post(route, channel, notice)
    elif isinstance(channel, WhatsAppChannel):
        _whatsapp(route, channel, notice, outbox, now)
    elif isinstance(channel, EmailChannel):
        _email(route, channel, notice, outbox, now)
    else:  # pragma: no cover - the config's discriminator admits only the kinds above
        raise AlertDeliveryError(f"{route.id}: unknown channel kind")


def _post(route: Route, channel: WebhookChannel, notice: Notice) -> None:
    url = dg.EnvVar(channel.url_env).get_value()
    if not url:
        raise AlertDeliveryError(f"{route.id}: environment variable {channel.url_env} is not set")
    try:
        response = _client().post(url, json=notice.slack(), timeout=channel.timeout_s)
    except httpx.HTTPError as exc:
        raise AlertDeliveryError(f"{route.id} ({channel.url_env}): {type(exc).__name__}") from None
    if response.status_code >= 300:
        raise AlertDeliveryError(f"{route.id} ({channel.url_env}): HTTP {response.status_code}")


@cache
def _client() -> httpx.Client:
    # one client per process: building one (its TLS context) costs more than a post
    return httpx.Client()


def _whatsapp(
    route: Route, channel: WhatsAppChannel, notice: Notice, outbox: Outbox, now: datetime
) -> None:
    via = channel.via
    if not isinstance(via, TwilioDigest):
        writer = outbox.sender(route, notice)
        for recipient in via.recipients:
            writer.write(now.date(), recipient, notice.text)
        return
    sender = TwilioWhatsAppSender(via, attempts=outbox.twilio_attempts, tenant_id=route.scope)
    part = Part(0, 1, "body", body=notice.text[: via.max_body_chars])
    for recipient in via.recipients:
        result = sender.send(recipient, part, since=now)
        if result.status in ("failed", "retry"):
            code = f" (Twilio code {result.error_code})" if result.error_code else ""
            raise AlertDeliveryError(f"{route.id}: Twilio did not take the message{code}")


def _email(
    route: Route, channel: EmailChannel, notice: Notice, outbox: Outbox, now: datetime
) -> None:
    writer = outbox.sender(route, notice)
    for recipient in channel.to:
        message = EmailMessage()
        message["Subject"] = notice.title
        message["From"], message["To"] = channel.sender, recipient
        message["Date"] = format_datetime(now.replace(tzinfo=UTC))  # now: naive UTC
        message["Message-ID"] = make_msgid(idstring=notice.id, domain="callintel.local")
        message.set_content(notice.text)
        writer.write(now.date(), recipient, message.as_string())
