"""One process-once rule for analysis (per agent version and transcript) and transcription (per
STT provider, model and recording)."""

import pytest

from callintel_dagster.lib.process_once import (
    TRANSCRIPTION,
    attempts_of,
    needs_work,
    next_attempt,
)

PREV = {"agent_version": "v1", "input_hash": "h", "analysis_status": "ok", "attempts": 1}


@pytest.mark.parametrize(
    "previous,version,digest,expected",
    [
        (None, "v1", "h", True),
        (PREV, "v1", "h", False),
        (PREV, "v2", "h", True),
        (PREV, "v1", "other", True),
        ({**PREV, "analysis_status": "failed", "attempts": 1}, "v1", "h", True),
        ({**PREV, "analysis_status": "failed", "attempts": 3}, "v1", "h", False),
        ({**PREV, "analysis_status": "skipped", "attempts": 0}, "v1", "h", False),
    ],
)
def test_each_call_processed_once_per_version(previous, version, digest, expected):
    assert needs_work(previous, version, digest) is expected


def test_failed_attempts_accumulate():
    failed = {**PREV, "analysis_status": "failed", "attempts": 2}
    assert next_attempt(failed, "v1", "h") == 3
    assert next_attempt(failed, "v2", "h") == 1
    assert next_attempt(None, "v1", "h") == 1


SHA = "a1b2"
DONE = {"provider": "deepgram", "model": "nova-2", "audio_sha256": SHA}
DONE |= {"transcript_status": "ok", "attempts": 1}
NOVA2 = ("deepgram", "nova-2")


@pytest.mark.parametrize(
    "previous,processor,digest,expected",
    [
        (None, NOVA2, SHA, True),
        (DONE, NOVA2, SHA, False),
        (DONE, ("deepgram", "nova-3"), SHA, True),  # another model
        (DONE, ("sarvam", "nova-2"), SHA, True),  # another provider
        (DONE, NOVA2, "other audio", True),
        ({**DONE, "transcript_status": "failed", "attempts": 2}, NOVA2, SHA, True),
        ({**DONE, "transcript_status": "failed", "attempts": 3}, NOVA2, SHA, False),
        ({**DONE, "transcript_status": "empty"}, NOVA2, SHA, False),
    ],
)
def test_each_recording_transcribed_once_per_provider_and_model(
    previous, processor, digest, expected
):
    assert needs_work(previous, processor, digest, recorded=TRANSCRIPTION) is expected


def test_transcription_failures_accumulate():
    failed = {**DONE, "transcript_status": "failed", "attempts": 2}
    assert next_attempt(failed, NOVA2, SHA, TRANSCRIPTION) == 3
    assert next_attempt(failed, ("deepgram", "nova-3"), SHA, TRANSCRIPTION) == 1
    assert next_attempt(DONE, NOVA2, SHA, TRANSCRIPTION) == 1


@pytest.mark.parametrize("recorded,expected", [(None, 0), (float("nan"), 0), (2, 2), (2.0, 2)])
def test_attempts_not_recorded_count_as_none(recorded, expected):
    assert attempts_of({"attempts": recorded}) == expected
