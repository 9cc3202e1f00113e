"""Search: transcript chunks embedded into the tenant's own LanceDB table, replaced per day."""

import dagster as dg
import pandas as pd

from callintel_dagster.assets.common import PARTITIONED
from callintel_dagster.assets.metadata import preview
from callintel_dagster.assets.tenant_loop import TenantRun
from callintel_dagster.lib.transcripts.chunking import chunk_turns
from callintel_dagster.resources.embeddings import Embedders, VectorStore
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.warehouse import Warehouse


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
        for day in days:
            turns = warehouse.read_slices(
                "core.transcript_turns",
                [(tenant.id, day)],
                "call_id, turn_index, role, start_s, end_s, text",
                order_by="call_id, turn_index",
            )
            chunks = (
                []
                if turns.empty
                else [
                    chunk
                    for call_id, group in turns.groupby("call_id")
                    for chunk in chunk_turns(
                        call_id, group.to_dict("records"), tenant.embeddings.chunk_words
                    )
                ]
            )
            known = vector_store.vectors_of_day(tenant.id, day.isoformat(), embedder.model)
            todo = [c["text"] for c in chunks if c["text"] not in known]
            known.update(zip(todo, embedder.embed(todo).tolist(), strict=True))
            reused += len(chunks) - len(todo)
            rows = [
                {
                    **c,
                    "chunk_id": f"{c['call_id']}:{c['chunk_index']}",
                    "tenant_id": tenant.id,
                    "partition_date": day.isoformat(),
                    "model": embedder.model,
                    "vector": known[c["text"]],
                }
                for c in chunks
            ]
            sample = sample or rows[:3]
            chunks_written += vector_store.replace_day(tenant.id, day.isoformat(), rows)
            calls_embedded += turns["call_id"].nunique() if len(turns) else 0
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
