"""The labelled search queries (bench/data/search_queries.jsonl) fit the corpus they label: enough
queries in English and Hinglish, each with relevant calls that exist in the regenerated synthetic
corpus and say what the query asks (a verbatim quote from each). The figures live in
bench/search_quality.py, never here."""

import pytest

from bench.search_quality import (
    corpus_calls,
    corpus_chunks,
    load_labels,
    score_query,
    transcripts_digest,
)


@pytest.fixture(scope="module")
def labelled():
    params, queries = load_labels()
    return params, queries, corpus_calls(params)


def test_enough_queries_in_english_and_hinglish(labelled):
    _, queries, _ = labelled
    assert len(queries) >= 40
    langs = [q["lang"] for q in queries]
    assert langs.count("en") >= 10 and langs.count("hi-en") >= 10
    assert len({q["id"] for q in queries}) == len(queries)
    assert len({q["query"].lower() for q in queries}) == len(queries)
    for q in queries:
        assert q["query"].strip() and q["criterion"].strip(), q["id"]


def test_corpus_regenerates_as_labelled(labelled):
    params, _, calls = labelled
    assert len(calls) == params["calls"]
    assert len(corpus_chunks(calls, params["chunk_words"])) == params["chunks"]
    assert transcripts_digest(calls) == params["transcripts_sha256"], (
        "the synthetic transcripts changed: relabel bench/data/search_queries.jsonl"
    )


def test_relevant_calls_exist_and_say_it(labelled):
    _, queries, calls = labelled
    turns = {c["call_id"]: {t["text"] for t in c["turns"]} for c in calls}
    for q in queries:
        assert q["relevant"], f"{q['id']} has no relevant call"
        assert len(set(q["relevant"])) == len(q["relevant"]), q["id"]
        assert set(q["evidence"]) == set(q["relevant"]), q["id"]
        for call_id in q["relevant"]:
            assert call_id in turns, f"{q['id']}: {call_id} is not in the corpus"
            assert q["evidence"][call_id] in turns[call_id], f"{q['id']}: {call_id} quote"


def test_recall_is_capped_at_ten_relevant_calls():
    relevant = {f"c{i}" for i in range(30)}
    assert score_query([f"c{i}" for i in range(10)], relevant) == (1.0, 1.0)
    assert score_query(["x", "c1", "y"], {"c1", "c2"}) == (0.5, 0.5)
    assert score_query(["x"], {"c1"}) == (0.0, 0.0)
