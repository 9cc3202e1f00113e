"""Jobs: the 5-minute sync, processing of new calls, and the whole graph for a tenant-day.

Their partitioning (tenant × day) comes from the assets they select."""

import dagster as dg

INGEST = dg.AssetSelection.assets("crm_leads", "call_records")
PROCESSING = dg.AssetSelection.assets(
    "call_recordings", "call_transcripts", "call_signals", "call_analyses", "transcript_embeddings"
)

sync_job = dg.define_asset_job(
    "sync_job",
    selection=INGEST,
    description="Today's CRM leads and call records, all tenants.",
)
processing_job = dg.define_asset_job(
    "processing_job",
    selection=PROCESSING,
    description="Recordings, transcripts → signals → analyses → embeddings for new calls.",
)
daily_job = dg.define_asset_job(
    "daily_job",
    selection=dg.AssetSelection.all(),
    description="The whole graph for tenant-days: ingest to WhatsApp digest.",
)
redrive_analyses_job = dg.define_asset_job(
    "redrive_analyses_job",
    # fct_calls and the search index follow, so a re-analysed call's facets (sentiment, tag,
    # objections, ...) are searchable at once; unchanged chunks keep their vectors.
    selection=dg.AssetSelection.assets("call_analyses", "fct_calls", "transcript_embeddings"),
    config={"ops": {"call_analyses": {"config": {"redrive_failed": True}}}},
    description="Analyse again the calls whose analysis failed, even past their attempt limit "
    "(see marts.analysis_failures), then rebuild their fct_calls rows and search index. Pick "
    "the tenant-days to re-drive as partitions.",
)
