"""One tenant's daily digests in a run: each tenant-day's digest rendered ONCE from its daily
summary and KPIs (lib/digest/text.py), then handed to the tenant's sender for every recipient.
Senders only send; what was sent is kept here.

The `outbox` writes files (a rewrite replaces them: idempotent by itself). A sender that cannot
take a message back (`ledgered`: Twilio WhatsApp) goes through the exactly-once ledger
(stages/ledger.py, delivery.whatsapp_ledger), one row per message part:
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

A tenant with `explorer.base_url` gets links from the calls its digest names to their pages
(lib/digest/links.py) and, with `weekly_chart`, the week's KPI chart, written beside the digest
in the outbox and sent as a signed explorer URL (lib/digest/chart.py, explorer/media.py).
"""

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd

from callintel_dagster.lib.digest.chart import CHART_NAME, render_week_chart, week_days
from callintel_dagster.lib.digest.daily_summary import DailySummary
from callintel_dagster.lib.digest.kpis import kpis_for, notable_calls
from callintel_dagster.lib.digest.links import call_links
from callintel_dagster.lib.digest.parts import FAILED, Part, advance, overall_status, plan_parts
from callintel_dagster.lib.digest.text import Digest, compose_digest
from callintel_dagster.lib.tables import (
    DAILY_SUMMARIES,
    DIGESTS,
    FCT_CALLS,
    KPI_TENANT_DAILY,
    WHATSAPP_LEDGER,
)
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.whatsapp.outbox import OUTBOXED
from callintel_dagster.providers.whatsapp.twilio_sender import SendResult, TwilioUnavailable
from callintel_dagster.resources.digests import ChartMedia, DigestSender
from callintel_dagster.resources.warehouse import RowUpsert, Warehouse
from callintel_dagster.stages.day_reads import DayReader, read_by_day
from callintel_dagster.stages.ledger import SENDING, Ledger, Step, utcnow

# The run tag the late-digest sensor sets: the send instant (UTC, ISO) the digest missed.
LATE_TAG = "callintel/digest_late"

LEDGER_KEY = ("tenant_id", "partition_date", "recipient", "part_index")
DIGEST_KEY = ("tenant_id", "partition_date", "recipient")
RECIPIENT_DAY = "tenant_id = ? AND partition_date = ? AND recipient = ?"


class NoSummary(LookupError):
    """The tenant-day has no daily summary (delivery.daily_summaries) to send."""


@dataclass
class Delivery:
    status: str  # outboxed | queued | sent | delivered | read | failed | sending
    location: str  # file path, or the parts' message sids
    outcome: str = "sent"  # sent | already_sent | failed | pending (retried by the next run)


def load_digest(
    warehouse: Warehouse, tenant: Tenant, day: date, late_due: datetime | None = None
) -> Digest | None:
    """The tenant-day's digest from its daily summary and KPIs; None without a summary.
    `late_due`: the send instant it missed (UTC), for a digest sent late."""
    return next(load_digests(warehouse, tenant, [day], late_due))[1]


def load_digests(
    warehouse: Warehouse, tenant: Tenant, days: list[date], late_due: datetime | None = None
) -> Iterator[tuple[date, Digest | None]]:
    """(day, its digest or None) for each day: a week's rows read on one connection
    (stages/day_reads.py) instead of a connection per query."""

    def rows_of(day: DayReader) -> tuple | None:
        summary = day.slice(DAILY_SUMMARIES.qualified)
        if summary.empty:
            return None
        kpis = kpis_for(day.slice(KPI_TENANT_DAILY))
        # the calls its sentences name, picked again, for a tenant whose digest links them
        calls = notable_calls(day.slice(FCT_CALLS)) if tenant.explorer.base_url else []
        return summary, kpis, calls

    for day, found in read_by_day(warehouse, tenant.id, days, rows_of):
        yield day, None if found is None else _compose(tenant, day, *found, late_due)


def _compose(
    tenant: Tenant,
    day: date,
    rows: pd.DataFrame,
    kpis: dict,
    calls: list[dict],
    late_due: datetime | None,
) -> Digest:
    summary = DailySummary.model_validate(json.loads(rows["summary_json"].iloc[0]))
    links = []
    if base_url := tenant.explorer.base_url:
        links = call_links(base_url, tenant.id, calls)
    late = None
    if late_due is not None:
        local = late_due.astimezone(ZoneInfo(tenant.timezone))
        late = f"{local:%H:%M} {local.tzname()}"
    numbers = tenant.privacy.digest_numbers  # customers' numbers as the tenant allows them shown
    return compose_digest(tenant.name, day, kpis, summary, links, late=late, digest_numbers=numbers)


def with_chart(
    digest: Digest, warehouse: Warehouse, tenant: Tenant, day: date, media: ChartMedia | None
) -> Digest:
    """The digest with the week's KPI chart, written to `<outbox>/<tenant>/<day>/kpi_week.png`,
    as a signed explorer URL; unchanged without a base_url, weekly_chart or `media`."""
    base_url = tenant.explorer.base_url
    if not (base_url and tenant.explorer.weekly_chart and media):
        return digest
    week = warehouse.read_slices(KPI_TENANT_DAILY, [(tenant.id, d) for d in week_days(day)])
    relpath = f"{day.isoformat()}/{CHART_NAME}"
    render_week_chart(tenant.name, day, week, media.tenant_dir(tenant.id) / relpath)
    return replace(digest, media_url=f"{base_url}/media/{media.token(tenant.id, relpath)}")


def whatsapp_ledger(warehouse: Warehouse) -> Ledger:
    """Done once Twilio gave the part a sid; a recorded permanent failure is held."""
    return Ledger(
        warehouse,
        WHATSAPP_LEDGER,
        LEDGER_KEY,
        stamp="updated_at_utc",
        done=lambda row: bool(row["message_sid"]),
        held=lambda row: row["status"] in FAILED,
    )


def deliver_digests(
    tenant: Tenant,
    days: list[date],
    sender: DigestSender,
    warehouse: Warehouse,
    outcomes: Counter,
    *,
    force: bool = False,
    now: datetime,
    media: ChartMedia | None = None,
    late_due: datetime | None = None,
) -> list[tuple]:
    """The tenant's delivery.digests rows for `days`, one per day and recipient. `outcomes` is
    counted as recipients are served, so a tenant that fails midway still counts what it sent.
    Raises NoSummary for a day without a daily summary. `media`: where the week's chart goes."""
    delivery, rows = DigestDelivery(tenant, sender, warehouse), []
    for day, digest in load_digests(warehouse, tenant, days, late_due):
        rows += deliver_day(delivery, day, digest, outcomes, force=force, now=now, media=media)
    return rows


def deliver_day(
    delivery: "DigestDelivery",
    day: date,
    digest: Digest | None,
    outcomes: Counter,
    *,
    force: bool = False,
    now: datetime,
    media: ChartMedia | None = None,
) -> list[tuple]:
    """One tenant-day's digest (from `load_digests`) to every recipient: its delivery.digests
    rows; `outcomes` counted as recipients are served. Raises NoSummary without a digest."""
    tenant, rows = delivery.tenant, []
    if digest is None:
        raise NoSummary(f"tenant {tenant.id} {day}: no daily_ai_summary to send")
    digest = with_chart(digest, delivery.warehouse, tenant, day, media)
    if digest.links:  # what the explorer links added (no key at all for a plain digest)
        outcomes["linked_calls"] += len(digest.links)
    if digest.media_url:
        outcomes["charts"] += 1
    for recipient in tenant.digest.recipients:
        sent = delivery.deliver(day, recipient, digest, force=force)
        outcomes[sent.outcome] += 1
        row = (tenant.id, day, recipient, delivery.sender.provider, digest.text, sent.status)
        rows.append((*row, sent.location, now))
    return rows


class DigestDelivery:
    """One tenant's digest through its sender: directly, or exactly once through the ledger."""

    def __init__(self, tenant: Tenant, sender: DigestSender, warehouse: Warehouse):
        self.tenant, self.sender, self.warehouse = tenant, sender, warehouse
        self.ledger = whatsapp_ledger(warehouse)

    def deliver(self, day: date, recipient: str, digest: Digest, force: bool = False) -> Delivery:
        if not self.sender.ledgered:
            return Delivery(OUTBOXED, self.sender.write(day, recipient, digest.text))
        return self._send_parts(day, recipient, digest, force)

    def _send_parts(self, day: date, recipient: str, digest: Digest, force: bool) -> Delivery:
        parts = plan_parts(self.tenant.digest, digest.facts, digest.media_url)
        known = self.ledger.rows("recipient = ?", [recipient])
        claimed = {r["message_sid"] for r in known if r["message_sid"]}  # other rows' sids
        rows = {
            r["part_index"]: r
            for r in known
            if r["tenant_id"] == self.tenant.id and r["partition_date"] == day
        }
        sent_now = 0
        for part in parts:  # in order, and a part that is not through holds back the rest
            row = rows.get(part.index)
            step = self.ledger.step(row, force)
            if step is Step.DONE:
                continue  # Twilio has it (whatever became of it since)
            if step is Step.HELD:
                break  # a recorded failure stays visible until an explicit resend
            if step is Step.IN_DOUBT:
                try:
                    found = self.sender.find_sent(recipient, part, row["created_at_utc"], claimed)
                except TwilioUnavailable:
                    break  # cannot tell whether it went out: the next run looks again
                if found:
                    rows[part.index] = self.ledger.settle(row, **_outcome(found))
                    continue
            row = self.ledger.claim(_new_row(self.tenant.id, day, recipient, part))
            result = self.sender.send(recipient, part, row["created_at_utc"])
            rows[part.index] = self.ledger.settle(row, **_outcome(result))
            if not rows[part.index]["message_sid"]:
                break
            sent_now += 1
        statuses = [rows[p.index]["status"] if p.index in rows else "retry" for p in parts]
        sids = ",".join(filter(None, (rows.get(p.index, {}).get("message_sid") for p in parts)))
        status = overall_status(statuses)
        if status == "failed" or any(s in (SENDING, "retry") for s in statuses):
            return Delivery(status, sids, "failed" if status == "failed" else "pending")
        return Delivery(status, sids, "sent" if sent_now else "already_sent")


def _outcome(result: SendResult) -> dict:
    return {
        "status": result.status,
        "message_sid": result.sid,
        "error_code": result.error_code,
        "error_message": result.error_message,
    }


def _new_row(tenant_id: str, day: date, recipient: str, part: Part) -> dict:
    now = utcnow()
    return {
        "tenant_id": tenant_id,
        "partition_date": day,
        "recipient": recipient,
        "part_index": part.index,
        "parts": part.parts,
        "mode": part.mode,
        "body_sha256": part.sha256,
        "message_sid": None,
        "status": SENDING,
        "error_code": None,
        "error_message": None,
        "created_at_utc": now,
        "updated_at_utc": now,
    }


def apply_status(
    warehouse: Warehouse,
    sid: str,
    status: str,
    error_code: int | None = None,
    error_message: str | None = None,
) -> bool:
    """Record a status Twilio reported for message `sid` (never moving a part backwards) and the
    recipient's overall status in delivery.digests; False when no ledger row has that sid."""
    ledger = whatsapp_ledger(warehouse)
    found = ledger.rows("message_sid = ?", [sid])
    if not found:
        return False
    row = found[0]
    new = advance(row["status"], status)
    if new == row["status"] and (error_code is None or error_code == row["error_code"]):
        return True
    row.update(status=new)
    if error_code is not None:
        row.update(error_code=error_code, error_message=error_message or row["error_message"])
    key = [row["tenant_id"], row["partition_date"], row["recipient"]]
    parts = ledger.rows(RECIPIENT_DAY, key)
    statuses = [new if p["part_index"] == row["part_index"] else p["status"] for p in parts]
    digest = warehouse.query(f"SELECT * FROM {DIGESTS.qualified} WHERE {RECIPIENT_DAY}", key)
    also = []
    if not digest.empty:
        digest["delivery_status"] = overall_status(statuses)
        also.append(RowUpsert(DIGESTS, DIGEST_KEY, digest))
    ledger.save(row, *also)
    return True
