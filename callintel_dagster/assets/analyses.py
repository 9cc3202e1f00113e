"""Analyse: one outcome per call (ok, skipped, pending or failed with its reason), each call once
per agent version, with the tenant's answers, objections and token costs."""

import dagster as dg
import pandas as pd

from callintel_dagster.assets.analysis_work import TenantAnalysis, analyse_tenant
from callintel_dagster.assets.common import PARTITIONED, utcnow
from callintel_dagster.assets.metadata import counts, preview
from callintel_dagster.assets.tenant_loop import TenantRun
from callintel_dagster.lib.agents import prompts_version
from callintel_dagster.lib.analysis import OFFLINE_AGENT_VERSION
from callintel_dagster.lib.tables import CALL_ANALYSES, CALL_ANSWERS, CALL_OBJECTIONS, LLM_CACHE
from callintel_dagster.resources.analyzers import Analyzers
from callintel_dagster.resources.pool_slots import PoolSlots
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.warehouse import RowUpsert, SliceWrite, Warehouse


class AnalysesConfig(dg.Config):
    redrive_failed: bool = False  # analyse failed calls again even past their attempt limit


@dg.asset(
    group_name="analyse",
    deps=["call_transcripts"],
    kinds={"python"},
    # follows the prompt files' versions: a prompt change marks analysed partitions stale
    code_version=f"{OFFLINE_AGENT_VERSION};{prompts_version()}",
    **PARTITIONED,
)
def call_analyses(
    context: dg.AssetExecutionContext,
    config: AnalysesConfig,
    registry: TenantRegistry,
    analyzers: Analyzers,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """One row per call: summary, sentiment, BANT, quality score, objections, contact tag, lead
    score, tokens and cost, or why it was skipped, held back or failed (core.call_analyses); the
    tenant's question answers and fields in core.call_answers."""
    run, now, total, models = TenantRun(context, registry), utcnow(), TenantAnalysis(), set()
    for tenant, days in run.tenants():
        try:
            slots = (
                None
                if tenant.llm.provider == "offline"
                else PoolSlots(context, f"llm_{tenant.llm.provider}")
            )
            analyzer = analyzers.for_tenant(tenant, slots)
            done = analyse_tenant(tenant, days, analyzer, warehouse, now, config.redrive_failed)
        except Exception as exc:  # a bad key or model fails this tenant, not the others
            run.fail(tenant, "analysis", exc)
            continue
        models.add(f"{analyzer.provider}:{analyzer.model} ({analyzer.agent_version})")
        for name in ("rows", "answers", "objections", "cache_rows"):
            getattr(total, name).extend(getattr(done, name))
        total.counts.update(done.counts)
    slices = run.done_slices()
    frame = pd.DataFrame(total.rows, columns=CALL_ANALYSES.column_names)
    warehouse.write(
        [
            SliceWrite(CALL_ANALYSES, slices, frame),
            SliceWrite(
                CALL_ANSWERS, slices, pd.DataFrame(total.answers, columns=CALL_ANSWERS.column_names)
            ),
            SliceWrite(
                CALL_OBJECTIONS,
                slices,
                pd.DataFrame(total.objections, columns=CALL_OBJECTIONS.column_names),
            ),
            RowUpsert(
                LLM_CACHE,
                ("tenant_id", "cache_key"),
                pd.DataFrame(total.cache_rows, columns=LLM_CACHE.column_names),
            ),
        ]
    )
    run.raise_failures()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(frame),
            **{
                k: total.counts.get(k, 0)
                for k in (
                    "ok",
                    "cached",
                    "reused",
                    "skipped",
                    "pending",
                    "failed",
                    "requests",
                    "retried",
                )
            },
            "by_status": counts(frame, "analysis_status"),
            "reasons": counts(frame, "reason"),
            "tokens": int(
                frame["prompt_tokens"].fillna(0).sum() + frame["completion_tokens"].fillna(0).sum()
            )
            if len(frame)
            else 0,
            "cost_usd": float(frame["cost_usd"].fillna(0).sum()) if len(frame) else 0.0,
            "models": "; ".join(sorted(models)),
            "preview": preview(
                frame,
                [
                    "call_id",
                    "analysis_status",
                    "sentiment_label",
                    "quality_score",
                    "contact_tag",
                    "lead_score",
                ],
            ),
        }
    )
