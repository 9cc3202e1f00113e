"""The `outbox` digest provider (the default): sends nothing, writes each message to
`<outbox>/<tenant>/<date>/<recipient>.txt`, replaced on a re-run, so a resend is idempotent by
itself and needs no ledger."""

from datetime import date
from pathlib import Path
from typing import ClassVar

from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.whatsapp import SenderSettings

OUTBOXED = "outboxed"  # the delivery status of a message written to the outbox


class OutboxSender:
    provider = "outbox"
    ledgered: ClassVar[bool] = False  # a rewrite replaces the file: nothing to keep exactly once
    tracks_status: ClassVar[bool] = False  # a file has no delivery status to poll

    def __init__(self, root: Path, tenant_id: str):
        self._dir = root / tenant_id

    @classmethod
    def for_tenant(cls, tenant: Tenant, settings: SenderSettings) -> "OutboxSender":
        return cls(Path(settings.outbox_dir), tenant.id)

    def write(self, day: date, recipient: str, text: str) -> str:
        """Write the message; returns the file's path."""
        path = self._dir / day.isoformat() / f"{recipient.lstrip('+')}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)  # atomic: a reader never sees half a message
        return str(path)
