"""Transcribe: one transcript and its speaker turns per call; then conversation signals."""

import dagster as dg

from callintel_dagster.assets.common import PARTITIONED, PROVIDER_FACING, utcnow
from callintel_dagster.assets.metadata import (
    by_partition,
    counts,
    preview,
    reason_counts,
    run_totals,
)
from callintel_dagster.assets.tenant_loop import TenantRun
from callintel_dagster.lib.tables import CALL_SIGNALS
from callintel_dagster.resources.audio import AudioArchive
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.stt import Transcribers
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.claims import Claimer, claiming
from callintel_dagster.stages.signals import call_signals_of
from callintel_dagster.stages.transcription import TenantTranscripts, transcribe_tenant


class TranscriptsConfig(dg.Config):
    # transcribe the partition's audio again even where a transcript of the same recording,
    # provider and model exists (e.g. after upgrading the local model file in place)
    retranscribe: bool = False


@dg.asset(
    group_name="transcribe",
    deps=["call_records", "call_recordings"],
    kinds={"python"},
    **PROVIDER_FACING,
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
    run, store, total = TenantRun(context, registry), audio_archive.store(), TenantTranscripts()
    now = utcnow()
    claimer = Claimer(warehouse, "transcription", context.run.run_id, now, live=run.is_live)

    def transcribe(tenant, days):
        audio_tx = transcribers.audio_for_tenant(
            tenant,
            lambda uri, t=tenant.id: store.read_archived(t, uri),
            run.pool_slots("stt", tenant, tenant.stt.provider),
        )
        # calls another live run is transcribing are left to it: nobody pays for one twice
        done = transcribe_tenant(
            warehouse, tenant, days, audio_tx, config.retranscribe, now, claimer
        )
        run.left_to_others(tenant, done.left)
        return done

    with claiming(claimer):
        for _, done in run.each("transcription", transcribe):
            total.merge(done)
        warehouse.write(total.writes())
    run.raise_failures()
    frame = total.frame()
    by_partition(
        context,
        frame,
        lambda own: {
            "dagster/row_count": len(own),
            "by_status": counts(own, "transcript_status"),
            "reasons": reason_counts(own),
            "languages": counts(own, "language"),
            "speaker_separation": counts(own, "speaker_separation"),
            "preview": preview(
                own, ["call_id", "transcript_status", "language", "provider", "text"]
            ),
        },
    )
    return dg.MaterializeResult(
        metadata=run_totals(context, {"turns": len(total.turns), **dict(total.counts)})
    )


@dg.asset(group_name="transcribe", deps=["call_transcripts"], kinds={"python"}, **PARTITIONED)
def call_signals(
    context: dg.AssetExecutionContext, registry: TenantRegistry, warehouse: Warehouse
) -> dg.MaterializeResult:
    """One row per call with a transcript: talk ratio, monologues, questions, non-talk time,
    interruptions and pace, computed from its speaker turns (core.call_signals)."""
    run = TenantRun(context, registry)
    slices = [(t.id, d) for t, days in run.tenants() for d in days]
    found = call_signals_of(warehouse, slices)
    warehouse.replace_slices(CALL_SIGNALS, slices, found.rows)
    by_partition(
        context,
        found.rows,
        lambda own: {
            "dagster/row_count": len(own),
            "timed_calls": int(own["talk_ratio"].notna().sum()) if len(own) else 0,
            "preview": preview(
                own,
                ["call_id", "talk_ratio", "agent_word_share", "interruptions", "words_per_minute"],
            ),
        },
    )
    return dg.MaterializeResult(
        metadata=run_totals(context, {"calls_without_turns": found.calls - len(found.rows)})
    )
