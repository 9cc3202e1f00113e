"""Search: transcript chunks embedded into the tenant's own LanceDB table, replaced per day."""

import dagster as dg
import pandas as pd

from callintel_dagster.assets.common import PARTITIONED
from callintel_dagster.assets.metadata import preview
from callintel_dagster.assets.tenant_loop import TenantRun
from callintel_dagster.resources.embeddings import Embedders, VectorStore
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.embeddings import embed_tenant


@dg.asset(group_name="search", deps=["call_transcripts"], kinds={"lancedb"}, **PARTITIONED)
def transcript_embeddings(
    context: dg.AssetExecutionContext,
    registry: TenantRegistry,
    embedders: Embedders,
    vector_store: VectorStore,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """One row per transcript chunk (consecutive turns up to a word budget, with speakers and
    times) and its 384-d vector, in the LanceDB table `chunks_<tenant>`."""
    run = TenantRun(context, registry)
    chunks_written, calls_embedded, reused, model, sample = 0, 0, 0, "", []
    for tenant, days in run.tenants():
        embedder = embedders.for_tenant(tenant)
        model = embedder.model
        done = embed_tenant(warehouse, tenant, days, embedder, vector_store)
        chunks_written += done.chunks
        calls_embedded += done.calls
        reused += done.reused
        sample = sample or done.sample
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": chunks_written,
            "calls": calls_embedded,
            "vectors_reused": reused,
            "model": model,
            "lancedb_path": dg.MetadataValue.path(vector_store.path),
            "preview": preview(pd.DataFrame(sample), ["chunk_id", "roles", "text"]),
        }
    )
