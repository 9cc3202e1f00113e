"""What a tenant can set under `digest:`: where the daily digest goes, to whom and when.

`outbox` (the default) writes files and sends nothing. `twilio` sends WhatsApp messages through
Twilio: an approved template (`content_sid` + `content_variables`), which business-initiated
messages outside WhatsApp's 24-hour window require, or free-text `Body` split at 1,600
characters when `mode: body`.
"""

from datetime import time
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from callintel_dagster.lib.phones import is_e164
from callintel_dagster.lib.strict_model import StrictConfig
from callintel_dagster.lib.tenants.source_configs import SecretName

# The digest facts a template variable can carry (see lib/digest_text.template_values).
TemplateValue = Literal[
    "tenant_name",
    "date",
    "headline",
    "calls",
    "connected",
    "avg_quality",
    "wins",
    "risks",
    "actions",
    "body",
]


class _DigestCommon(StrictConfig):
    recipients: tuple[str, ...] = ()
    send_time: time = time(8, 0)  # tenant-local time the daily digest goes out

    @field_validator("recipients")
    @classmethod
    def _e164(cls, recipients: tuple[str, ...]) -> tuple[str, ...]:
        bad = [r for r in recipients if not is_e164(r)]
        if bad:
            raise ValueError(f"recipients must be valid E.164 numbers like +919812345678: {bad}")
        if len(set(recipients)) != len(recipients):
            raise ValueError("recipients must not repeat")
        return recipients


class OutboxDigest(_DigestCommon):
    provider: Literal["outbox"]


class TwilioDigest(_DigestCommon):
    provider: Literal["twilio"]
    account_sid_env: SecretName
    auth_token_env: SecretName
    from_number: str | None = None  # E.164 WhatsApp sender; or messaging_service_sid
    messaging_service_sid: str | None = Field(None, pattern=r"^MG[0-9a-fA-F]{32}$")
    mode: Literal["template", "body"] = "template"
    content_sid: str | None = Field(None, pattern=r"^HX[0-9a-fA-F]{32}$")
    # template variable number -> digest fact, e.g. {"1": "date", "2": "headline"}
    content_variables: dict[str, TemplateValue] = {"1": "date", "2": "headline"}
    max_body_chars: int = Field(1600, ge=100, le=1600)  # Twilio rejects longer bodies
    status_callback_url: str | None = None  # where Twilio posts delivery status, if exposed
    api_base_url: str | None = None  # None: https://api.twilio.com (tests: the emulator)
    timeout_s: float = Field(30.0, gt=0)

    @model_validator(mode="after")
    def _complete(self) -> "TwilioDigest":
        if not (self.from_number or self.messaging_service_sid):
            raise ValueError("set from_number or messaging_service_sid")
        if self.from_number and not is_e164(self.from_number):
            raise ValueError(f"from_number must be E.164: {self.from_number!r}")
        if self.mode == "template" and not self.content_sid:
            raise ValueError("mode 'template' needs content_sid (an approved template, HX...)")
        return self


DigestConfig = Annotated[OutboxDigest | TwilioDigest, Field(discriminator="provider")]
