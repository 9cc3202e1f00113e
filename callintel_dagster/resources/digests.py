"""The digest sender of each tenant, by the provider it picks under `digest:`: `outbox` (the
default, providers/whatsapp/outbox.py) writes files and sends nothing; `twilio`
(providers/whatsapp/twilio_sender.py) sends WhatsApp messages. Senders only send: the digest is
rendered, and kept exactly once, by stages/digest.py."""

import dagster as dg

from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.whatsapp import SenderSettings
from callintel_dagster.providers.whatsapp.outbox import OutboxSender
from callintel_dagster.providers.whatsapp.twilio_sender import TwilioWhatsAppSender

DigestSender = OutboxSender | TwilioWhatsAppSender
SENDERS: dict[str, type[DigestSender]] = {"outbox": OutboxSender, "twilio": TwilioWhatsAppSender}


def sender_class(tenant: Tenant) -> type[DigestSender]:
    """The class of the tenant's digest sender: what it can do (`ledgered`, `tracks_status`)
    can be asked without building it (no secrets needed)."""
    try:
        return SENDERS[tenant.digest.provider]
    except KeyError:
        raise ValueError(
            f"tenant {tenant.id}: unknown digest provider {tenant.digest.provider!r}"
        ) from None


class DigestSenders(dg.ConfigurableResource):
    """`outbox_dir`: where the outbox provider writes messages. `twilio_attempts`: tries per
    Twilio call on 429/5xx/timeouts."""

    outbox_dir: str
    twilio_attempts: int = 4

    def for_tenant(self, tenant: Tenant) -> DigestSender:
        settings = SenderSettings(self.outbox_dir, self.twilio_attempts)
        return sender_class(tenant).for_tenant(tenant, settings)
