"""Transcript chunks for search: consecutive turns packed up to a word budget, with timing.

A chunk never spans two calls and keeps the speaker labels, so an answer can cite who said what
and when.
"""


def chunk_turns(call_id: str, turns: list[dict], max_words: int = 120) -> list[dict]:
    """Pack turns into chunks of at most `max_words` words (a longer single turn is split)."""
    chunks: list[dict] = []
    current: list[tuple[dict, str]] = []
    words = 0
    for turn in turns:
        for piece in _split_long(turn["text"], max_words):
            n = len(piece.split())
            if current and words + n > max_words:
                chunks.append(_chunk(call_id, len(chunks), current))
                current, words = [], 0
            current.append((turn, piece))
            words += n
    if current:
        chunks.append(_chunk(call_id, len(chunks), current))
    return chunks


def _split_long(text: str, max_words: int) -> list[str]:
    words = text.split()
    return [" ".join(words[i : i + max_words]) for i in range(0, len(words), max_words)] or []


def _chunk(call_id: str, index: int, parts: list[tuple[dict, str]]) -> dict:
    starts = [t["start_s"] for t, _ in parts if t.get("start_s") is not None]
    ends = [t["end_s"] for t, _ in parts if t.get("end_s") is not None]
    return {
        "call_id": call_id,
        "chunk_index": index,
        "start_s": min(starts) if starts else None,
        "end_s": max(ends) if ends else None,
        "speaker": parts[0][0]["role"],  # who speaks first: a hit's "who said it"
        "roles": ",".join(sorted({t["role"] for t, _ in parts})),
        "text": "\n".join(f"{t['role'].capitalize()}: {piece}" for t, piece in parts),
    }
