"""Digest delivery. A tenant picks a provider under `digest:`.

`outbox` (the default) sends nothing: each message is written to
`<outbox>/<tenant>/<date>/<recipient>.txt` (replaced on a re-run, so a resend is idempotent) and
the caller records it in `delivery.digests`. Twilio WhatsApp implements the same `send`.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import dagster as dg

from callintel_dagster.lib.registry import Tenant


@dataclass
class Delivery:
    status: str  # outboxed | queued | sent | delivered | failed
    location: str  # file path or provider message id


class DigestSender(Protocol):
    provider: str

    def send(self, day: str, recipient: str, body: str) -> Delivery: ...


class OutboxSender:
    provider = "outbox"

    def __init__(self, root: Path, tenant_id: str):
        self._dir = root / tenant_id

    def send(self, day: str, recipient: str, body: str) -> Delivery:
        path = self._dir / day / f"{recipient.lstrip('+')}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(body, encoding="utf-8")
        tmp.replace(path)  # atomic: a reader never sees half a message
        return Delivery("outboxed", str(path))


class DigestSenders(dg.ConfigurableResource):
    """`outbox_dir`: where the outbox provider writes messages."""

    outbox_dir: str

    def for_tenant(self, tenant: Tenant) -> DigestSender:
        match tenant.digest.provider:
            case "outbox":
                return OutboxSender(Path(self.outbox_dir), tenant.id)
        raise ValueError(f"tenant {tenant.id}: unknown digest provider {tenant.digest.provider!r}")
