"""Deliver: the tenant's daily digest, sent over WhatsApp (or written to the outbox); the work:
stages/digest.py."""

from collections import Counter
from datetime import datetime

import dagster as dg
import pandas as pd
from pydantic import Field

from callintel_dagster.assets.common import DIGEST_FRESHNESS, PROVIDER_FACING, utcnow
from callintel_dagster.assets.metadata import by_partition, counts, per_partition, run_totals
from callintel_dagster.assets.tenant_loop import TenantRun
from callintel_dagster.lib.tables import DIGESTS, WHATSAPP_LEDGER
from callintel_dagster.resources.digests import DigestSenders
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.digest import (
    LATE_TAG,
    DigestDelivery,
    deliver_day,
    load_digests,
)


class DigestConfig(dg.Config):
    force_resend: bool = Field(
        False,
        description="Send the digest AGAIN to every recipient, even parts already sent or "
        "recorded as failed (a deliberate resend: recipients get a second copy).",
    )


@dg.asset(
    group_name="deliver",
    deps=["daily_ai_summary"],
    kinds={"python"},
    freshness_policy=DIGEST_FRESHNESS,
    **PROVIDER_FACING,
)
def whatsapp_digest(
    context: dg.AssetExecutionContext,
    config: DigestConfig,
    registry: TenantRegistry,
    digest_senders: DigestSenders,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """One row per tenant-day and recipient: the digest and its delivery status
    (delivery.digests). Exactly once: a re-run never sends a recipient the same digest twice
    (delivery.whatsapp_ledger). The default `outbox` provider stores it and sends nothing."""
    run, now, rows, outcomes = TenantRun(context, registry), utcnow(), [], Counter()
    media = digest_senders.chart_media()  # the week's chart, for tenants with an explorer URL
    late = context.run.tags.get(LATE_TAG)  # set by late_digest_sensor: the send time it missed
    late_due = datetime.fromisoformat(late) if late else None
    no_recipients, per_day = [], {}  # per_day: each tenant-day's own sent / already_sent / failed
    for tenant, days in run.tenants():
        try:  # rows kept only when the whole tenant went through
            delivery = DigestDelivery(tenant, digest_senders.for_tenant(tenant), warehouse)
            for day, digest in load_digests(warehouse, tenant, days, late_due):
                own = per_day[f"{day.isoformat()}|{tenant.id}"] = Counter()
                force = config.force_resend
                try:
                    rows += deliver_day(
                        delivery, day, digest, own, force=force, now=now, media=media
                    )
                finally:  # what was sent before a failure still counts
                    outcomes.update(own)
        except Exception as exc:  # one tenant's failure must not stop the others' digests
            run.fail(tenant, "digest", exc)
            continue
        if not tenant.digest.recipients:
            no_recipients.append(tenant.id)
    frame = pd.DataFrame(rows, columns=DIGESTS.column_names)
    warehouse.replace_slices(DIGESTS, run.done_slices(), frame)
    if outcomes["failed"]:
        failed = outcomes["failed"]
        context.log.error(f"{failed} recipient(s) failed: see {WHATSAPP_LEDGER.qualified}")
    run.raise_failures()
    if outcomes["pending"]:  # transient trouble outlasted the retries: a re-run finishes the job
        raise dg.Failure(f"{outcomes['pending']} recipient(s) not confirmed sent: run it again")
    by_partition(
        context,
        frame,
        lambda own: {
            "dagster/row_count": len(own),
            "by_status": counts(own, "delivery_status"),
            # this tenant-day's own digest, as its recipients read it
            "preview": dg.MetadataValue.md(f"```\n{own['body'].iloc[-1]}\n```")
            if len(own)
            else dg.MetadataValue.md("_nothing sent_"),
        },
    )
    # each tenant-day's own delivery counts; over more partitions, the run's (run_totals)
    if per_partition(context):
        for key, own in per_day.items():
            extras = {"linked_calls": own["linked_calls"], "weekly_chart": bool(own["charts"])}
            context.add_asset_metadata({k: own[k] for k in OUTCOMES} | extras, partition_key=key)
    totals = {key: outcomes[key] for key in OUTCOMES}
    return dg.MaterializeResult(
        metadata={"tenants_without_recipients": no_recipients, **run_totals(context, totals)}
    )


OUTCOMES = ("sent", "already_sent", "failed")
