"""The Deepgram STT client against the Deepgram emulator on 127.0.0.1 (no mocks): one attempt per
call, diarized utterances as segments, and every failure an AudioError with a reason, a
retryable or a permanent error."""

import io
import struct
import time
import wave

import pytest

from callintel_dagster.lib.tenants.stt_config import DeepgramStt
from callintel_dagster.providers.audio_types import content_type_for
from callintel_dagster.providers.stt import build_stt_client
from callintel_dagster.providers.stt.base import (
    AudioError,
    AudioInput,
    PermanentSttError,
    RetryableSttError,
)
from callintel_dagster.providers.stt.deepgram import DeepgramClient
from emulators.deepgram import DEFAULT, LISTEN_PATH, DeepgramEmulator, audio_kind, wav_duration

KEY = "dg-secret-key-0123456789"
TALK = [
    ("1", 0.4, 2.0, "Haan ji, boliye?"),
    ("0", 2.3, 6.0, "Namaste, this is Riya from Acme Realty. Is this a good time?"),
    ("1", 6.4, 8.0, "Yes, tell me about the flats."),
]


def wav(seconds: float, tone: int = 1, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = int(seconds * rate)
        w.writeframes(struct.pack(f"<{frames}h", *((tone * 97 * i) % 2000 for i in range(frames))))
    return buffer.getvalue()


@pytest.fixture
def emu():
    with DeepgramEmulator(latency_s=0, api_key=KEY) as em:
        yield em


def client(emu: DeepgramEmulator, key: str = KEY, **overrides) -> DeepgramClient:
    fields = {"provider": "deepgram", "api_key_env": "DG_KEY", "base_url": emu.base_url}
    return DeepgramClient("acme", DeepgramStt(**(fields | overrides)), key)


def test_bytes_mode_diarized_utterances_become_segments(emu):
    talk = wav(8.5)
    emu.add_recording(talk, utterances=TALK, duration=8.5)
    result = client(emu).transcribe(AudioInput("c1", talk, "c1.wav"))
    assert [(s.speaker, s.start_s, s.end_s, s.text) for s in result.segments] == TALK
    assert result.text == " ".join(u[3] for u in TALK)
    assert result.speaker_separation == "diarization"
    assert result.duration_s == 8.5 and result.language == "en" and result.model == "nova-2"
    assert 0 < result.confidence <= 1 and result.extra["request_id"]
    (call,) = emu.calls
    assert call["content_type"] == "audio/wav"
    assert call["query"] == {
        "model": "nova-2",
        "diarize": "true",
        "utterances": "true",
        "punctuate": "true",
        "smart_format": "true",
        "detect_language": "true",
    }
    assert emu.requests[f"POST {LISTEN_PATH}"] == 1


@pytest.mark.parametrize(
    ("filename", "content_type"),
    [
        ("a.mp3", "audio/mpeg"),
        ("a.ogg", "audio/ogg"),
        ("a.m4a", "audio/mp4"),
        ("a.WAV", "audio/wav"),
    ],
)
def test_content_type_follows_the_extension(emu, filename, content_type):
    assert content_type_for(filename) == content_type
    data = b"ID3\x04\x00" + filename.encode() * 50
    emu.add_recording(data, utterances=[("0", 0.0, 1.0, "Hello there.")])
    result = client(emu).transcribe(AudioInput("c", data, filename))
    assert result.text == "Hello there." and emu.calls[-1]["content_type"] == content_type


def test_url_mode_sends_json_and_falls_back_to_bytes_without_url(emu):
    url = "https://recordings.example.com/acme/c2.mp3?X-Amz-Signature=abc"
    emu.add_recording(url, utterances=TALK[:2], duration=6.0, language="hi")
    dg = client(emu, send="url")
    result = dg.transcribe(AudioInput("c2", None, "c2.mp3", url=url))
    assert [s.speaker for s in result.segments] == ["1", "0"]
    assert result.language == "hi" and result.duration_s == 6.0
    assert emu.calls[-1]["content_type"] == "application/json" and emu.calls[-1]["url"] == url

    talk = wav(2.0, 3)
    emu.add_recording(talk, utterances=TALK[:1])
    result = dg.transcribe(AudioInput("c3", talk, "c3.wav"))  # no URL: bytes
    assert result.text == TALK[0][3] and emu.calls[-1]["content_type"] == "audio/wav"


def test_language_param_replaces_detection(emu):
    talk = wav(2.0, 4)
    emu.add_recording(talk, utterances=TALK[:1], language="en")
    result = client(emu, language="hi", model="nova-3").transcribe(AudioInput("c", talk, "c.wav"))
    query = emu.calls[-1]["query"]
    assert query["language"] == "hi" and "detect_language" not in query
    assert query["model"] == "nova-3" and result.model == "nova-3"
    assert result.language == "hi"  # nothing detected: the configured language


def test_corrupt_bytes_are_unreadable_audio(emu):
    with pytest.raises(AudioError) as info:
        client(emu).transcribe(AudioInput("junk", b"this is not audio at all" * 10, "junk.wav"))
    assert info.value.reason == "unreadable_audio"
    assert "corrupt or unsupported data" in str(info.value)
    # a RIFF that is no WAVE is corrupt too; sniffing knows the containers
    assert audio_kind(b"RIFF\x00\x00\x00\x00JUNK") is None
    assert audio_kind(wav(0.1)) == "wav" and audio_kind(b"OggS" + b"\0" * 20) == "ogg"
    assert wav_duration(wav(1.5)) == pytest.approx(1.5)


def test_empty_transcript_is_no_speech_and_unknown_audio_gets_the_default(emu):
    silence = wav(3.0, 2)
    emu.add_recording(silence, utterances=[], duration=3.0)
    dg = client(emu)
    with pytest.raises(AudioError) as info:
        dg.transcribe(AudioInput("quiet", silence, "quiet.wav"))
    assert info.value.reason == "no_speech"
    with pytest.raises(AudioError) as info:  # unknown audio, no default: empty transcript
        dg.transcribe(AudioInput("other", wav(1.0, 5), "other.wav"))
    assert info.value.reason == "no_speech"
    emu.add_recording(DEFAULT, utterances=TALK[2:])
    result = dg.transcribe(AudioInput("other", wav(1.0, 5), "other.wav"))
    assert result.text == TALK[2][3] and result.duration_s == pytest.approx(1.0)
    with pytest.raises(AudioError) as info:  # nothing to send: refused before any request
        dg.transcribe(AudioInput("none", b"", "none.wav"))
    assert info.value.reason == "empty_audio" and len(emu.calls) == 3


def test_without_utterances_words_are_grouped_by_speaker(emu):
    talk = wav(1.0, 6)
    emu.add_recording(talk, utterances=TALK)
    emu.inject(LISTEN_PATH, {"reply": "no_utterances"})
    result = client(emu).transcribe(AudioInput("c", talk, "c.wav"))
    assert [s.speaker for s in result.segments] == ["1", "0", "1"]
    assert [s.text for s in result.segments] == [u[3] for u in TALK]


def test_bad_key_is_permanent_and_never_shown(emu, monkeypatch):
    wrong = "dg-wrong-key-ABCDEFGH"
    with pytest.raises(PermanentSttError) as info:
        client(emu, key=wrong).transcribe(AudioInput("c", wav(0.5), "c.wav"))
    assert info.value.status == 401 and "INVALID_AUTH" in str(info.value)
    assert wrong not in str(info.value) and KEY not in str(info.value)
    emu.inject(LISTEN_PATH, {"status": 403})
    with pytest.raises(PermanentSttError) as info:
        client(emu).transcribe(AudioInput("c", wav(0.5), "c.wav"))
    assert info.value.status == 403 and KEY not in str(info.value)
    monkeypatch.setenv("DG_KEY", KEY)  # the factory reads the key from the named variable
    config = DeepgramStt(provider="deepgram", api_key_env="DG_KEY", base_url=emu.base_url)
    assert isinstance(build_stt_client("acme", config), DeepgramClient)


def test_rate_limits_and_server_errors_are_retryable(emu):
    talk = wav(1.0, 7)
    emu.add_recording(talk, utterances=TALK[:1])
    dg = client(emu)
    emu.inject(LISTEN_PATH, {"status": 429, "retry_after": 2}, {"status": 503}, {"malformed": True})
    with pytest.raises(RetryableSttError) as info:
        dg.transcribe(AudioInput("c", talk, "c.wav"))
    assert info.value.retry_after == 2.0 and "TOO_MANY_REQUESTS" in str(info.value)
    with pytest.raises(RetryableSttError) as info:
        dg.transcribe(AudioInput("c", talk, "c.wav"))
    assert "503" in str(info.value) and info.value.retry_after is None
    with pytest.raises(RetryableSttError, match="not JSON"):
        dg.transcribe(AudioInput("c", talk, "c.wav"))
    assert dg.transcribe(AudioInput("c", talk, "c.wav")).text == TALK[0][3]


def test_emulator_rate_limit_answers_429_with_retry_after():
    with DeepgramEmulator(latency_s=0, requests_per_minute=1) as em:
        talk = wav(0.5)
        em.add_recording(talk, utterances=TALK[:1])
        dg = client(em)
        dg.transcribe(AudioInput("c", talk, "c.wav"))
        with pytest.raises(RetryableSttError) as info:
            dg.transcribe(AudioInput("c", talk, "c.wav"))
        assert info.value.retry_after and 0 < info.value.retry_after <= 60


def test_timeout_is_retryable(emu):
    emu.inject(LISTEN_PATH, {"timeout": 10.0})
    started = time.monotonic()
    with pytest.raises(RetryableSttError, match="no answer within 0.3s"):
        client(emu, timeout_s=0.3).transcribe(AudioInput("c", wav(0.5), "c.wav"))
    assert time.monotonic() - started < 5.0  # the client gave up; it did not wait the 10 s


def test_one_client_serves_eight_threads():
    with DeepgramEmulator(latency_s=0, api_key=KEY) as em:
        recordings = [wav(0.5, tone) for tone in range(1, 17)]
        for i, data in enumerate(recordings):
            em.add_recording(data, utterances=[(str(i % 2), 0.0, 0.5, f"Recording number {i}.")])
        dg = client(em)
        results = em.map_concurrently(
            lambda i: dg.transcribe(AudioInput(f"c{i}", recordings[i], f"c{i}.wav")), range(16), 8
        )
        assert [r.text for r in results] == [f"Recording number {i}." for i in range(16)]
        assert [r.segments[0].speaker for r in results] == [str(i % 2) for i in range(16)]
        assert em.requests[f"POST {LISTEN_PATH}"] == 16
        dg.close()
