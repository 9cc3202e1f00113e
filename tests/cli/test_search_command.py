"""`callintel search`: hits as lines or one JSON object, filters, one-line errors with exit 2.
The index is a real LanceDB directory under CALLINTEL_HOME, embedded with the real default (static) model."""

import json

import pytest

from callintel_dagster.cli.main import main
from callintel_dagster.lib.transcripts.chunking import chunk_turns
from callintel_dagster.providers.embeddings import embedder_named
from callintel_dagster.search import ChunkIndex

CALLS = {
    "call-1": (
        "2026-11-17",
        "negative",
        ["price"],
        [
            ("agent", "Good morning, this is Ravi calling from Acme Realty about the flat."),
            ("customer", "The price is too high for my budget right now."),
        ],
    ),
    "call-2": (
        "2026-11-18",
        "positive",
        [],
        [
            ("agent", "Hello from Acme Realty, shall we book a site visit this weekend?"),
            ("customer", "Yes, Saturday morning is good for the site visit."),
        ],
    ),
}


@pytest.fixture
def indexed(callintel_env):
    """acme's calls in the index under CALLINTEL_HOME; globex has none."""
    embedder = embedder_named("static")  # the default embedder, as the registry builds it
    store = ChunkIndex(str(callintel_env.lancedb_path))
    for call_id, (day, sentiment, objections, turns) in CALLS.items():
        timed = [
            {"role": r, "start_s": 65.0 * i, "end_s": 65.0 * i + 60, "text": t}
            for i, (r, t) in enumerate(turns)
        ]
        chunks = chunk_turns(call_id, timed, max_words=14)
        vectors = embedder.embed([c["text"] for c in chunks])
        rows = [
            {
                **c,
                "chunk_id": f"{call_id}:{c['chunk_index']}",
                "tenant_id": "acme",
                "partition_date": day,
                "agent": "Ravi",
                "sentiment": sentiment,
                "contact_tag": "follow_up",
                "quality_score": 5.0,
                "objections": objections,
                "language": "en",
                "model": embedder.model,
                "vector": v.tolist(),
            }
            for c, v in zip(chunks, vectors, strict=True)
        ]
        store.replace_day("acme", day, rows, embedder.dim)
    store.refresh("acme")
    return callintel_env


def test_json_hits(indexed, capsys):
    assert main(["search", "--tenant", "acme", "price too high", "--json", "--limit", "3"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    payload = json.loads(out)
    first = payload["hits"][0]
    assert {"call_id", "day", "speaker", "start_s", "snippet", "score"} <= set(first)
    assert (first["call_id"], first["day"], first["speaker"]) == (
        "call-1",
        "2026-11-17",
        "customer",
    )
    assert first["start_s"] == 65.0 and "«price»" in first["snippet"]
    assert len(payload["hits"]) <= 3 and payload["mode"] == "hybrid"


def test_text_lines_show_call_day_speaker_time_score_and_snippet(indexed, capsys):
    assert main(["search", "--tenant", "acme", "site visit", "--limit", "1"]) == 0
    head, snippet = capsys.readouterr().out.splitlines()
    call_id, day, speaker, at, score = head.split()
    assert (call_id, day, at) == (
        "call-2",
        "2026-11-18",
        "00:00" if speaker == "agent" else "01:05",
    )
    assert float(score) > 0 and "«site» «visit»" in snippet


@pytest.mark.parametrize(
    "flags, expected",
    [
        (["--from", "2026-11-18"], {"call-2"}),
        (["--to", "2026-11-17"], {"call-1"}),
        (["--sentiment", "negative"], {"call-1"}),
        (["--objection", "price"], {"call-1"}),
        (["--agent", "RAVI", "--tag", "follow_up", "--language", "en"], {"call-1", "call-2"}),
        (["--agent", "Asha"], set()),
    ],
)
def test_filters(indexed, capsys, flags, expected):
    argv = ["search", "--tenant", "acme", "price site visit", "--json", *flags]
    assert main(argv) == 0
    assert {h["call_id"] for h in json.loads(capsys.readouterr().out)["hits"]} == expected


@pytest.mark.parametrize("mode", ["bm25", "vector"])
def test_modes(indexed, capsys, mode):
    assert main(["search", "--tenant", "acme", "budget", "--mode", mode, "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["mode"] == mode and payload["hits"][0]["call_id"] == "call-1"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--tenant", "initech", "price"], "unknown tenant 'initech'"),
        (["--tenant", "globex", "price"], "tenant globex has no search index yet"),
        (
            ["--tenant", "acme", "price", "--from", "2026-11-31"],
            "--from: '2026-11-31' is not a date",
        ),
        (["--tenant", "acme", "price", "--to", "yesterday"], "--to: 'yesterday' is not a date"),
        (
            ["--tenant", "acme", "price", "--from", "2026-11-19", "--to", "2026-11-18"],
            "--from 2026-11-19 is after --to 2026-11-18",
        ),
        (["--tenant", "acme", "price", "--limit", "0"], "--limit must be at least 1"),
        (["--tenant", "acme", "  "], "the search text is empty"),
        (["--tenant", "acme", "price", "--agent", "a\tb"], "control characters"),
    ],
)
def test_errors_are_one_line_and_exit_code_2(indexed, capsys, argv, message):
    assert main(["search", *argv, "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and message in captured.err
    assert captured.err.startswith("callintel search: ")
