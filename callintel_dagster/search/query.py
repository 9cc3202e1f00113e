"""Search one tenant's calls: BM25, vectors, or both fused with reciprocal-rank fusion (LanceDB's
hybrid query and RRF reranker), with the filters applied inside the query.

    hits = search(store, embedder, "acme", "price too high", Filters(sentiment="negative"))

`store` is anything with `open(tenant_id)` returning the tenant's LanceDB table or None: the
`VectorStore` resource or a `ChunkIndex(path)`. `embedder` is the tenant's embedding model (the
one its index was built with); mode "bm25" never calls it.
"""

import re
from dataclasses import dataclass, field

from callintel_dagster.providers.base import Embedder
from callintel_dagster.search.filters import Filters, where_clause
from callintel_dagster.search.index import (
    ANN_NPROBES,
    ANN_REFINE_FACTOR,
    METRIC,
    EmptyIndex,
    ModelMismatch,
    quote,
)

MODES = ("hybrid", "bm25", "vector")
MARK_OPEN, MARK_CLOSE = "«", "»"
SNIPPET_WORDS = 40
ROW_COLUMNS = [
    "chunk_id",
    "call_id",
    "partition_date",
    "chunk_index",
    "speaker",
    "roles",
    "start_s",
    "end_s",
    "text",
    "agent",
    "sentiment",
    "contact_tag",
    "quality_score",
    "objections",
    "language",
]


@dataclass(frozen=True)
class Hit:
    call_id: str
    day: str  # the call's local day, ISO
    speaker: str  # who speaks first in the chunk (agent | customer)
    start_s: float | None
    end_s: float | None
    text: str  # the whole chunk, "Role: words" per line
    snippet: str  # a window of the chunk with the matched words marked «…»
    score: float  # hybrid: RRF score; bm25: BM25 score; vector: cosine similarity
    chunk_id: str
    agent: str | None = None
    sentiment: str | None = None
    language: str | None = None
    contact_tag: str | None = None
    quality_score: float | None = None
    objections: list[str] = field(default_factory=list)
    roles: str = ""


@dataclass(frozen=True)
class Chunk:
    """A stored chunk, as `chunks_of_calls` returns it (in call and chunk order)."""

    chunk_id: str
    call_id: str
    day: str
    chunk_index: int
    speaker: str
    roles: str
    start_s: float | None
    end_s: float | None
    text: str
    agent: str | None
    sentiment: str | None
    language: str | None
    contact_tag: str | None
    quality_score: float | None
    objections: list[str]


def search(
    store,
    embedder: Embedder | None,
    tenant_id: str,
    text: str,
    filters: Filters | None = None,
    limit: int = 10,
    mode: str = "hybrid",
    exact: bool = False,
) -> list[Hit]:
    """The tenant's best `limit` chunks for `text`, best first. Raises EmptyIndex when the tenant
    has nothing indexed, ModelMismatch when `embedder` is not the index's model, ValueError for a
    bad mode, limit or empty text. `exact`: scan every vector even when the tenant's table has an
    ANN index (to measure the index's recall and speed against)."""
    if mode not in MODES:
        raise ValueError(f"unknown search mode {mode!r} (one of {', '.join(MODES)})")
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    if not text or not text.strip():
        raise ValueError("the search text is empty")
    table = _table(store, tenant_id)
    where = where_clause(tenant_id, filters)
    ann = any(i.name == "vector_idx" for i in table.list_indices())
    if mode == "bm25":
        query = table.search(text, query_type="fts")
    else:
        if embedder is None:
            raise ValueError(f"mode {mode!r} needs the tenant's embedder")
        vector = embedder.embed([text])[0]
        dim = table.schema.field("vector").type.list_size
        if len(vector) != dim:
            raise ModelMismatch(
                f"tenant {tenant_id}: the index holds {dim}-d vectors, the embedder "
                f"{embedder.model} gives {len(vector)}-d; re-embed the tenant's days"
            )
        if mode == "vector":
            query = table.search(vector, query_type="vector").distance_type(METRIC)
        else:
            from lancedb.rerankers import RRFReranker

            query = (
                table.search(query_type="hybrid")
                .vector(vector)
                .text(text)
                .distance_type(METRIC)
                .rerank(RRFReranker(return_score="relevance"))
            )
        if ann and exact:
            query = query.bypass_vector_index()
        elif ann:
            query = query.nprobes(ANN_NPROBES).refine_factor(ANN_REFINE_FACTOR)
    # the score columns named too: LanceDB will stop adding them to a projection by itself
    scores = {"bm25": ["_score"], "vector": ["_distance"], "hybrid": []}
    columns = ROW_COLUMNS + scores[mode]
    rows = query.where(where, prefilter=True).select(columns).limit(limit).to_list()
    terms = query_terms(text)
    return [_hit(row, mode, terms) for row in rows[:limit]]


def chunks_of_calls(store, tenant_id: str, call_ids: list[str]) -> list[Chunk]:
    """Every stored chunk of the tenant's `call_ids`, in call and chunk order (to quote a call,
    or check a citation against the stored transcript)."""
    if not call_ids:
        return []
    table = _table(store, tenant_id)
    ids = ", ".join(quote(c) for c in dict.fromkeys(call_ids))
    where = f"{where_clause(tenant_id, None)} AND call_id IN ({ids})"
    rows = table.search().where(where, prefilter=True).select(ROW_COLUMNS).limit(None).to_list()
    rows.sort(key=lambda r: (r["call_id"], r["chunk_index"]))
    return [
        Chunk(
            chunk_id=r["chunk_id"],
            call_id=r["call_id"],
            day=r["partition_date"],
            chunk_index=r["chunk_index"],
            speaker=r["speaker"],
            roles=r["roles"],
            start_s=r["start_s"],
            end_s=r["end_s"],
            text=r["text"],
            agent=r["agent"],
            sentiment=r["sentiment"],
            language=r["language"],
            contact_tag=r["contact_tag"],
            quality_score=r["quality_score"],
            objections=list(r["objections"] or []),
        )
        for r in rows
    ]


def calls_in_index(store, tenant_id: str, filters: Filters | None = None) -> list[str]:
    """The tenant's call ids with chunks in the index that match `filters`, sorted."""
    table = _table(store, tenant_id)
    where = where_clause(tenant_id, filters)
    found = table.search().where(where, prefilter=True).select(["call_id"]).limit(None)
    return sorted(set(found.to_arrow()["call_id"].to_pylist()))


def _table(store, tenant_id: str):
    table = store.open(tenant_id)
    if table is None or table.count_rows() == 0:
        raise EmptyIndex(
            f"tenant {tenant_id} has no search index yet: materialize transcript_embeddings "
            "for its days first"
        )
    return table


def _hit(row: dict, mode: str, terms: set[str]) -> Hit:
    if mode == "hybrid":
        score = row["_relevance_score"]
    elif mode == "bm25":
        score = row["_score"]
    else:
        score = 1.0 - row["_distance"]
    return Hit(
        call_id=row["call_id"],
        day=row["partition_date"],
        speaker=row["speaker"],
        start_s=row["start_s"],
        end_s=row["end_s"],
        text=row["text"],
        snippet=snippet(row["text"], terms),
        score=float(score),
        chunk_id=row["chunk_id"],
        agent=row["agent"],
        sentiment=row["sentiment"],
        language=row["language"],
        contact_tag=row["contact_tag"],
        quality_score=row["quality_score"],
        objections=list(row["objections"] or []),
        roles=row["roles"],
    )


# --- snippets: the matched words marked -----------------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)
# Words BM25 ignores too (LanceDB's English stop words, in short): never marked.
STOP_WORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then "
    "there these they this to was will with i you me my we our he she him her its do does did "
    "have has had am".split()
)
_SUFFIXES = ("ing", "ies", "ied", "ed", "es", "ly", "s")


def stem(word: str) -> str:
    """A light English stem (what the BM25 tokenizer folds together, roughly): 'prices' and
    'priced' both mark 'price'."""
    w = word.lower()
    for suffix in _SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            return w[: -len(suffix)]
    return w.rstrip("e") if len(w) > 4 else w


def query_terms(text: str) -> set[str]:
    return {stem(w) for w in _WORD.findall(text) if w.lower() not in STOP_WORDS and len(w) > 1}


def snippet(text: str, terms: set[str], words: int = SNIPPET_WORDS) -> str:
    """A window of about `words` words around the first match, matched words marked «…»; the
    chunk's line breaks become " / ". Without a match (a vector hit), the chunk's start."""
    tokens = text.replace("\n", " / ").split(" ")
    marked, first = [], None
    for i, token in enumerate(tokens):
        match = _WORD.search(token)
        if match and stem(match.group()) in terms and match.group().lower() not in STOP_WORDS:
            if first is None:
                first = i
            token = (
                token[: match.start()]
                + MARK_OPEN
                + match.group()
                + MARK_CLOSE
                + token[match.end() :]
            )
        marked.append(token)
    start = max(0, (first or 0) - words // 3)
    end = min(len(marked), start + words)
    body = " ".join(marked[start:end])
    return ("… " if start else "") + body + (" …" if end < len(marked) else "")
