"""Process each call once per agent version: reuse a recorded outcome, redo only what changed.

A call is analysed again when its transcript changed, the agent version changed, or its last
attempt failed and fewer than `max_attempts` were made. Everything else keeps its recorded row.
"""

import hashlib

MAX_ATTEMPTS = 3


def input_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def needs_work(
    previous: dict | None, agent_version: str, digest: str, max_attempts: int = MAX_ATTEMPTS
) -> bool:
    """True when the call must be (re)analysed given its previously recorded outcome."""
    if previous is None:
        return True
    if previous["agent_version"] != agent_version or previous["input_hash"] != digest:
        return True
    return previous["analysis_status"] == "failed" and previous["attempts"] < max_attempts


def next_attempt(previous: dict | None, agent_version: str, digest: str) -> int:
    """Attempts count for the outcome about to be recorded (failures accumulate)."""
    if (
        previous
        and previous["agent_version"] == agent_version
        and previous["input_hash"] == digest
        and previous["analysis_status"] == "failed"
    ):
        return int(previous["attempts"]) + 1
    return 1
