from callintel_dagster.lib.transcripts.chunking import chunk_turns
from callintel_dagster.lib.transcripts.turns import turns_from_text


def turn(role, start, end, words):
    return {"role": role, "start_s": start, "end_s": end, "text": " ".join(["w"] * words)}


def test_chunks_pack_turns_up_to_budget_and_keep_timing():
    turns = [turn("agent", 0, 5, 50), turn("customer", 6, 9, 40), turn("agent", 10, 20, 60)]
    chunks = chunk_turns("c1", turns, max_words=100)
    assert [c["chunk_index"] for c in chunks] == [0, 1]
    assert (chunks[0]["start_s"], chunks[0]["end_s"]) == (0, 9)
    assert chunks[0]["roles"] == "agent,customer"
    assert chunks[1]["text"].startswith("Agent: ")


def test_long_turn_is_split():
    chunks = chunk_turns("c1", [turn("customer", 0, 60, 250)], max_words=100)
    assert [len(c["text"].split()) - 1 for c in chunks] == [100, 100, 50]


def test_no_turns_no_chunks():
    assert chunk_turns("c1", []) == []


def test_turns_from_text_maps_provider_labels():
    text = "assistant: Hello, this is Riya\nuser: haan ji\nbolo\n\nCustomer: price?"
    turns = turns_from_text(text)
    assert [(t["role"], t["text"]) for t in turns] == [
        ("agent", "Hello, this is Riya"),
        ("customer", "haan ji bolo"),
        ("customer", "price?"),
    ]
