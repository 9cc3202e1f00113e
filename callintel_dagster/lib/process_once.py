"""Process each call once per agent version: reuse a recorded outcome, redo only what changed.

A call is analysed again when its transcript changed, the agent version changed, it was left
pending by a run's cap, or its last attempt failed and fewer than `max_attempts` were made (a
re-drive lifts that limit). Everything else keeps its recorded row.
"""

import hashlib

MAX_ATTEMPTS = 3


def input_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _same_input(previous: dict, agent_version: str, digest: str) -> bool:
    return previous["agent_version"] == agent_version and previous["input_hash"] == digest


def needs_work(
    previous: dict | None,
    agent_version: str,
    digest: str,
    max_attempts: int = MAX_ATTEMPTS,
    redrive: bool = False,
) -> bool:
    """True when the call must be (re)analysed given its previously recorded outcome."""
    if previous is None or not _same_input(previous, agent_version, digest):
        return True
    if previous["analysis_status"] == "pending":
        return True
    if previous["analysis_status"] == "failed":
        return redrive or previous["attempts"] < max_attempts
    return False


def next_attempt(previous: dict | None, agent_version: str, digest: str) -> int:
    """Attempts count for the outcome about to be recorded (failures accumulate)."""
    if (
        previous
        and _same_input(previous, agent_version, digest)
        and previous["analysis_status"] == "failed"
    ):
        return int(previous["attempts"]) + 1
    return 1
