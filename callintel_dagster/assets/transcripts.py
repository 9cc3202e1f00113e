"""Transcribe: one transcript and its speaker turns per call; then conversation signals."""

import dagster as dg
import pandas as pd

from callintel_dagster.assets.common import PARTITIONED
from callintel_dagster.assets.metadata import counts, preview
from callintel_dagster.assets.tenant_loop import TenantRun
from callintel_dagster.lib.signals import compute_signals
from callintel_dagster.lib.tables import CALL_SIGNALS, CALL_TRANSCRIPTS, TRANSCRIPT_TURNS
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.stt import Transcribers
from callintel_dagster.resources.warehouse import SliceWrite, Warehouse


@dg.asset(group_name="transcribe", deps=["call_records"], kinds={"python"}, **PARTITIONED)
def call_transcripts(
    context: dg.AssetExecutionContext,
    registry: TenantRegistry,
    transcribers: Transcribers,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """One row per call: its transcript, language, provider and how speakers were separated
    (core.call_transcripts); one row per speaker turn in core.transcript_turns."""
    run = TenantRun(context, registry)
    transcripts, turns = [], []
    for tenant, days in run.tenants():
        try:
            stt = transcribers.for_tenant(tenant)
            calls = warehouse.read_slices("raw.call_records", [(tenant.id, d) for d in days])
            for call in calls.to_dict("records"):
                result = stt.transcribe(call)
                key = {
                    "tenant_id": tenant.id,
                    "partition_date": call["partition_date"],
                    "call_id": call["call_id"],
                }
                transcripts.append(
                    {
                        **key,
                        "transcript_status": result.status,
                        "reason": result.reason,
                        "text": result.text,
                        "language": result.language,
                        "duration_seconds": call["duration_seconds"],
                        "provider": result.provider,
                        "model": result.model,
                        "confidence": result.confidence,
                        "speaker_separation": result.speaker_separation,
                        "turn_count": len(result.turns),
                    }
                )
                turns.extend(
                    {**key, "turn_index": i, "confidence": None, **_turn(t)}
                    for i, t in enumerate(result.turns)
                )
        except Exception as exc:  # noqa: BLE001 - isolate the tenant, report below
            run.fail(tenant, "transcription", exc)
    done = set(run.done_slices())
    transcripts = [r for r in transcripts if (r["tenant_id"], r["partition_date"]) in done]
    turns = [r for r in turns if (r["tenant_id"], r["partition_date"]) in done]
    frame = pd.DataFrame(transcripts, columns=CALL_TRANSCRIPTS.column_names)
    warehouse.write(
        [
            SliceWrite(CALL_TRANSCRIPTS, sorted(done), frame),
            SliceWrite(TRANSCRIPT_TURNS, sorted(done), pd.DataFrame(turns)),
        ]
    )
    run.raise_failures()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(frame),
            "turns": len(turns),
            "by_status": counts(frame, "transcript_status"),
            "reasons": counts(frame, "reason"),
            "preview": preview(frame, ["call_id", "transcript_status", "turn_count", "text"]),
        }
    )


def _turn(turn: dict) -> dict:
    return {
        "role": turn["role"],
        "start_s": turn.get("start_s"),
        "end_s": turn.get("end_s"),
        "text": turn["text"],
    }


@dg.asset(group_name="transcribe", deps=["call_transcripts"], kinds={"python"}, **PARTITIONED)
def call_signals(
    context: dg.AssetExecutionContext, registry: TenantRegistry, warehouse: Warehouse
) -> dg.MaterializeResult:
    """One row per call with a transcript: talk ratio, monologues, questions, non-talk time,
    interruptions and pace, computed from its speaker turns (core.call_signals)."""
    run = TenantRun(context, registry)
    slices = [(t.id, d) for t, days in run.tenants() for d in days]
    calls = warehouse.read_slices(
        "core.call_transcripts", slices, "tenant_id, partition_date, call_id, duration_seconds"
    )
    turns = warehouse.read_slices(
        "core.transcript_turns",
        slices,
        "tenant_id, call_id, turn_index, role, start_s, end_s, text",
        order_by="tenant_id, call_id, turn_index",
    )
    grouped = (
        {k: g.to_dict("records") for k, g in turns.groupby(["tenant_id", "call_id"])}
        if len(turns)
        else {}
    )
    rows = []
    for call in calls.to_dict("records"):
        call_turns = grouped.get((call["tenant_id"], call["call_id"]), [])
        if not call_turns:
            continue
        signals = compute_signals(call_turns, _number(call["duration_seconds"]))
        rows.append(
            {
                "tenant_id": call["tenant_id"],
                "partition_date": call["partition_date"],
                "call_id": call["call_id"],
                **signals,
            }
        )
    frame = pd.DataFrame(rows, columns=CALL_SIGNALS.column_names)
    warehouse.replace_slices(CALL_SIGNALS, slices, frame)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(frame),
            "calls_without_turns": len(calls) - len(frame),
            "preview": preview(
                frame, ["call_id", "talk_ratio", "interruptions", "words_per_minute"]
            ),
        }
    )


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
