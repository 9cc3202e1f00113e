"""Process each item once: reuse a recorded outcome, redo only what changed.

One rule for transcription (a call's recording, per STT provider and model) and analysis (a
call's transcript, per agent version). An item is processed again when its input changed, the
processor changed, it was left pending by a run's cap, or its last attempt failed and fewer than
`max_attempts` were made (a re-drive lifts that limit). Everything else keeps its recorded row.

A recorded outcome is a warehouse row; `Recorded` says which of its columns name the processor,
the input's hash, the status and the attempts made.
"""

import hashlib
import math
from dataclasses import dataclass

MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Recorded:
    """Where a recorded outcome says what it was made from."""

    processor: tuple[str, ...]  # columns naming who made it (agent version; provider and model)
    digest: str  # the column holding the input's hash
    status: str  # the column holding the outcome's status (ok, failed, pending, ...)

    def made_from(self, previous: dict, processor: str | tuple, digest: str) -> bool:
        """True when `previous` was made by the same processor from the same input."""
        wanted = processor if isinstance(processor, tuple) else (processor,)
        return (
            tuple(previous[c] for c in self.processor) == wanted
            and previous.get(self.digest) == digest
        )


ANALYSIS = Recorded(processor=("agent_version",), digest="input_hash", status="analysis_status")
TRANSCRIPTION = Recorded(
    processor=("provider", "model"), digest="audio_sha256", status="transcript_status"
)


def input_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def needs_work(
    previous: dict | None,
    processor: str | tuple,
    digest: str,
    max_attempts: int = MAX_ATTEMPTS,
    redrive: bool = False,
    recorded: Recorded = ANALYSIS,
) -> bool:
    """True when the item must be (re)processed given its previously recorded outcome."""
    if previous is None or not recorded.made_from(previous, processor, digest):
        return True
    status = previous[recorded.status]
    if status == "pending":
        return True
    if status == "failed":
        return redrive or attempts_of(previous) < max_attempts
    return False


def next_attempt(
    previous: dict | None, processor: str | tuple, digest: str, recorded: Recorded = ANALYSIS
) -> int:
    """Attempts count for the outcome about to be recorded (failures accumulate)."""
    if (
        previous
        and recorded.made_from(previous, processor, digest)
        and previous[recorded.status] == "failed"
    ):
        return attempts_of(previous) + 1
    return 1


def attempts_of(previous: dict) -> int:
    """Attempts recorded on a row (none recorded, e.g. a source transcript: 0)."""
    value = previous.get("attempts")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return 0
    return int(value)
