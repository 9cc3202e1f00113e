"""search(): BM25, vectors and hybrid (RRF) over a real LanceDB table with the real MiniLM model;
filters inside the query, escaped values, marked snippets, tenants apart."""

from datetime import date

import pytest

from callintel_dagster.lib.transcripts.chunking import chunk_turns
from callintel_dagster.providers.embeddings import embedder_named
from callintel_dagster.search import (
    MODES,
    ChunkIndex,
    EmptyIndex,
    Filters,
    ModelMismatch,
    calls_in_index,
    chunks_of_calls,
    search,
)
from callintel_dagster.search.filters import canonical_language, where_clause
from callintel_dagster.search.query import query_terms, snippet

# call id -> (day, agent, sentiment, tag, objections, language, turns)
CALLS = {
    "c1": (
        "2026-11-17",
        "Ravi Kumar",
        "negative",
        "not_interested",
        ["price"],
        "en",
        [
            ("agent", "Good morning, this is Ravi from Acme Realty about the flat in Baner."),
            ("customer", "Honestly the price is too high, it is way beyond my budget."),
        ],
    ),
    "c2": (
        "2026-11-18",
        "Asha Patel",
        "positive",
        "interested",
        [],
        "en",
        [
            ("agent", "Hello, Asha here from Acme Realty. Shall we book a site visit?"),
            ("customer", "Yes please, Saturday morning works for the site visit."),
        ],
    ),
    "c3": (
        "2026-11-18",
        "O'Brien",
        "negative",
        "follow_up",
        ["price", "timing"],
        "hi-Latn",
        [
            ("agent", "Namaste, main Acme Realty se bol raha hoon, aapka flat ke baare mein."),
            ("customer", "Price thoda zyada hai, the price is a bit expensive for us right now."),
        ],
    ),
    "c4": (
        "2026-11-19",
        "Ravi Kumar",
        "neutral",
        "follow_up",
        ["timing"],
        "en",
        [
            ("agent", "Hi, Ravi again from Acme Realty, following up on the two bedroom flat."),
            ("customer", "Call me next month, I am travelling for work until then."),
        ],
    ),
}


def rows_for(tenant_id: str, embedder, prefix: str = "") -> dict[str, list[dict]]:
    """Rows per day for CALLS (call ids prefixed), embedded for real."""
    by_day: dict[str, list[dict]] = {}
    for call_id, (day, agent, sentiment, tag, objections, language, turns) in CALLS.items():
        timed = [
            {"role": role, "start_s": 10.0 * i, "end_s": 10.0 * i + 9, "text": text}
            for i, (role, text) in enumerate(turns)
        ]
        for chunk in chunk_turns(prefix + call_id, timed, max_words=18):
            by_day.setdefault(day, []).append(
                {
                    **chunk,
                    "chunk_id": f"{prefix}{call_id}:{chunk['chunk_index']}",
                    "tenant_id": tenant_id,
                    "partition_date": day,
                    "agent": agent,
                    "sentiment": sentiment,
                    "contact_tag": tag,
                    "quality_score": 6.5,
                    "objections": objections,
                    "language": language,
                    "model": embedder.model,
                }
            )
    for rows in by_day.values():
        vectors = embedder.embed([r["text"] for r in rows])
        for row, vector in zip(rows, vectors, strict=True):
            row["vector"] = vector.tolist()
    return by_day


@pytest.fixture(scope="module")
def minilm():
    return embedder_named("minilm")


@pytest.fixture(scope="module")
def index(tmp_path_factory, minilm):
    """Two tenants with identical transcripts (call ids a-… and g-…), each in its own table."""
    store = ChunkIndex(str(tmp_path_factory.mktemp("lancedb")))
    for tenant_id, prefix in (("acme", "a-"), ("globex", "g-")):
        for day, rows in rows_for(tenant_id, minilm, prefix).items():
            store.replace_day(tenant_id, day, rows, minilm.dim)
        store.refresh(tenant_id)
    return store


@pytest.mark.parametrize("mode", MODES)
def test_each_mode_ranks_the_matching_call_first(index, minilm, mode):
    hits = search(index, minilm, "acme", "book a site visit on Saturday", mode=mode)
    assert hits and hits[0].call_id == "a-c2"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_vector_search_finds_a_paraphrase_bm25_cannot(index, minilm):
    query = "too costly, cannot afford"  # no word in common with c1's "price is too high"
    assert search(index, minilm, "acme", query, mode="vector", limit=2)[0].call_id in {
        "a-c1",
        "a-c3",
    }


def test_hit_carries_the_call_the_moment_and_the_facets(index, minilm):
    hit = search(index, minilm, "acme", "way beyond my budget", mode="bm25", limit=1)[0]
    assert (hit.call_id, hit.day, hit.speaker) == ("a-c1", "2026-11-17", "customer")
    assert hit.start_s == 10.0 and hit.end_s == 19.0
    assert (hit.agent, hit.sentiment, hit.language) == ("Ravi Kumar", "negative", "en")
    assert hit.objections == ["price"] and hit.chunk_id == "a-c1:1"
    assert "«budget»" in hit.snippet and "budget" in hit.text


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "filters, allowed",
    [
        (Filters(day_from=date(2026, 11, 18)), {"a-c2", "a-c3", "a-c4"}),
        (Filters(day_to=date(2026, 11, 17)), {"a-c1"}),
        (Filters(day_from=date(2026, 11, 18), day_to=date(2026, 11, 18)), {"a-c2", "a-c3"}),
        (Filters(agent="ravi kumar"), {"a-c1", "a-c4"}),
        (Filters(sentiment="negative"), {"a-c1", "a-c3"}),
        (Filters(tag="follow_up"), {"a-c3", "a-c4"}),
        (Filters(objection="timing"), {"a-c3", "a-c4"}),
        (Filters(language="hi-latn"), {"a-c3"}),
        (Filters(agent="Ravi Kumar", objection="price"), {"a-c1"}),
    ],
)
def test_filters_apply_inside_the_query(index, minilm, mode, filters, allowed):
    # "price" matches c1 and c3 best; with limit=1 a post-filter would often return nothing:
    # inside the query, the best matching chunk among the allowed calls comes back.
    hits = search(index, minilm, "acme", "price too high flat", filters, limit=1, mode=mode)
    assert len(hits) == 1 and hits[0].call_id in allowed
    everything = search(index, minilm, "acme", "price too high flat", filters, 50, mode)
    assert everything and {h.call_id for h in everything} <= allowed


def test_filter_values_are_escaped(index, minilm):
    assert {
        h.call_id for h in search(index, minilm, "acme", "price", Filters(agent="O'Brien"))
    } == {"a-c3"}
    for value in ("x' OR '1'='1", "x') OR true OR ('", "Ravi Kumar' --"):
        assert search(index, minilm, "acme", "price", Filters(agent=value)) == []
        assert search(index, minilm, "acme", "price", Filters(objection=value)) == []
    with pytest.raises(ValueError, match="control"):
        search(index, minilm, "acme", "price", Filters(agent="a\nb"))


@pytest.mark.parametrize("mode", MODES)
def test_tenants_with_identical_transcripts_never_see_each_other(index, minilm, mode):
    for tenant_id, own in (("acme", "a-"), ("globex", "g-")):
        hits = search(index, minilm, tenant_id, "price too high site visit", limit=50, mode=mode)
        assert hits and all(h.call_id.startswith(own) for h in hits)
    assert chunks_of_calls(index, "acme", ["g-c1"]) == []
    assert calls_in_index(index, "globex") == ["g-c1", "g-c2", "g-c3", "g-c4"]


def test_chunks_of_calls_in_call_and_chunk_order(index):
    chunks = chunks_of_calls(index, "acme", ["a-c3", "a-c1", "a-c3"])
    assert [c.chunk_id for c in chunks] == ["a-c1:0", "a-c1:1", "a-c3:0", "a-c3:1"]
    assert chunks[3].text.startswith("Customer: Price thoda zyada hai")
    assert chunks[3].objections == ["price", "timing"] and chunks[3].day == "2026-11-18"


def test_calls_in_index_with_filters(index):
    assert calls_in_index(index, "acme", Filters(day_from=date(2026, 11, 18))) == [
        "a-c2",
        "a-c3",
        "a-c4",
    ]
    assert calls_in_index(index, "acme", Filters(objection="price", sentiment="negative")) == [
        "a-c1",
        "a-c3",
    ]


def test_missing_index_and_wrong_inputs_are_clear_errors(index, minilm, tmp_path):
    with pytest.raises(EmptyIndex, match="tenant initech"):
        search(index, minilm, "initech", "price")
    with pytest.raises(ModelMismatch, match="384-d"):
        search(index, embedder_named("static"), "acme", "price", mode="vector")
    assert search(index, None, "acme", "price", mode="bm25")  # BM25 needs no embedder
    with pytest.raises(ValueError, match="mode"):
        search(index, minilm, "acme", "price", mode="fuzzy")
    with pytest.raises(ValueError, match="empty"):
        search(index, minilm, "acme", "   ")
    with pytest.raises(ValueError, match="after"):
        Filters(day_from=date(2026, 11, 19), day_to=date(2026, 11, 18))


@pytest.mark.parametrize(
    "text, query, expected",
    [
        ("Customer: the price is high", "price", "Customer: the «price» is high"),
        ("Customer: prices, prices!", "pricing", "Customer: «prices», «prices»!"),
        (
            "Agent: Site visit?\nCustomer: ok",
            "site visits",
            "Agent: «Site» «visit»? / Customer: ok",
        ),
        ("Agent: nothing here", "price", "Agent: nothing here"),
        ("Agent: is it the one", "is it the", "Agent: is it the one"),  # stop words never marked
    ],
)
def test_snippet_marks_the_matched_words(text, query, expected):
    assert snippet(text, query_terms(query)) == expected


def test_snippet_is_a_window_around_the_first_match():
    text = " ".join(f"w{i}" for i in range(100)) + " budget " + " ".join("x" * 50)
    out = snippet(text, query_terms("budget"), words=12)
    assert out.startswith("… ") and out.endswith(" …") and "«budget»" in out
    assert len(out.split()) <= 12 + 2


@pytest.mark.parametrize(
    "given, stored",
    [
        ("en", "en"),
        ("EN", "en"),
        ("hi-latn", "hi-Latn"),
        ("HI-LATN", "hi-Latn"),
        ("en-us", "en-US"),
    ],
)
def test_language_filter_uses_the_stored_casing(given, stored):
    assert canonical_language(given) == stored
    assert f"language = '{stored}'" in where_clause("acme", Filters(language=given))


def test_where_clause_always_names_the_tenant():
    assert where_clause("acme", None) == "tenant_id = 'acme'"
    clause = where_clause("acme", Filters(agent=" Ravi ", objection="Price"))
    assert clause == "tenant_id = 'acme' AND agent_key = 'ravi' AND array_has(objections, 'price')"
