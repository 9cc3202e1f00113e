"""Analyse: one outcome per call (ok, skipped, pending or failed with its reason), each call once
per agent version, with the tenant's answers, objections and token costs."""

import dagster as dg
import pandas as pd

from callintel_dagster.assets.common import PROVIDER_FACING, utcnow
from callintel_dagster.assets.metadata import (
    by_partition,
    counts,
    preview,
    reason_counts,
    run_totals,
)
from callintel_dagster.assets.tenant_loop import TenantRun
from callintel_dagster.lib.agents import prompts_version
from callintel_dagster.lib.analysis import OFFLINE_AGENT_VERSION
from callintel_dagster.lib.tables import CALL_ANALYSES
from callintel_dagster.resources.analyzers import Analyzers
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.analysis import COUNT_KEYS, TenantAnalysis, analyse_tenant
from callintel_dagster.stages.claims import Claimer, claiming


class AnalysesConfig(dg.Config):
    redrive_failed: bool = False  # analyse failed calls again even past their attempt limit


@dg.asset(
    group_name="analyse",
    deps=["call_transcripts"],
    kinds={"python"},
    # follows the prompt files' versions: a prompt change marks analysed partitions stale
    code_version=f"{OFFLINE_AGENT_VERSION};{prompts_version()}",
    **PROVIDER_FACING,
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
    claimer = Claimer(warehouse, "analysis", context.run.run_id, now, live=run.is_live)

    def analyse(tenant, days):  # a bad key or model fails this tenant, not the others
        analyzer = analyzers.for_tenant(tenant, run.pool_slots("llm", tenant, tenant.llm.provider))
        # calls another live run is analysing are left to it: nobody pays for a call twice
        done = analyse_tenant(
            warehouse, tenant, days, analyzer, now, config.redrive_failed, claimer
        )
        run.left_to_others(tenant, done.left)
        return analyzer, done

    with claiming(claimer):
        for _, (analyzer, done) in run.each("analysis", analyse):
            total.merge(done)
            models.add(f"{analyzer.provider}:{analyzer.model} ({analyzer.agent_version})")
        warehouse.write(total.writes())
    run.raise_failures()
    frame = pd.DataFrame(total.rows, columns=CALL_ANALYSES.column_names)
    by_partition(context, frame, _metadata)
    totals = {k: total.counts.get(k, 0) for k in COUNT_KEYS}
    return dg.MaterializeResult(
        metadata={"models": "; ".join(sorted(models)), **run_totals(context, totals)}
    )


def _metadata(frame: pd.DataFrame) -> dict:
    tokens = frame["prompt_tokens"].fillna(0).sum() + frame["completion_tokens"].fillna(0).sum()
    return {
        "dagster/row_count": len(frame),
        "by_status": counts(frame, "analysis_status"),
        "reasons": reason_counts(frame),
        "tokens": int(tokens),
        "cost_usd": float(frame["cost_usd"].fillna(0).sum()),
        "preview": preview(
            frame,
            ["call_id", "analysis_status", "sentiment_label", "quality_score", "contact_tag"],
        ),
    }
