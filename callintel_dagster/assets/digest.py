"""Deliver: the tenant's daily digest, sent over WhatsApp (or written to the outbox)."""

from collections import Counter

import dagster as dg
import pandas as pd
from pydantic import Field

from callintel_dagster.assets.common import PARTITIONED, utcnow
from callintel_dagster.assets.tenant_loop import TenantRun
from callintel_dagster.lib.tables import DIGESTS
from callintel_dagster.resources.digests import DigestSenders, load_digest
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.warehouse import Warehouse


class DigestConfig(dg.Config):
    force_resend: bool = Field(
        False,
        description="Send the digest AGAIN to every recipient, even parts already sent or "
        "recorded as failed (a deliberate resend: recipients get a second copy).",
    )


@dg.asset(group_name="deliver", deps=["daily_ai_summary"], kinds={"python"}, **PARTITIONED)
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
    no_recipients = []
    for tenant, days in run.tenants():
        tenant_rows = []  # kept only when the whole tenant went through
        try:
            sender = digest_senders.for_tenant(tenant, warehouse)
            for day in days:
                digest = load_digest(warehouse, tenant, day)
                if digest is None:
                    raise dg.Failure(f"tenant {tenant.id} {day}: no daily_ai_summary to send")
                for recipient in tenant.digest.recipients:
                    sent = sender.deliver(day, recipient, digest, force=config.force_resend)
                    outcomes[sent.outcome] += 1
                    row = (tenant.id, day, recipient, sender.provider, digest.text, sent.status)
                    tenant_rows.append((*row, sent.location, now))
        except Exception as exc:  # one tenant's failure must not stop the others' digests
            run.fail(tenant, "digest", exc)
            continue
        rows += tenant_rows
        if not tenant.digest.recipients:
            no_recipients.append(tenant.id)
    frame = pd.DataFrame(rows, columns=DIGESTS.column_names)
    warehouse.replace_slices(DIGESTS, run.done_slices(), frame)
    if outcomes["failed"]:
        context.log.error(f"{outcomes['failed']} recipient(s) failed: see delivery.whatsapp_ledger")
    run.raise_failures()
    if outcomes["pending"]:  # transient trouble outlasted the retries: a re-run finishes the job
        raise dg.Failure(f"{outcomes['pending']} recipient(s) not confirmed sent: run it again")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(frame),
            **{key: outcomes[key] for key in ("sent", "already_sent", "failed")},
            "tenants_without_recipients": no_recipients,
            "preview": dg.MetadataValue.md(f"```\n{frame['body'].iloc[-1]}\n```")
            if len(frame)
            else dg.MetadataValue.md("_nothing sent_"),
        }
    )
