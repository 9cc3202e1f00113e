"""The digest sender of each tenant, by the provider it picks under `digest:`: `outbox` (the
default, providers/whatsapp/outbox.py) writes files and sends nothing; `twilio`
(providers/whatsapp/twilio_sender.py) sends WhatsApp messages. Senders only send: the digest is
rendered, and kept exactly once, by stages/digest.py.

`chart_media()` is where the week's KPI chart goes and how its explorer URL is signed: the
secret is `CALLINTEL_EXPLORER_SECRET` (read through `dg.EnvVar` at run time), else, on one
machine, the secret the explorer keeps in `$CALLINTEL_HOME/explorer.secret` (explorer/secret.py).
It is read only when a chart is signed, and never logged (`repr=False`)."""

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import dagster as dg

from callintel_dagster.explorer.secret import SECRET_ENV, explorer_secret, sign_media
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.registry import lookup
from callintel_dagster.providers.whatsapp import SenderSettings
from callintel_dagster.providers.whatsapp.outbox import OutboxSender
from callintel_dagster.providers.whatsapp.twilio_sender import TwilioWhatsAppSender

DigestSender = OutboxSender | TwilioWhatsAppSender


@dataclass
class ChartMedia:
    """Where digest charts are written (`<outbox>/<tenant>/<day>/`) and how their URLs are signed."""

    outbox_dir: Path
    home: Path  # holds explorer.secret when the variable is unset
    env_secret: str | None = field(default=None, repr=False)

    @cached_property
    def _secret(self) -> str:
        return explorer_secret(self.home, self.env_secret or None)

    def tenant_dir(self, tenant_id: str) -> Path:
        return self.outbox_dir / tenant_id

    def token(self, tenant_id: str, relpath: str) -> str:
        """The signed, expiring token of one file of the tenant's outbox (explorer/media.py)."""
        return sign_media(self._secret, tenant_id, relpath)


def sender_class(tenant: Tenant) -> type[DigestSender]:
    """The class of the tenant's digest sender (providers/registry.py, kind "messaging"): what
    it can do (`ledgered`, `tracks_status`) can be asked without building it (no secrets)."""
    return lookup("messaging", tenant.id, tenant.digest.provider).load()


class DigestSenders(dg.ConfigurableResource):
    """`outbox_dir`: where the outbox provider writes messages (and digests keep their charts).
    `twilio_attempts`: tries per Twilio call on 429/5xx/timeouts. `home`: where the explorer's
    machine secret lives (empty: the outbox's parent, i.e. $CALLINTEL_HOME)."""

    outbox_dir: str
    twilio_attempts: int = 4
    home: str = ""

    def chart_media(self) -> ChartMedia:
        home = Path(self.home) if self.home else Path(self.outbox_dir).parent
        return ChartMedia(Path(self.outbox_dir), home, dg.EnvVar(SECRET_ENV).get_value())

    def for_tenant(self, tenant: Tenant) -> DigestSender:
        settings = SenderSettings(self.outbox_dir, self.twilio_attempts)
        return sender_class(tenant).for_tenant(tenant, settings)
