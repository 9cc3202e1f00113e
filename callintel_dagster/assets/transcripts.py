"""Transcribe: one transcript and its speaker turns per call; then conversation signals."""

from collections import Counter

import dagster as dg
import pandas as pd

from callintel_dagster.assets.common import PARTITIONED
from callintel_dagster.assets.metadata import counts, preview
from callintel_dagster.assets.tenant_loop import TenantRun
from callintel_dagster.lib.tables import CALL_SIGNALS, CALL_TRANSCRIPTS, TRANSCRIPT_TURNS
from callintel_dagster.lib.transcripts.signals import compute_signals
from callintel_dagster.resources.audio import AudioArchive
from callintel_dagster.resources.pool_slots import PoolSlots
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.stt import Transcribers
from callintel_dagster.resources.warehouse import SliceWrite, Warehouse
from callintel_dagster.stages.transcription import transcribe_tenant


class TranscriptsConfig(dg.Config):
    # transcribe the partition's audio again even where a transcript of the same recording,
    # provider and model exists (e.g. after upgrading the local model file in place)
    retranscribe: bool = False


@dg.asset(
    group_name="transcribe",
    deps=["call_records", "call_recordings"],
    kinds={"python"},
    **PARTITIONED,
)
def call_transcripts(
    context: dg.AssetExecutionContext,
    config: TranscriptsConfig,
    registry: TenantRegistry,
    transcribers: Transcribers,
    audio_archive: AudioArchive,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """One row per call: its transcript, language, provider, model, confidence and how speakers
    were separated, or why there is none (core.call_transcripts); one row per speaker turn with
    its role, times and confidence (core.transcript_turns)."""
    run, store = TenantRun(context, registry), audio_archive.store()
    rows, turns, totals = [], [], Counter()
    for tenant, days in run.tenants():
        provider = tenant.stt.provider
        try:
            slots = None if provider == "passthrough" else PoolSlots(context, f"stt_{provider}")
            audio_tx = transcribers.audio_for_tenant(
                tenant, lambda uri, t=tenant.id: store.read_archived(t, uri), slots
            )
            done = transcribe_tenant(warehouse, tenant, days, audio_tx, config.retranscribe)
        except Exception as exc:  # noqa: BLE001 - isolate the tenant, report below
            run.fail(tenant, "transcription", exc)
            continue
        rows += done.rows
        turns += done.turns
        totals.update(done.counts)
    slices = run.done_slices()
    frame = pd.DataFrame(rows, columns=CALL_TRANSCRIPTS.column_names)
    warehouse.write(
        [
            SliceWrite(CALL_TRANSCRIPTS, slices, frame),
            SliceWrite(
                TRANSCRIPT_TURNS, slices, pd.DataFrame(turns, columns=TRANSCRIPT_TURNS.column_names)
            ),
        ]
    )
    run.raise_failures()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(frame),
            "turns": len(turns),
            **dict(totals),
            "by_status": counts(frame, "transcript_status"),
            "reasons": counts(frame, "reason"),
            "speaker_separation": counts(frame, "speaker_separation"),
            "preview": preview(frame, ["call_id", "transcript_status", "provider", "text"]),
        }
    )


@dg.asset(group_name="transcribe", deps=["call_transcripts"], kinds={"python"}, **PARTITIONED)
def call_signals(
    context: dg.AssetExecutionContext, registry: TenantRegistry, warehouse: Warehouse
) -> dg.MaterializeResult:
    """One row per call with a transcript: talk ratio, monologues, questions, non-talk time,
    interruptions and pace, computed from its speaker turns (core.call_signals)."""
    run = TenantRun(context, registry)
    slices = [(t.id, d) for t, days in run.tenants() for d in days]
    calls = warehouse.read_slices(
        CALL_TRANSCRIPTS.qualified, slices, "tenant_id, partition_date, call_id, duration_seconds"
    )
    turns = warehouse.read_slices(
        TRANSCRIPT_TURNS.qualified,
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
