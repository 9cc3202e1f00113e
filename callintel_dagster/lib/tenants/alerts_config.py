"""What tenants.yaml can set under `alerts:`: who the operator is told, and when.

A top-level `alerts:` block is the deployment's channel (it hears about every tenant); a tenant's
own `alerts:` block adds channels that hear only about that tenant. A channel is one of:

- `webhook`: Slack-style JSON (`{"text", "blocks"}`) POSTed to a URL. Slack webhook URLs are
  secrets, so the file names the environment variable holding the URL (`url_env`), read at send
  time through `dagster.EnvVar`; the URL never appears in the file or in a log line.
- `whatsapp`: the digest's messaging paths (`provider: outbox` writes files, `provider: twilio`
  sends free-text WhatsApp messages, so it needs `mode: body`).
- `email`: an RFC 5322 message per alert, written to the outbox (no SMTP relay is configured in
  callintel yet; a mail relay can pick the files up).

Thresholds are the deployment's; a tenant's block may override them for that tenant.
"""

from typing import Annotated, Literal

from pydantic import Field, field_validator

from callintel_dagster.lib.strict_model import StrictConfig
from callintel_dagster.lib.tenants.digest_config import DigestConfig, TwilioDigest
from callintel_dagster.lib.tenants.source_configs import SecretName

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class WebhookChannel(StrictConfig):
    kind: Literal["webhook"]
    url_env: SecretName  # e.g. CALLINTEL_ALERTS_WEBHOOK_URL
    timeout_s: float = Field(10.0, gt=0, le=60)


class WhatsAppChannel(StrictConfig):
    kind: Literal["whatsapp"]
    via: DigestConfig  # {provider: outbox | twilio, recipients: [...], ...} as under `digest:`

    @field_validator("via")
    @classmethod
    def _free_text(cls, via):
        if isinstance(via, TwilioDigest) and via.mode != "body":
            raise ValueError("alerts are free text: set mode: body (a template cannot carry them)")
        if not via.recipients:
            raise ValueError("name at least one recipient")
        return via


class EmailChannel(StrictConfig):
    kind: Literal["email"]
    to: tuple[Annotated[str, Field(pattern=EMAIL_PATTERN)], ...] = Field(min_length=1)
    sender: str = Field("callintel-alerts@localhost", pattern=EMAIL_PATTERN)


Channel = Annotated[WebhookChannel | WhatsAppChannel | EmailChannel, Field(discriminator="kind")]


class AlertThresholds(StrictConfig):
    sync_stale_minutes: int = Field(60, ge=5)  # no successful sync for this long: alert
    analysis_failure_rate: float = Field(0.2, gt=0, le=1)  # failed / (ok + failed) per tenant-day
    analysis_min_calls: int = Field(5, ge=1)  # fewer analysed calls in a day: no rate alert
    digest_grace_minutes: int = Field(30, ge=0)  # after the send time, the digest must be out


class AlertsConfig(StrictConfig):
    channels: tuple[Channel, ...] = ()
    thresholds: AlertThresholds = AlertThresholds()
