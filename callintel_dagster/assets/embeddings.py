"""Search: transcript chunks embedded, with the call's facets, into the tenant's own LanceDB
table, replaced per day; BM25 and ANN indices refreshed (search/index.py)."""

import dagster as dg
import pandas as pd

from callintel_dagster.assets.common import PARTITIONED
from callintel_dagster.assets.metadata import by_partition, preview, run_totals
from callintel_dagster.assets.tenant_loop import TenantRun
from callintel_dagster.resources.embeddings import Embedders, VectorStore
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.embeddings import embed_tenant


# After the analyses and fct_calls: each chunk carries its call's facets (sentiment, tag, ...),
# so a re-analysis followed by this asset updates them (vectors of unchanged text are reused).
@dg.asset(
    group_name="search",
    deps=["call_transcripts", "call_analyses", "fct_calls"],
    kinds={"lancedb"},
    **PARTITIONED,
)
def transcript_embeddings(
    context: dg.AssetExecutionContext,
    registry: TenantRegistry,
    embedders: Embedders,
    vector_store: VectorStore,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """One row per transcript chunk (consecutive turns up to a word budget, with speakers and
    times), its vector and its call's facets (agent, sentiment, contact tag, quality score,
    objections, language), in the LanceDB table `chunks_<tenant>` with a BM25 index on the text."""
    run = TenantRun(context, registry)
    days, model, indices = [], "", {}
    for tenant, tenant_days in run.tenants():
        embedder = embedders.for_tenant(tenant)
        model = embedder.model
        done = embed_tenant(warehouse, tenant, tenant_days, embedder, vector_store)
        days += done.days
        indices[tenant.id] = done.index
    frame = pd.DataFrame(
        days, columns=["tenant_id", "partition_date", "chunks", "calls", "reused", "sample"]
    )
    by_partition(
        context,
        frame,
        lambda own: {
            "dagster/row_count": int(own["chunks"].sum()),
            "calls": int(own["calls"].sum()),
            "vectors_reused": int(own["reused"].sum()),
            "preview": preview(
                pd.DataFrame([r for rows in own["sample"] for r in rows]),
                ["chunk_id", "roles", "text"],
            ),
        },
        rows="chunks",
    )
    return dg.MaterializeResult(
        metadata={
            "model": model,
            "lancedb_path": dg.MetadataValue.path(vector_store.path),
            "index": dg.MetadataValue.json(indices),
            **run_totals(context, {"chunks": int(frame["chunks"].sum())}),
        }
    )
