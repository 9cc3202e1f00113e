"""Jobs: the 5-minute sync, processing of new calls, and the whole graph for a tenant-day.

Their partitioning (tenant × day) comes from the assets they select."""

import dagster as dg

INGEST = dg.AssetSelection.assets("crm_leads", "call_records")
PROCESSING = dg.AssetSelection.assets(
    "call_recordings", "call_transcripts", "call_signals", "call_analyses", "transcript_embeddings"
)
PER_CALL = INGEST | PROCESSING  # work that grows with calls and splits by tenant

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
# daily_job in two halves, for many tenant-days at once (the cluster demo and bench): one calls_job
# run per tenant spreads the per-call work over workers, then ONE marts_job run builds the marts
# for all of them. One daily_job run per tenant would run one dbt build each, one at a time (the
# dbt_warehouse pool): docs/cluster.md#benchmark-one-worker-against-two.
calls_job = dg.define_asset_job(
    "calls_job",
    selection=PER_CALL,
    description="Per-call work for tenant-days: CRM leads and call records through recordings, "
    "transcripts, signals, analyses and the search index. The first half of daily_job; "
    "marts_job does the rest.",
)
marts_job = dg.define_asset_job(
    "marts_job",
    selection=dg.AssetSelection.all() - PER_CALL,
    description="dbt marts, daily AI summaries, WhatsApp digests and CRM write-back for "
    "tenant-days whose calls calls_job has processed: the second half of daily_job, one dbt "
    "build for however many tenants the run covers.",
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
