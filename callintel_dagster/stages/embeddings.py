"""One tenant's search index for a run: transcript chunks embedded, each day's table replaced.

A chunk whose text was embedded before with the same model keeps its vector (no new request).
"""

from dataclasses import dataclass, field
from datetime import date

from callintel_dagster.lib.tables import TRANSCRIPT_TURNS
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.lib.transcripts.chunking import chunk_turns
from callintel_dagster.providers.base import Embedder
from callintel_dagster.resources.warehouse import Warehouse


@dataclass
class TenantEmbeddings:
    chunks: int = 0  # chunks written to the tenant's table
    calls: int = 0  # calls with turns
    reused: int = 0  # vectors kept from an earlier run
    sample: list[dict] = field(default_factory=list)  # the first rows written, for a preview
    days: list[dict] = field(default_factory=list)  # per day: tenant_id, partition_date, counts


def embed_tenant(
    warehouse: Warehouse, tenant: Tenant, days: list[date], embedder: Embedder, vector_store
) -> TenantEmbeddings:
    """`embedder`: the tenant's embedding model; `vector_store`: the per-tenant LanceDB store."""
    out = TenantEmbeddings()
    for day in days:
        turns = warehouse.read_slices(
            TRANSCRIPT_TURNS.qualified,
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
        out.reused += len(chunks) - len(todo)
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
        out.sample = out.sample or rows[:3]
        written = vector_store.replace_day(tenant.id, day.isoformat(), rows)
        calls = turns["call_id"].nunique() if len(turns) else 0
        out.chunks += written
        out.calls += calls
        out.days.append(
            {
                "tenant_id": tenant.id,
                "partition_date": day.isoformat(),
                "chunks": written,
                "calls": calls,
                "reused": len(chunks) - len(todo),
                "sample": rows[:3],
            }
        )
    return out
