"""Deliver: the tenant's daily digest, sent over WhatsApp (or written to the outbox)."""

import json

import dagster as dg
import pandas as pd

from callintel_dagster.assets.common import PARTITIONED, utcnow
from callintel_dagster.assets.tenant_loop import TenantRun
from callintel_dagster.lib.daily_summary import DailySummary
from callintel_dagster.lib.digest_text import render_digest
from callintel_dagster.lib.notable import kpis_for
from callintel_dagster.lib.tables import DIGESTS
from callintel_dagster.resources.digests import DigestSenders
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.warehouse import Warehouse


@dg.asset(group_name="deliver", deps=["daily_ai_summary"], kinds={"python"}, **PARTITIONED)
def whatsapp_digest(
    context: dg.AssetExecutionContext,
    registry: TenantRegistry,
    digest_senders: DigestSenders,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """One row per tenant-day and recipient: the WhatsApp message and its delivery status
    (delivery.digests). The default `outbox` provider stores it and sends nothing."""
    run, now, rows, no_recipients = TenantRun(context, registry), utcnow(), [], []
    for tenant, days in run.tenants():
        sender = digest_senders.for_tenant(tenant)
        if not tenant.digest.recipients:
            no_recipients.append(tenant.id)
        for day in days:
            summary_rows = warehouse.read_slices("delivery.daily_summaries", [(tenant.id, day)])
            if summary_rows.empty:
                raise dg.Failure(f"tenant {tenant.id} {day}: no daily_ai_summary to send")
            summary = DailySummary.model_validate(json.loads(summary_rows["summary_json"][0]))
            kpis = kpis_for(warehouse.read_slices("marts.kpi_tenant_daily", [(tenant.id, day)]))
            body = render_digest(tenant.name, day, kpis, summary)
            for recipient in tenant.digest.recipients:
                delivery = sender.send(day.isoformat(), recipient, body)
                rows.append(
                    {
                        "tenant_id": tenant.id,
                        "partition_date": day,
                        "recipient": recipient,
                        "provider": sender.provider,
                        "body": body,
                        "delivery_status": delivery.status,
                        "location": delivery.location,
                        "created_at_utc": now,
                    }
                )
    frame = pd.DataFrame(rows, columns=DIGESTS.column_names)
    warehouse.replace_slices(DIGESTS, run.done_slices(), frame)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(frame),
            "tenants_without_recipients": no_recipients,
            "preview": dg.MetadataValue.md(f"```\n{frame['body'].iloc[-1]}\n```")
            if len(frame)
            else dg.MetadataValue.md("_nothing sent_"),
        }
    )
