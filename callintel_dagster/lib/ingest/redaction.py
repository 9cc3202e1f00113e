"""A call's transcript with the tenant's personal data replaced (see docs/privacy.md).

Used twice: at sync, on the transcript a source delivers with the call record (so raw.call_records
holds no personal data at rest unless the tenant keeps raw transcripts), and at transcription,
on every transcript (so core.call_transcripts / core.transcript_turns, and everything read from
them: signals, LLM analysis, summaries, embeddings, search, the explorer, are redacted).
Redacting text that is already redacted finds nothing more: placeholders are not personal data.
"""

import json
from collections import Counter
from dataclasses import dataclass, field

from callintel_dagster.lib.tenants.privacy_config import PrivacyConfig

REDACTIONS_KEY = "redactions"  # a source record's counts from sync, as raw.call_records sees them
EXTRACTED_KEY = "extracted_data"  # Bolna: what the voice agent took down (a number, an e-mail)


@dataclass(frozen=True)
class RedactedTranscript:
    text: str | None
    turns: list[dict]
    counts: Counter = field(default_factory=Counter)  # entity -> mentions replaced


def redactor_for(cfg: PrivacyConfig):
    """The tenant's redactor, or None when its privacy block switches redaction off.

    Imported here, not at module level: the engine loads Presidio, which a process that never
    redacts (a digest, the explorer) should not pay for.
    """
    if not cfg.enabled or not cfg.entities:
        return None
    from callintel_dagster.privacy import Redactor

    return Redactor.for_config(cfg)


def redact_transcript(redactor, text: str | None, turns: list[dict]) -> RedactedTranscript:
    """Turns and text redacted; counts are the turns' (the text repeats them) or else the text's.

    The turns are one call to the engine (a number split over two turns is found whole and gets
    one placeholder); the text is another, whose placeholders follow the same order of mention.
    """
    counts: Counter = Counter()
    if turns:
        done = redactor.redact_turns([t["text"] for t in turns])
        turns = [t | {"text": new} for t, new in zip(turns, done.turns, strict=True)]
        counts.update(done.counts)
    if text:
        lines = redactor.redact_turns(text.split("\n"))
        text = "\n".join(lines.turns)
        if not turns:
            counts.update(lines.counts)
    return RedactedTranscript(text, list(turns), counts)


def redact_call_record(cfg: PrivacyConfig, record: dict) -> dict:
    """A fetched call record with its transcript redacted, and the counts under `redactions`.

    Left as it is when the tenant keeps raw transcripts (then they are admin-only data, and the
    transcription stage redacts what everyone else reads) or has redaction off. A record whose
    transcript has the wrong shape is left too: the sync's checks quarantine it by its id.
    """
    redactor = None if cfg.keep_raw else redactor_for(cfg)
    if redactor is None:
        return record
    text, turns = record.get("transcript_text"), record.get("turns")
    if text is not None and not isinstance(text, str):
        return record
    if turns and not (
        isinstance(turns, list)
        and all(isinstance(t, dict) and isinstance(t.get("text"), str) for t in turns)
    ):
        return record
    done = redact_transcript(redactor, text, turns or [])
    counts = Counter(done.counts)
    extracted = record.get(EXTRACTED_KEY)
    if extracted:  # what a voice agent noted from the call (Bolna): kept in extra_json
        extracted = _redact_values(redactor, extracted, counts)
    return record | {
        "transcript_text": done.text,
        "turns": done.turns or turns,
        **({EXTRACTED_KEY: extracted} if EXTRACTED_KEY in record else {}),
        REDACTIONS_KEY: dict(counts),
    }


def _redact_values(redactor, value, counts: Counter):
    """Every string inside a provider's JSON value redacted on its own (keys are field names)."""
    if isinstance(value, str):
        done = redactor.redact_turns([value])
        counts.update(done.counts)
        return done.turns[0]
    if isinstance(value, dict):
        return {k: _redact_values(redactor, v, counts) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_values(redactor, v, counts) for v in value]
    return value


def counts_json(counts: Counter | dict | None) -> str | None:
    """Stored form of the counts: sorted JSON, "{}" for a call checked and clean."""
    return None if counts is None else json.dumps(dict(sorted(dict(counts).items())))


def counts_of(stored: str | None) -> Counter:
    """The counts back from their stored JSON (none for a row written without redaction)."""
    if not isinstance(stored, str) or not stored:
        return Counter()
    return Counter(json.loads(stored))


class TenantRedaction:
    """One tenant's redaction for a transcription run (a PrivacyError, e.g. a missing salt,
    stops the run before anything is written)."""

    def __init__(self, cfg: PrivacyConfig) -> None:
        self.redactor = redactor_for(cfg)
        self.keep_raw = self.redactor is not None and cfg.keep_raw

    def apply(
        self, text: str | None, turns: list[dict], sync_counts: str | None
    ) -> tuple[str | None, list[dict], str | None]:
        """The text and turns to store, and the call's counts (the sync's plus these)."""
        if self.redactor is None:
            return text, turns, None
        done = redact_transcript(self.redactor, text, turns)
        return done.text, done.turns, counts_json(counts_of(sync_counts) + done.counts)

    def upgrade(self, row: dict, turns: list[dict]) -> tuple[dict, list[dict]]:
        """A stored transcript row and its turns, redacted now if they were stored before
        redaction existed (no counts recorded); else exactly as stored."""
        if self.redactor is None or isinstance(row.get("redactions_json"), str):
            return row, turns
        text = row.get("text") if isinstance(row.get("text"), str) else None
        done = redact_transcript(self.redactor, text, turns)
        return row | {"text": done.text, "redactions_json": counts_json(done.counts)}, done.turns
