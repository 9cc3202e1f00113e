"""Analyse: one outcome per call (ok, skipped or failed with its reason), each call once."""

import dagster as dg
import pandas as pd

from callintel_dagster.assets.common import PARTITIONED, utcnow
from callintel_dagster.assets.metadata import counts, preview
from callintel_dagster.assets.tenant_loop import TenantRun
from callintel_dagster.lib.analysis import OFFLINE_AGENT_VERSION, run_guardrails
from callintel_dagster.lib.analysis_rows import analysis_row
from callintel_dagster.lib.process_once import input_hash, needs_work, next_attempt
from callintel_dagster.lib.tables import CALL_ANALYSES
from callintel_dagster.resources.analyzers import Analyzers, Outcome
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.warehouse import Warehouse


@dg.asset(
    group_name="analyse",
    deps=["call_transcripts"],
    kinds={"python"},
    code_version=OFFLINE_AGENT_VERSION,
    **PARTITIONED,
)
def call_analyses(
    context: dg.AssetExecutionContext,
    registry: TenantRegistry,
    analyzers: Analyzers,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """One row per call: sentiment, BANT, objections, quality score, summary, contact tag and
    lead status, or why it was skipped or failed (core.call_analyses)."""
    run, now = TenantRun(context, registry), utcnow()
    rows, fresh = [], 0
    for tenant, days in run.tenants():
        slices = [(tenant.id, d) for d in days]
        analyzer = analyzers.for_tenant(tenant)
        previous = {
            r["call_id"]: r
            for r in warehouse.read_slices("core.call_analyses", slices).to_dict("records")
        }
        turns = warehouse.read_slices(
            "core.transcript_turns",
            slices,
            "call_id, turn_index, role, start_s, end_s, text",
            order_by="call_id, turn_index",
        )
        by_call = (
            {c: g.to_dict("records") for c, g in turns.groupby("call_id")} if len(turns) else {}
        )
        for call in warehouse.read_slices("core.call_transcripts", slices).to_dict("records"):
            text = call["text"] or ""
            digest, prior = input_hash(text), previous.get(call["call_id"])
            if not needs_work(prior, analyzer.agent_version, digest):
                rows.append(prior)
                continue
            fresh += 1
            skip = _skip_reason(call, text, tenant.llm.min_transcript_chars)
            outcome = (
                Outcome("skipped", 0, reason=skip)
                if skip
                else analyzer.analyse(by_call.get(call["call_id"], []))
            )
            attempts = next_attempt(prior, analyzer.agent_version, digest) if not skip else 0
            rows.append(analysis_row(call, analyzer, outcome, digest, attempts, now))
    frame = pd.DataFrame(rows, columns=CALL_ANALYSES.column_names)
    warehouse.replace_slices(CALL_ANALYSES, run.done_slices(), frame)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(frame),
            "analysed_now": fresh,
            "reused": len(frame) - fresh,
            "by_status": counts(frame, "analysis_status"),
            "reasons": counts(frame, "reason"),
            "model": ", ".join(sorted(frame["model"].unique())) if len(frame) else "",
            "preview": preview(
                frame,
                [
                    "call_id",
                    "analysis_status",
                    "sentiment_label",
                    "quality_score",
                    "contact_tag",
                    "lead_status",
                ],
            ),
        }
    )


def _skip_reason(call: dict, text: str, min_chars: int) -> str | None:
    if call["transcript_status"] != "ok":
        return f"{call['transcript_status']}: {call['reason']}"
    if len(text.strip()) < min_chars:
        return "transcript_too_short"
    return run_guardrails(text)
