"""Deliver: the tenant's day summarised (strict JSON) and sent as a WhatsApp digest."""

import json

import dagster as dg
import pandas as pd

from callintel_dagster.assets.common import PARTITIONED, utcnow
from callintel_dagster.assets.metadata import preview
from callintel_dagster.assets.tenant_loop import TenantRun
from callintel_dagster.lib.daily_summary import DailySummary
from callintel_dagster.lib.digest_text import render_digest
from callintel_dagster.lib.notable import kpis_for, notable_calls
from callintel_dagster.lib.tables import DAILY_SUMMARIES, DIGESTS
from callintel_dagster.resources.digests import DigestSenders
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.summaries import Summarizers
from callintel_dagster.resources.warehouse import Warehouse


@dg.asset(
    group_name="deliver", deps=["kpi_tenant_daily", "fct_calls"], kinds={"python"}, **PARTITIONED
)
def daily_ai_summary(
    context: dg.AssetExecutionContext,
    registry: TenantRegistry,
    summarizers: Summarizers,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """One row per tenant-day: headline, wins, risks and actions from the day's KPIs and notable
    calls (delivery.daily_summaries)."""
    run, now, rows = TenantRun(context, registry), utcnow(), []
    for tenant, days in run.tenants():
        summarizer = summarizers.for_tenant(tenant)
        for day in days:
            kpis = kpis_for(warehouse.read_slices("marts.kpi_tenant_daily", [(tenant.id, day)]))
            calls = warehouse.read_slices("marts.fct_calls", [(tenant.id, day)])
            summary = summarizer.summarise(day, kpis, notable_calls(calls))
            rows.append(
                {
                    "tenant_id": tenant.id,
                    "partition_date": day,
                    "provider": summarizer.provider,
                    "model": summarizer.model,
                    "headline": summary.headline,
                    "summary_json": summary.model_dump_json(),
                    "fallback_reason": None,
                    "created_at_utc": now,
                }
            )
    frame = pd.DataFrame(rows, columns=DAILY_SUMMARIES.column_names)
    warehouse.replace_slices(DAILY_SUMMARIES, run.done_slices(), frame)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(frame),
            "preview": preview(frame, ["tenant_id", "partition_date", "headline"]),
        }
    )


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
