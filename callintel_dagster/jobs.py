"""Jobs: the 5-minute sync, processing of new calls, and the whole graph for a tenant-day."""

import dagster as dg

from callintel_dagster.partitions import tenant_day_partitions

INGEST = dg.AssetSelection.assets("crm_leads", "call_records")
PROCESSING = dg.AssetSelection.assets(
    "call_recordings", "call_transcripts", "call_signals", "call_analyses", "transcript_embeddings"
)

sync_job = dg.define_asset_job(
    "sync_job",
    selection=INGEST,
    partitions_def=tenant_day_partitions,
    description="Today's CRM leads and call records, all tenants.",
)
processing_job = dg.define_asset_job(
    "processing_job",
    selection=PROCESSING,
    partitions_def=tenant_day_partitions,
    description="Recordings, transcripts → signals → analyses → embeddings for new calls.",
)
daily_job = dg.define_asset_job(
    "daily_job",
    selection=dg.AssetSelection.all(),
    partitions_def=tenant_day_partitions,
    description="The whole graph for tenant-days: ingest to WhatsApp digest.",
)
