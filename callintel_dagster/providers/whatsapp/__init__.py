"""The daily digest's messaging providers: `outbox` (files; sends nothing) and `twilio`
(WhatsApp). Each sender class is built by `for_tenant(tenant, settings)`."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SenderSettings:
    """What the deployment (not tenants.yaml) sets for every tenant's sender."""

    outbox_dir: str  # where the outbox writes messages
    attempts: int = 4  # tries per API call on 429/5xx/timeouts
