"""The digest sender of each tenant, by the provider it picks under `digest:`: `outbox` (the
default, providers/whatsapp/outbox.py) writes files and sends nothing; `twilio`
(providers/whatsapp/twilio_sender.py) sends WhatsApp messages. Senders only send: the digest is
rendered, and kept exactly once, by stages/digest.py."""

import dagster as dg

from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.registry import lookup
from callintel_dagster.providers.whatsapp import SenderSettings
from callintel_dagster.providers.whatsapp.outbox import OutboxSender
from callintel_dagster.providers.whatsapp.twilio_sender import TwilioWhatsAppSender

DigestSender = OutboxSender | TwilioWhatsAppSender


def sender_class(tenant: Tenant) -> type[DigestSender]:
    """The class of the tenant's digest sender (providers/registry.py, kind "messaging"): what
    it can do (`ledgered`, `tracks_status`) can be asked without building it (no secrets)."""
    return lookup("messaging", tenant.id, tenant.digest.provider).load()


class DigestSenders(dg.ConfigurableResource):
    """`outbox_dir`: where the outbox provider writes messages. `twilio_attempts`: tries per
    Twilio call on 429/5xx/timeouts."""

    outbox_dir: str
    twilio_attempts: int = 4

    def for_tenant(self, tenant: Tenant) -> DigestSender:
        settings = SenderSettings(self.outbox_dir, self.twilio_attempts)
        return sender_class(tenant).for_tenant(tenant, settings)
