"""The local faster-whisper client on the committed fixtures (tests/fixtures/audio).

WER bounds come from measurement on 2 cores (tiny.en int8, beam 1, VAD), plus a margin for
int8 kernels differing across CPUs: the 16 kHz recording in wav, ogg, mp3 and m4a measured 0.00
(bound 0.15); the 8 kHz telephone-band recording 0.21 (bound 0.35); the stereo call 0.11 overall,
agent channel 0.00 and customer channel 0.29 on the first host, but 0.26 overall and 0.64 on the
customer channel on an AMD EPYC host (same model, same bytes: CTranslate2 picks other int8
kernels there, and greedy decoding of the short 8 kHz customer turns diverges). Bounds: 0.30
overall, 0.70 per channel; the agent channel stays near 0 on both.
"""

import io
import json
import threading
import wave
from pathlib import Path

import numpy as np
import pytest

from callintel_dagster.lib.tenants.stt_config import LocalStt
from callintel_dagster.lib.transcripts.wer import wer
from callintel_dagster.providers.stt.base import AudioError, AudioInput
from callintel_dagster.providers.stt.local_whisper import (
    PACKAGED_MODEL,
    LocalWhisperClient,
    _check_sha256,
)

pytestmark = pytest.mark.integration  # real Whisper inference: seconds per file

FIXTURES = Path(__file__).parents[2] / "fixtures" / "audio"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())
WER_BOUNDS = {
    "mono_16k.wav": 0.15,
    "mono_16k.ogg": 0.15,
    "mono_16k.mp3": 0.15,
    "mono_16k.m4a": 0.15,
    "phone_8k.wav": 0.35,
    "stereo_8k.wav": 0.30,
}
CHANNEL_BOUND = 0.70


@pytest.fixture(scope="module")
def client() -> LocalWhisperClient:
    return LocalWhisperClient("acme", LocalStt(provider="local", workers=2))


def audio(name: str, data: bytes | None = None) -> AudioInput:
    return AudioInput(name, (FIXTURES / name).read_bytes() if data is None else data, name)


def wav_bytes(samples: np.ndarray, rate: int, channels: int) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())
    return buf.getvalue()


@pytest.mark.parametrize("name", sorted(WER_BOUNDS))
def test_transcribes_fixture_within_measured_wer(client, name):
    result = client.transcribe(audio(name))
    assert wer(EXPECTED[name]["text"], result.text) <= WER_BOUNDS[name], result.text
    assert result.model == PACKAGED_MODEL
    assert result.language == "en"
    assert 0 < result.confidence <= 1
    assert result.segments and all(s.end_s >= s.start_s for s in result.segments)


def test_mono_is_one_stream_without_speakers(client):
    result = client.transcribe(audio("phone_8k.wav"))
    assert result.speaker_separation == "none"
    assert {s.speaker for s in result.segments} == {None}
    assert result.duration_s == pytest.approx(5.18, abs=0.01)


def test_stereo_channels_are_labelled_and_interleaved_by_time(client):
    result = client.transcribe(audio("stereo_8k.wav"))
    assert result.speaker_separation == "channel"
    assert result.duration_s == pytest.approx(12.82, abs=0.01)
    # the fixture alternates agent, customer, agent, customer
    assert [s.speaker for s in result.segments] == ["ch0", "ch1", "ch0", "ch1"]
    starts = [s.start_s for s in result.segments]
    assert starts == sorted(starts)
    for channel, reference in EXPECTED["stereo_8k.wav"]["channels"].items():
        said = " ".join(s.text for s in result.segments if s.speaker == channel)
        assert wer(reference, said) <= CHANNEL_BOUND, (channel, said)


def test_stereo_with_identical_channels_is_mono(client):
    with wave.open(str(FIXTURES / "phone_8k.wav")) as w:
        mono = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    data = wav_bytes(np.repeat(mono, 2), 8000, 2)
    result = client.transcribe(AudioInput("dup", data, "dup.wav"))
    assert result.speaker_separation == "none"
    assert wer(EXPECTED["phone_8k.wav"]["text"], result.text) <= WER_BOUNDS["phone_8k.wav"]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("silent_8k.wav", None, "no_speech"),
        ("corrupt.wav", None, "unreadable_audio"),
        ("truncated_header.wav", None, "unreadable_audio"),
        ("empty.wav", b"", "empty_audio"),
        ("no_samples.wav", wav_bytes(np.zeros(0), 8000, 1), "empty_audio"),
        # FFmpeg opens a PNG as an image stream: readable, but there is no audio in it
        ("image.png", b"\x89PNG\r\n\x1a\n" + bytes(64), "unsupported_format"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_recordings_raise_audio_errors(client, name, data, reason):
    source = audio(name, data) if data is not None else audio(name)
    with pytest.raises(AudioError) as err:
        client.transcribe(source)
    assert err.value.reason == reason
    assert err.value.tenant_id == "acme"


def test_no_bytes_at_all_is_empty_audio(client):
    with pytest.raises(AudioError) as err:
        client.transcribe(AudioInput("c1", None, "c1.wav", url="https://example.invalid/a.wav"))
    assert err.value.reason == "empty_audio"


def test_too_long_is_refused_before_transcribing():
    short = LocalWhisperClient("acme", LocalStt(provider="local", max_duration_s=2.0))
    with pytest.raises(AudioError) as err:
        short.transcribe(audio("mono_16k.wav"))
    assert err.value.reason == "too_long"
    assert "6 s is over the limit of 2 s" in str(err.value)


def test_two_threads_transcribe_at_once(client):
    names = ["mono_16k.wav", "phone_8k.wav"]
    results: dict[str, str] = {}
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            results[name] = client.transcribe(audio(name)).text
        except BaseException as exc:  # surfaced by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    for name in names:
        assert wer(EXPECTED[name]["text"], results[name]) <= WER_BOUNDS[name]


def test_model_checksum_mismatch_is_refused(tmp_path):
    model = tmp_path / "model.bin"
    model.write_bytes(b"not the model")
    with pytest.raises(RuntimeError, match="does not match the pinned"):
        _check_sha256(model, "0" * 64)


def test_own_model_path_names_the_model(tmp_path):
    client = LocalWhisperClient("acme", LocalStt(provider="local", model_path=str(tmp_path)))
    assert client.model == tmp_path.name
