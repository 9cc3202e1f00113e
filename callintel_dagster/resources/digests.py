"""Digest delivery, exactly once per tenant, day and recipient. A tenant picks a provider under
`digest:`.

`outbox` (the default) sends nothing: each message is written to
`<outbox>/<tenant>/<date>/<recipient>.txt` (replaced on a re-run, so a resend is idempotent).

`twilio` sends WhatsApp messages and keeps `delivery.whatsapp_ledger`, one row per message part:
1. a row with status "sending" is committed BEFORE the API call, then completed with Twilio's sid
   and status (or the error code) after it;
2. a later run never sends a part that has a sid, nor one whose permanent failure is recorded
   (it stays visible) — unless `force`, an explicit resend, which sends every part again;
3. a part still "sending" (the process died between the call and the update, or the answer was
   lost) is looked up first: the recipient's messages since the row was committed are listed
   and a match (same body, or the template's variable values) is adopted, so it is never sent
   twice. Only when Twilio has none is it sent again.
Statuses move on afterwards through `apply_status` (sensors/digest_status.py polls,
cli/twilio_status.py takes Twilio's callbacks).
"""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol

import dagster as dg
import pandas as pd

from callintel_dagster.lib.digest.daily_summary import DailySummary
from callintel_dagster.lib.digest.kpis import kpis_for
from callintel_dagster.lib.digest.parts import FAILED, Part, advance, overall_status, plan_parts
from callintel_dagster.lib.digest.text import render_digest, template_values
from callintel_dagster.lib.tables import DIGESTS, WHATSAPP_LEDGER
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.whatsapp.twilio_sender import (
    SendResult,
    TwilioUnavailable,
    TwilioWhatsAppSender,
)
from callintel_dagster.resources.warehouse import RowUpsert, Warehouse

LEDGER_KEY = ("tenant_id", "partition_date", "recipient", "part_index")
DIGEST_KEY = ("tenant_id", "partition_date", "recipient")
LEDGER = WHATSAPP_LEDGER.qualified


@dataclass(frozen=True)
class Digest:
    text: str  # what delivery.digests stores and the outbox writes
    facts: dict[str, str]  # what template variables can carry (lib/digest_text.template_values)


@dataclass
class Delivery:
    status: str  # outboxed | queued | sent | delivered | read | failed | sending
    location: str  # file path, or the parts' message sids
    outcome: str = "sent"  # sent | already_sent | failed | pending (retried by the next run)


class DigestSender(Protocol):
    provider: str

    def deliver(
        self, day: date, recipient: str, digest: Digest, force: bool = False
    ) -> Delivery: ...


def load_digest(warehouse: Warehouse, tenant: Tenant, day: date) -> Digest | None:
    """The tenant-day's digest from its daily summary and KPIs; None without a summary."""
    rows = warehouse.read_slices("delivery.daily_summaries", [(tenant.id, day)])
    if rows.empty:
        return None
    summary = DailySummary.model_validate(json.loads(rows["summary_json"].iloc[0]))
    kpis = kpis_for(warehouse.read_slices("marts.kpi_tenant_daily", [(tenant.id, day)]))
    text = render_digest(tenant.name, day, kpis, summary)
    return Digest(text, template_values(tenant.name, day, kpis, summary, text))


class OutboxSender:
    provider = "outbox"

    def __init__(self, root: Path, tenant_id: str):
        self._dir = root / tenant_id

    def deliver(self, day: date, recipient: str, digest: Digest, force: bool = False) -> Delivery:
        path = self._dir / day.isoformat() / f"{recipient.lstrip('+')}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(digest.text, encoding="utf-8")
        tmp.replace(path)  # atomic: a reader never sees half a message
        return Delivery("outboxed", str(path))


class TwilioDigestSender:
    provider = "twilio"

    def __init__(self, tenant: Tenant, warehouse: Warehouse, api: TwilioWhatsAppSender):
        self.tenant, self.warehouse, self.api = tenant, warehouse, api

    def deliver(self, day: date, recipient: str, digest: Digest, force: bool = False) -> Delivery:
        parts = plan_parts(self.tenant.digest, digest.facts)
        ledger = self.warehouse.query(f"SELECT * FROM {LEDGER} WHERE recipient = ?", [recipient])
        claimed = set(ledger["message_sid"].dropna())  # sids other rows already account for
        mine = ledger[(ledger["tenant_id"] == self.tenant.id) & (ledger["partition_date"] == day)]
        rows = {int(r["part_index"]): _plain(r) for r in mine.to_dict("records")}
        sent_now = 0
        for part in parts:  # in order, and a part that is not through holds back the rest
            row = rows.get(part.index)
            if row is not None and not force:
                if row["message_sid"]:
                    continue  # Twilio has it (whatever became of it since)
                if row["status"] in FAILED:
                    break  # a recorded failure stays visible until an explicit resend
                if row["status"] == "sending":
                    try:
                        found = self.api.find_sent(recipient, part, row["created_at_utc"], claimed)
                    except TwilioUnavailable:
                        break  # cannot tell whether it went out: the next run looks again
                    if found:
                        rows[part.index] = self._save(row, found)
                        continue
            row = self._save(_new_row(self.tenant.id, day, recipient, part), None)
            rows[part.index] = self._save(
                row, self.api.send(recipient, part, row["created_at_utc"])
            )
            if not rows[part.index]["message_sid"]:
                break
            sent_now += 1
        statuses = [rows[p.index]["status"] if p.index in rows else "retry" for p in parts]
        sids = ",".join(filter(None, (rows.get(p.index, {}).get("message_sid") for p in parts)))
        status = overall_status(statuses)
        if status == "failed" or any(s in ("sending", "retry") for s in statuses):
            return Delivery(status, sids, "failed" if status == "failed" else "pending")
        return Delivery(status, sids, "sent" if sent_now else "already_sent")

    def _save(self, row: dict, result: SendResult | None) -> dict:
        row = dict(row, updated_at_utc=_now())
        if result is not None:
            row.update(status=result.status, message_sid=result.sid)
            row.update(error_code=result.error_code, error_message=result.error_message)
        frame = pd.DataFrame([row], columns=WHATSAPP_LEDGER.column_names)
        self.warehouse.write([RowUpsert(WHATSAPP_LEDGER, LEDGER_KEY, frame)])
        return row


def _new_row(tenant_id: str, day: date, recipient: str, part: Part) -> dict:
    now = _now()
    return {
        "tenant_id": tenant_id,
        "partition_date": day,
        "recipient": recipient,
        "part_index": part.index,
        "parts": part.parts,
        "mode": part.mode,
        "body_sha256": part.sha256,
        "message_sid": None,
        "status": "sending",
        "error_code": None,
        "error_message": None,
        "created_at_utc": now,
        "updated_at_utc": now,
    }


def _plain(row: dict) -> dict:
    """A row read back from the warehouse, as values it takes again: NULL integers come back as
    NaN (which a BIGINT refuses), timestamps as pandas'."""
    out = {}
    for k, v in row.items():
        if v is not None and not isinstance(v, str) and pd.isna(v):
            v = None
        elif isinstance(v, pd.Timestamp):
            v = v.to_pydatetime()
        elif hasattr(v, "item"):
            v = v.item()
        out[k] = v
    return out


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def apply_status(
    warehouse: Warehouse,
    sid: str,
    status: str,
    error_code: int | None = None,
    error_message: str | None = None,
) -> bool:
    """Record a status Twilio reported for message `sid` (never moving a part backwards) and the
    recipient's overall status in delivery.digests; False when no ledger row has that sid."""
    found = warehouse.query(f"SELECT * FROM {LEDGER} WHERE message_sid = ?", [sid])
    if found.empty:
        return False
    row = _plain(found.iloc[0].to_dict())
    new = advance(row["status"], status)
    if new == row["status"] and (error_code is None or error_code == row["error_code"]):
        return True
    row.update(status=new, updated_at_utc=_now())
    if error_code is not None:
        row.update(error_code=error_code, error_message=error_message or row["error_message"])
    key = [row["tenant_id"], row["partition_date"], row["recipient"]]
    where = "tenant_id = ? AND partition_date = ? AND recipient = ?"
    parts = warehouse.query(f"SELECT part_index, status FROM {LEDGER} WHERE {where}", key)
    statuses = [new if p == row["part_index"] else s for p, s in parts.itertuples(index=False)]
    writes = [RowUpsert(WHATSAPP_LEDGER, LEDGER_KEY, pd.DataFrame([row]))]
    digest = warehouse.query(f"SELECT * FROM {DIGESTS.qualified} WHERE {where}", key)
    if not digest.empty:
        digest["delivery_status"] = overall_status(statuses)
        writes.append(RowUpsert(DIGESTS, DIGEST_KEY, digest))
    warehouse.write(writes)
    return True


class DigestSenders(dg.ConfigurableResource):
    """`outbox_dir`: where the outbox provider writes messages. `twilio_attempts`: tries per
    Twilio call on 429/5xx/timeouts."""

    outbox_dir: str
    twilio_attempts: int = 4

    def for_tenant(self, tenant: Tenant, warehouse: Warehouse | None = None) -> DigestSender:
        match tenant.digest.provider:
            case "outbox":
                return OutboxSender(Path(self.outbox_dir), tenant.id)
            case "twilio":
                if warehouse is None:
                    raise ValueError("the twilio digest keeps a ledger: pass the warehouse")
                api = TwilioWhatsAppSender(tenant.digest, attempts=self.twilio_attempts)
                return TwilioDigestSender(tenant, warehouse, api)
        raise ValueError(f"tenant {tenant.id}: unknown digest provider {tenant.digest.provider!r}")
