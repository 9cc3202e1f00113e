"""One tenant's search index for a run: transcript chunks embedded with the call's facets, each
day's chunks replaced, then the tenant's BM25 (and, once large enough, ANN) index refreshed.

A chunk whose text was embedded before with the same model keeps its vector (no new request), so
re-running after a re-analysis only rewrites the facets.
"""

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from callintel_dagster.lib.tables import CALL_OBJECTIONS, FCT_CALLS, TRANSCRIPT_TURNS
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.lib.transcripts.chunking import chunk_turns
from callintel_dagster.lib.transcripts.turns import records_by
from callintel_dagster.providers.base import Embedder
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.day_reads import DayReader, read_by_day

FACETS_SQL_COLUMNS = "call_id, agent_name, sentiment_label, contact_tag, quality_score, language"
NO_FACETS = {
    "agent": None,
    "sentiment": None,
    "contact_tag": None,
    "quality_score": None,
    "objections": [],
    "language": None,
}


@dataclass
class TenantEmbeddings:
    chunks: int = 0  # chunks written to the tenant's table
    calls: int = 0  # calls with turns
    reused: int = 0  # vectors kept from an earlier run
    sample: list[dict] = field(default_factory=list)  # the first rows written, for a preview
    days: list[dict] = field(default_factory=list)  # per day: tenant_id, partition_date, counts
    index: dict = field(default_factory=dict)  # rows, fts, ann after the refresh


def embed_tenant(
    warehouse: Warehouse, tenant: Tenant, days: list[date], embedder: Embedder, vector_store
) -> TenantEmbeddings:
    """`embedder`: the tenant's embedding model; `vector_store`: the per-tenant LanceDB store."""
    out = TenantEmbeddings()
    chunk_words = tenant.embeddings.chunk_words
    for day, (turns, chunks, facets) in read_by_day(
        warehouse, tenant.id, days, lambda reader: _day_chunks(reader, chunk_words)
    ):
        known = vector_store.vectors_of_day(tenant.id, day.isoformat(), embedder.model)
        # a dict, not a list: the reuse count below tests every chunk against it (a list made
        # that quadratic: 100k calls' ~108k chunks took minutes)
        todo = dict.fromkeys(c["text"] for c in chunks if c["text"] not in known)
        if todo:
            known.update(zip(todo, embedder.embed(list(todo)).tolist(), strict=True))
        reused = sum(1 for c in chunks if c["text"] not in todo)
        out.reused += reused
        rows = [
            {
                **c,
                **facets.get(c["call_id"], NO_FACETS),
                "chunk_id": f"{c['call_id']}:{c['chunk_index']}",
                "tenant_id": tenant.id,
                "partition_date": day.isoformat(),
                "model": embedder.model,
                "vector": known[c["text"]],
            }
            for c in chunks
        ]
        out.sample = out.sample or rows[:3]
        written = vector_store.replace_day(tenant.id, day.isoformat(), rows, embedder.dim)
        calls = turns["call_id"].nunique() if len(turns) else 0
        out.chunks += written
        out.calls += calls
        out.days.append(
            {
                "tenant_id": tenant.id,
                "partition_date": day.isoformat(),
                "chunks": written,
                "calls": calls,
                "reused": reused,
                "sample": rows[:3],
            }
        )
    out.index = vector_store.refresh(tenant.id)
    return out


def _day_chunks(day: DayReader, chunk_words: int) -> tuple[pd.DataFrame, list[dict], dict]:
    """The tenant-day's turns, their chunks and the chunks' calls' facets."""
    turns = day.slice(
        TRANSCRIPT_TURNS.qualified,
        "call_id, turn_index, role, start_s, end_s, text",
        order_by="call_id, turn_index",
    )
    chunks = [
        chunk
        for call_id, call_turns in records_by(turns, "call_id").items()
        for chunk in chunk_turns(call_id, call_turns, chunk_words)
    ]
    return turns, chunks, call_facets(day) if chunks else {}


def call_facets(day: DayReader) -> dict[str, dict]:
    """Per call id of the tenant-day: agent, sentiment, contact tag, quality score, objection
    types and language, from marts.fct_calls and core.call_objections (empty before dbt ran)."""
    if not day.table_exists(FCT_CALLS):
        return {}
    calls = day.slice(FCT_CALLS, FACETS_SQL_COLUMNS)
    objections = day.slice(CALL_OBJECTIONS.qualified, "call_id, objection", order_by="objection")
    found: dict[str, set] = {}
    pairs = (
        zip(objections["call_id"], objections["objection"], strict=True) if len(objections) else ()
    )
    for call_id, objection in pairs:
        found.setdefault(call_id, set()).add(objection)
    by_call = {call_id: sorted(kinds) for call_id, kinds in found.items()}
    return {
        r["call_id"]: {
            "agent": _text(r["agent_name"]),
            "sentiment": _text(r["sentiment_label"]),
            "contact_tag": _text(r["contact_tag"]),
            "quality_score": None if pd.isna(r["quality_score"]) else float(r["quality_score"]),
            "objections": by_call.get(r["call_id"], []),
            "language": _text(r["language"]),
        }
        for r in calls.to_dict("records")
    }


def _text(value) -> str | None:
    return None if value is None or pd.isna(value) else str(value)
