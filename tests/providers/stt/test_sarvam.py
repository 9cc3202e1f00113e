"""The Sarvam STT client against the Sarvam emulator on 127.0.0.1 (no mocks): short clips go to
the synchronous endpoint, longer ones through the batch job flow with diarization, each batch
step retried on its own, and every failure an AudioError with a reason, a retryable or a
permanent error that never shows the key."""

import io
import struct
import time
import wave

import pytest

from callintel_dagster.lib.tenants.stt_config import SarvamStt
from callintel_dagster.lib.transcripts.audio_probe import duration_s
from callintel_dagster.providers.stt import build_stt_client
from callintel_dagster.providers.stt.base import (
    AudioError,
    AudioInput,
    PermanentSttError,
    RetryableSttError,
)
from callintel_dagster.providers.stt.sarvam import SarvamClient
from emulators.sarvam import (
    DEFAULT,
    DOWNLOAD_PATH,
    INVALID_AUDIO,
    JOB_PATH,
    START_PATH,
    STATUS_PATH,
    STORAGE_GET,
    STORAGE_PUT,
    SYNC_PATH,
    UPLOAD_PATH,
    SarvamEmulator,
)

KEY = "sk_sarvam-secret-0123456789"
TALK = [
    ("SPEAKER_00", 0.5, 4.0, "Namaste, main Riya bol rahi hoon Acme Realty se."),
    ("SPEAKER_01", 4.3, 7.5, "Haan ji, boliye."),
    ("SPEAKER_00", 8.0, 40.0, "Aapne Whitefield ke 2BHK ke baare mein poocha tha."),
]


def wav(seconds: float, tone: int = 0, rate: int = 8000) -> bytes:
    """Silence (the emulator answers from its registry); `tone` makes recordings differ."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = int(seconds * rate)
        w.writeframes(struct.pack("<h", tone) + b"\0\0" * (frames - 1))
    return buffer.getvalue()


def route(method: str, pattern: str) -> str:
    return f"{method} {pattern}"


@pytest.fixture
def emu():
    with SarvamEmulator(latency_s=0, api_key=KEY, job_steps=2) as em:
        yield em


def client(emu: SarvamEmulator, key: str = KEY, **overrides) -> SarvamClient:
    fields = {
        "provider": "sarvam",
        "api_key_env": "SARVAM_KEY",
        "base_url": emu.base_url,
        "poll_interval_s": 0.02,
        "timeout_s": 5.0,
    }
    return SarvamClient("acme", SarvamStt(**(fields | overrides)), key, backoff_s=0.01)


def batch_counts(emu: SarvamEmulator) -> dict[str, int]:
    return {
        "create": emu.requests[route("POST", JOB_PATH)],
        "upload_urls": emu.requests[route("POST", UPLOAD_PATH)],
        "put": emu.requests[route("PUT", STORAGE_PUT)],
        "start": emu.requests[route("POST", START_PATH)],
        "status": emu.requests[route("GET", STATUS_PATH)],
        "download_urls": emu.requests[route("POST", DOWNLOAD_PATH)],
        "get": emu.requests[route("GET", STORAGE_GET)],
    }


def test_short_clip_goes_to_the_sync_endpoint(emu):
    clip = wav(12.0)
    emu.add_recording(clip, entries=TALK[:2], language="hi-IN")
    result = client(emu).transcribe(AudioInput("c1", clip, "c1.wav"))
    assert result.text == f"{TALK[0][3]} {TALK[1][3]}"
    assert result.speaker_separation == "none" and result.language == "hi-IN"
    assert result.duration_s == pytest.approx(12.0) and result.model == "saarika:v2.5"
    (segment,) = result.segments
    assert (segment.start_s, segment.end_s, segment.speaker) == (0.0, 12.0, None)
    assert result.extra["endpoint"] == "sync" and result.extra["request_id"]
    assert emu.requests[route("POST", SYNC_PATH)] == 1
    assert emu.requests[route("POST", JOB_PATH)] == 0
    (call,) = emu.sync_calls
    assert call["model"] == "saarika:v2.5" and call["language_code"] == "unknown"


def test_long_recording_goes_through_the_batch_job_with_diarization(emu):
    talk = wav(45.0)
    emu.add_recording(talk, entries=TALK, language="hi-IN")
    result = client(emu, language_code="hi-IN").transcribe(AudioInput("c2", talk, "c2.wav"))
    assert [(s.speaker, s.start_s, s.end_s, s.text) for s in result.segments] == TALK
    assert result.text == " ".join(t[3] for t in TALK)
    assert result.speaker_separation == "diarization" and result.language == "hi-IN"
    assert result.duration_s == pytest.approx(45.0) and result.extra["endpoint"] == "batch"
    assert batch_counts(emu) == {
        "create": 1,
        "upload_urls": 1,
        "put": 1,
        "start": 1,
        "status": 2,  # job_steps=2: Running, then Completed
        "download_urls": 1,
        "get": 1,
    }
    assert emu.requests[route("POST", SYNC_PATH)] == 0
    (job,) = emu.jobs.values()
    assert job.parameters["with_diarization"] is True
    assert job.parameters["language_code"] == "hi-IN"
    assert list(job.uploads) == ["c2.wav"] and job.uploads["c2.wav"] == talk


def test_unknown_duration_goes_to_batch_and_unknown_audio_gets_the_default(emu):
    mp3ish = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 400  # PyAV cannot read it
    assert duration_s(mp3ish) is None
    result = client(emu).transcribe(AudioInput("c3", mp3ish, "c3.mp3"))
    assert result.speaker_separation == "diarization" and result.segments[0].speaker
    assert emu.requests[route("POST", JOB_PATH)] == 1
    emu.add_recording(DEFAULT, entries=[("SPEAKER_01", 0.0, 3.0, "Ji haan.")])
    result = client(emu).transcribe(AudioInput("c4", wav(5.0, 3), "c4.wav"))
    assert result.text == "Ji haan." and emu.requests[route("POST", SYNC_PATH)] == 1


def test_transient_step_failures_are_retried_without_a_new_job(emu):
    talk = wav(50.0, 1)
    emu.add_recording(talk, entries=TALK)
    emu.inject(STORAGE_PUT, {"status": 503})
    emu.inject(STATUS_PATH, {"status": 429, "retry_after": 0.05}, {"timeout": 2.0})
    emu.inject(DOWNLOAD_PATH, {"malformed": True})
    sarvam = client(emu, timeout_s=1.0)  # every request's: far above a local answer under load
    result = sarvam.transcribe(AudioInput("c5", talk, "c5.wav"))
    assert result.text == " ".join(t[3] for t in TALK)
    counts = batch_counts(emu)
    assert counts["create"] == 1 and sarvam.jobs_created == 1 and len(emu.jobs) == 1
    assert counts["put"] == 2 and counts["download_urls"] == 2
    assert counts["status"] == 4  # 429, timeout, Running, Completed


def test_a_step_that_keeps_failing_is_retryable_and_long_waits_are_left_to_the_caller(emu):
    talk = wav(40.0, 2)
    emu.inject(UPLOAD_PATH, *[{"status": 503}] * 4)
    with pytest.raises(RetryableSttError, match="upload-files") as info:
        client(emu).transcribe(AudioInput("c6", talk, "c6.wav"))
    assert "503" in str(info.value) and emu.requests[route("POST", UPLOAD_PATH)] == 4
    emu.clear_faults()
    emu.inject(JOB_PATH, {"status": 429, "retry_after": 120})
    started = time.monotonic()
    with pytest.raises(RetryableSttError) as info:
        client(emu).transcribe(AudioInput("c6", talk, "c6.wav"))
    # the error carries the wait; the client does not sleep through it itself
    assert info.value.retry_after == 120.0 and time.monotonic() - started < 30.0


def test_a_start_whose_answer_was_lost_is_not_fatal(emu):
    talk = wav(40.0, 4)
    emu.add_recording(talk, entries=TALK[:1])
    emu.inject(START_PATH, {"reply": "lost"})  # the job starts, the answer is a 503
    result = client(emu).transcribe(AudioInput("c7", talk, "c7.wav"))
    assert result.text == TALK[0][3] and emu.requests[route("POST", START_PATH)] == 2


def test_a_failed_job_is_retryable_with_sarvams_message_scrubbed(emu):
    emu.fail_next_job(f"Transcription backend crashed (key {KEY})")
    with pytest.raises(RetryableSttError, match="Transcription backend crashed") as info:
        client(emu).transcribe(AudioInput("c8", wav(40.0, 5), "c8.wav"))
    assert KEY not in str(info.value) and "***" in str(info.value)
    assert emu.requests[route("POST", DOWNLOAD_PATH)] == 0


def test_job_timeout_is_retryable():
    with SarvamEmulator(latency_s=0, api_key=KEY, job_steps=10_000) as em:
        with pytest.raises(RetryableSttError, match="not finished within 0.2s"):
            client(em, job_timeout_s=0.2).transcribe(AudioInput("c9", wav(40.0), "c9.wav"))


def test_corrupt_audio_is_unreadable_audio(emu):
    junk = b"RIFF\x10\x00\x00\x00WAVEjunk" + b"this is not audio" * 50
    with pytest.raises(AudioError) as info:  # duration unknown: batch; the file task fails
        client(emu).transcribe(AudioInput("bad", junk, "bad.wav"))
    assert info.value.reason == "unreadable_audio" and "Invalid audio" in str(info.value)
    emu.inject(SYNC_PATH, {"status": 400, "body": {"error": {"message": INVALID_AUDIO}}})
    with pytest.raises(AudioError) as info:  # the sync endpoint refuses it
        client(emu).transcribe(AudioInput("bad2", wav(3.0, 6), "bad2.wav"))
    assert info.value.reason == "unreadable_audio"


def test_empty_transcripts_are_no_speech(emu):
    short, long = wav(4.0, 7), wav(60.0, 7)
    emu.add_recording(short, entries=[])
    emu.add_recording(long, entries=[])
    sarvam = client(emu)
    for data in (short, long):
        with pytest.raises(AudioError) as info:
            sarvam.transcribe(AudioInput("quiet", data, "quiet.wav"))
        assert info.value.reason == "no_speech"
    with pytest.raises(AudioError) as info:
        sarvam.transcribe(AudioInput("none", b"", "none.wav"))
    assert info.value.reason == "empty_audio"
    assert emu.requests[route("POST", SYNC_PATH)] == 1 and len(emu.jobs) == 1


def test_bad_keys_are_permanent_and_never_shown(emu, monkeypatch):
    emu.inject(SYNC_PATH, {"status": 401, "body": {"error": {"message": f"bad key {KEY}"}}})
    with pytest.raises(PermanentSttError) as info:
        client(emu).transcribe(AudioInput("c", wav(2.0), "c.wav"))
    assert info.value.status == 401 and KEY not in str(info.value)
    wrong = "sk_wrong-key-ABCDEFGH"
    for seconds in (2.0, 40.0):  # sync, then the first batch step
        with pytest.raises(PermanentSttError) as info:
            client(emu, key=wrong).transcribe(AudioInput("c", wav(seconds), "c.wav"))
        assert info.value.status == 403 and "invalid_api_key_error" in str(info.value)
        assert wrong not in str(info.value) and KEY not in str(info.value)
    assert emu.requests[route("POST", JOB_PATH)] == 1  # a 403 is not retried
    monkeypatch.setenv("SARVAM_KEY", KEY)
    config = SarvamStt(provider="sarvam", api_key_env="SARVAM_KEY", base_url=emu.base_url)
    assert isinstance(build_stt_client("acme", config), SarvamClient)


def test_one_client_serves_four_threads():
    with SarvamEmulator(latency_s=0, api_key=KEY, job_steps=2) as em:
        recordings = [wav(10.0 if i % 2 else 35.0, i + 10) for i in range(8)]
        for i, data in enumerate(recordings):
            em.add_recording(data, entries=[(f"SPEAKER_0{i % 2}", 0.0, 2.0, f"Number {i}.")])
        sarvam = client(em)
        results = em.map_concurrently(
            lambda i: sarvam.transcribe(AudioInput(f"c{i}", recordings[i], f"c{i}.wav")),
            range(8),
            4,
        )
        assert [r.text for r in results] == [f"Number {i}." for i in range(8)]
        separations = [r.speaker_separation for r in results]
        assert separations == ["diarization", "none"] * 4
        assert em.requests[route("POST", SYNC_PATH)] == 4 and len(em.jobs) == 4
        assert all(job.state == "Completed" for job in em.jobs.values())
        sarvam.close()
