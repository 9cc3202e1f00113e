"""The index kept in step per tenant-day by the embeddings stage: a real DuckDB warehouse, a real
LanceDB directory, the real MiniLM and static models."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from callintel_dagster.lib.tables import CALL_OBJECTIONS, FCT_CALLS, TRANSCRIPT_TURNS
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.embeddings import embedder_named
from callintel_dagster.resources.embeddings import VectorStore
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.search import (
    ChunkIndex,
    EmptyIndex,
    Filters,
    calls_in_index,
    chunks_of_calls,
    search,
)
from callintel_dagster.search.index import chunk_schema
from callintel_dagster.stages.embeddings import embed_tenant

DAY1, DAY2 = date(2026, 11, 17), date(2026, 11, 18)
TURNS = {
    "c1": [
        ("agent", "Good morning, Ravi from Acme Realty about the flat in Baner."),
        ("customer", "The price is too high for my budget, sorry."),
    ],
    "c2": [
        ("agent", "Hello, Asha from Acme Realty. Shall we book a site visit?"),
        ("customer", "Yes, Saturday morning works for the site visit."),
    ],
}


class Counting:
    """The real model, counting the texts it is asked to embed."""

    def __init__(self, name: str):
        self._inner = embedder_named(name)
        self.model, self.dim, self.embedded = self._inner.model, self._inner.dim, 0

    def embed(self, texts):
        self.embedded += len(texts)
        return self._inner.embed(texts)


@pytest.fixture
def warehouse(tmp_path):
    wh = Warehouse(url=f"duckdb:///{tmp_path}/w.duckdb")
    wh.ensure_schema()
    with wh.connect() as con:  # the dbt mart's columns the stage reads
        con.execute(
            f"CREATE TABLE {FCT_CALLS} (tenant_id VARCHAR, partition_date DATE, call_id VARCHAR,"
            " agent_name VARCHAR, sentiment_label VARCHAR, contact_tag VARCHAR,"
            " quality_score DOUBLE, language VARCHAR)"
        )
    return wh


@pytest.fixture
def store(tmp_path):
    return VectorStore(path=str(tmp_path / "lancedb"))


def tenant(tenant_id: str, model: str = "minilm") -> Tenant:
    return Tenant.model_validate(
        {
            "id": tenant_id,
            "name": tenant_id.title(),
            "timezone": "Asia/Kolkata",
            "embeddings": {"provider": "local", "model": model, "chunk_words": 12},
        }
    )


def write_day(wh: Warehouse, tenant_id: str, day: date, calls: dict, sentiment="negative"):
    turns = [
        {
            "tenant_id": tenant_id,
            "partition_date": day,
            "call_id": call_id,
            "turn_index": i,
            "role": role,
            "start_s": 7.0 * i,
            "end_s": 7.0 * i + 6,
            "text": text,
            "confidence": None,
        }
        for call_id, turns in calls.items()
        for i, (role, text) in enumerate(turns)
    ]
    wh.replace_slices(TRANSCRIPT_TURNS, [(tenant_id, day)], pd.DataFrame(turns))
    with wh.connect() as con:
        con.execute(
            f"DELETE FROM {FCT_CALLS} WHERE tenant_id = ? AND partition_date = ?", [tenant_id, day]
        )
        for call_id in calls:
            con.execute(
                f"INSERT INTO {FCT_CALLS} VALUES (?, ?, ?, 'Ravi', ?, 'follow_up', 4.5, 'en')",
                [tenant_id, day, call_id, sentiment],
            )
    objections = [
        {"tenant_id": tenant_id, "partition_date": day, "call_id": c, "objection": o}
        for c in calls
        for o in (["price", "budget"] if c == "c1" else [])
    ]
    wh.replace_slices(
        CALL_OBJECTIONS,
        [(tenant_id, day)],
        pd.DataFrame(objections, columns=["tenant_id", "partition_date", "call_id", "objection"]),
    )


def rows(store, tenant_id):
    return store.open(tenant_id).to_arrow().to_pandas().sort_values("chunk_id")


def test_chunks_carry_the_calls_facets_and_a_bm25_index(warehouse, store):
    write_day(warehouse, "acme", DAY1, TURNS)
    embedder = Counting("minilm")
    done = embed_tenant(warehouse, tenant("acme"), [DAY1], embedder, store)
    assert done.chunks == 4 and done.calls == 2 and done.index["fts"] and not done.index["ann"]
    table = rows(store, "acme")
    assert list(table["chunk_id"]) == ["c1:0", "c1:1", "c2:0", "c2:1"]
    first = table.iloc[1]
    assert (first["speaker"], first["start_s"], first["end_s"]) == ("customer", 7.0, 13.0)
    assert (first["agent"], first["sentiment"], first["contact_tag"]) == (
        "Ravi",
        "negative",
        "follow_up",
    )
    assert list(first["objections"]) == ["budget", "price"] and first["quality_score"] == 4.5
    assert first["language"] == "en" and first["partition_date"] == DAY1.isoformat()
    assert list(table.iloc[2]["objections"]) == []
    indices = {i.name for i in store.open("acme").list_indices()}
    assert {"text_idx", "tenant_id_idx", "agent_key_idx", "objections_idx"} <= indices
    assert {"partition_date_idx", "call_id_idx", "sentiment_idx", "language_idx"} <= indices
    stats = store.open("acme").index_stats("text_idx")
    assert stats.index_type == "FTS" and stats.num_unindexed_rows == 0


def test_a_day_is_replaced_idempotently_and_other_days_stay(warehouse, store):
    write_day(warehouse, "acme", DAY1, TURNS)
    write_day(warehouse, "acme", DAY2, {"c9": TURNS["c2"]})
    embedder = Counting("minilm")
    embed_tenant(warehouse, tenant("acme"), [DAY1, DAY2], embedder, store)
    first, embedded = rows(store, "acme"), embedder.embedded
    embed_tenant(warehouse, tenant("acme"), [DAY1, DAY2], embedder, store)
    pd.testing.assert_frame_equal(
        first.drop(columns="vector"), rows(store, "acme").drop(columns="vector")
    )
    assert embedder.embedded == embedded, "unchanged text is never embedded again"
    # the day loses a call: its chunks go, the other day's stay, the text index follows
    write_day(warehouse, "acme", DAY1, {"c2": TURNS["c2"]})
    embed_tenant(warehouse, tenant("acme"), [DAY1], embedder, store)
    assert calls_in_index(store, "acme") == ["c2", "c9"]
    assert search(store, None, "acme", "budget", mode="bm25") == []
    assert store.open("acme").index_stats("text_idx").num_unindexed_rows == 0


def test_facets_follow_a_reanalysis_without_embedding_again(warehouse, store):
    write_day(warehouse, "acme", DAY1, TURNS)
    embedder = Counting("minilm")
    embed_tenant(warehouse, tenant("acme"), [DAY1], embedder, store)
    negative = Filters(sentiment="negative")
    assert calls_in_index(store, "acme", negative) == ["c1", "c2"]
    write_day(warehouse, "acme", DAY1, TURNS, sentiment="positive")  # analysed again
    before = embedder.embedded
    done = embed_tenant(warehouse, tenant("acme"), [DAY1], embedder, store)
    assert embedder.embedded == before and done.reused == 4
    assert calls_in_index(store, "acme", negative) == []
    hits = search(store, embedder, "acme", "price", Filters(sentiment="positive"), limit=1)
    assert hits[0].call_id == "c1" and hits[0].sentiment == "positive"


def test_tenants_with_identical_calls_have_their_own_tables(warehouse, store):
    for tenant_id in ("acme", "globex"):
        write_day(warehouse, tenant_id, DAY1, TURNS)
        embed_tenant(warehouse, tenant(tenant_id), [DAY1], Counting("minilm"), store)
    write_day(warehouse, "globex", DAY1, {})  # globex's day emptied: acme's is untouched
    embed_tenant(warehouse, tenant("globex"), [DAY1], Counting("minilm"), store)
    assert store.count("acme") == 4 and store.count("globex") == 0
    assert set(rows(store, "acme")["tenant_id"]) == {"acme"}
    assert [c.chunk_id for c in chunks_of_calls(store, "acme", ["c1"])] == ["c1:0", "c1:1"]
    with pytest.raises(EmptyIndex, match="globex"):
        chunks_of_calls(store, "globex", ["c1"])


def test_switching_to_the_static_model_rebuilds_the_table(warehouse, store):
    write_day(warehouse, "acme", DAY1, TURNS)
    embed_tenant(warehouse, tenant("acme"), [DAY1], Counting("minilm"), store)
    static = Counting("static")
    embed_tenant(warehouse, tenant("acme", "static"), [DAY1], static, store)
    assert static.embedded == 4
    assert store.open("acme").schema == chunk_schema(64)
    assert set(rows(store, "acme")["model"]) == {static.model}
    hits = search(store, static, "acme", "book a site visit", mode="vector", limit=1)
    assert hits[0].call_id == "c2"


def test_ann_index_once_the_table_reaches_the_threshold(tmp_path):
    """IVF_RQ is built from `ann_min_rows` on (synthetic 64-d vectors: the index, not the model,
    is under test); filtered searches still apply inside the query."""
    index = ChunkIndex(str(tmp_path / "lancedb"), ann_min_rows=1_000)
    rng = np.random.default_rng(7)

    def day_rows(day: str, n: int) -> list[dict]:
        vectors = rng.normal(size=(n, 64)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return [
            {
                "chunk_id": f"{day}-{i}:0",
                "tenant_id": "acme",
                "partition_date": day,
                "call_id": f"{day}-{i}",
                "chunk_index": 0,
                "speaker": "customer",
                "roles": "customer",
                "start_s": 0.0,
                "end_s": 5.0,
                "text": f"Customer: call number {i} about {'price' if i % 7 == 0 else 'visit'}",
                "agent": "Ravi" if i % 2 else "Asha",
                "sentiment": "negative",
                "contact_tag": None,
                "quality_score": None,
                "objections": ["price"] if i % 7 == 0 else [],
                "language": "en",
                "model": "synthetic",
                "vector": vectors[i].tolist(),
            }
            for i in range(n)
        ]

    first = day_rows("2026-11-17", 600)
    index.replace_day("acme", "2026-11-17", first, 64)
    assert index.refresh("acme")["ann"] is False and not index.has_ann("acme")
    index.replace_day("acme", "2026-11-18", day_rows("2026-11-18", 600), 64)
    assert index.refresh("acme") == {"rows": 1200, "fts": True, "ann": True}

    class Fixed:  # the query vector: the first row's own vector
        model, dim = "synthetic", 64

        def embed(self, texts):
            return np.array([first[0]["vector"]], dtype=np.float32)

    hits = search(index, Fixed(), "acme", "price", limit=5, mode="vector")
    assert hits[0].chunk_id == "2026-11-17-0:0" and hits[0].score == pytest.approx(1.0, abs=0.05)
    exact = search(index, Fixed(), "acme", "price", limit=5, mode="vector", exact=True)
    assert exact[0].chunk_id == hits[0].chunk_id and exact[0].score == pytest.approx(1.0)
    only = Filters(agent="ravi", objection="price", day_from=date(2026, 11, 18))
    for mode in ("vector", "hybrid", "bm25"):
        found = search(index, Fixed(), "acme", "price", only, limit=20, mode=mode)
        assert found and all(h.agent == "Ravi" and h.day == "2026-11-18" for h in found)
        assert all(h.objections == ["price"] for h in found)


@pytest.mark.parametrize("dim, rows", [(384, 20_000), (64, 120_000)])
def test_the_ann_threshold_follows_the_vector_size(dim, rows):
    from callintel_dagster.search.index import ann_min_rows_for

    assert ann_min_rows_for(dim) == rows
