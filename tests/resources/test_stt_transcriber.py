"""The audio transcriber around an STT client (Deepgram's emulator): the duration guard before
anything is sent, retries, roles from diarization, and a refused key failing the tenant."""

import io
import wave

import pytest

from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.stt import build_stt_client
from callintel_dagster.providers.stt.base import PermanentSttError
from callintel_dagster.resources.stt import AudioTranscriber, AudioWork
from emulators.deepgram import DeepgramEmulator


def wav(seconds: float) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes(b"\x01\x00" * int(8000 * seconds))
    return buffer.getvalue()


@pytest.fixture
def emulator(monkeypatch):
    monkeypatch.setenv("DG", "key")
    with DeepgramEmulator(latency_s=0.0, api_key="key") as emu:
        yield emu


def transcriber(emu, audio: dict, **stt) -> AudioTranscriber:
    tenant = Tenant.model_validate(
        {
            "id": "acme",
            "name": "Acme",
            "timezone": "Asia/Kolkata",
            "stt": {"provider": "deepgram", "api_key_env": "DG", "base_url": emu.base_url, **stt},
        }
    )
    return AudioTranscriber(tenant, build_stt_client(tenant.id, tenant.stt), audio.__getitem__)


def work(*names: str) -> list[AudioWork]:
    return [AudioWork({"call_id": n, "recording_url": None}, n) for n in names]


def test_long_recordings_are_refused_before_upload(emulator):
    audio = {"long": wav(12), "short": wav(2)}
    emulator.add_recording(audio["short"], utterances=[("0", 0, 1.5, "Hello, this is Acme.")])
    out = transcriber(emulator, audio, max_duration_s=10).transcribe_many(work("long", "short"))
    assert out["long"].status == "failed" and out["long"].reason.startswith("too_long: 12 s")
    assert out["short"].status == "ok" and out["short"].turns[0]["role"] == "agent"
    assert sum(emulator.requests.values()) == 1  # the long one was never sent


def test_transient_errors_are_retried(emulator):
    audio = {"a": wav(2)}
    emulator.add_recording(audio["a"], utterances=[("0", 0, 1, "Hi."), ("1", 1.2, 2, "Hello?")])
    emulator.inject("*", {"status": 503}, {"status": 429, "retry_after": 0.05})
    out = transcriber(emulator, audio).transcribe_many(work("a"))["a"]
    assert out.status == "ok" and [t["role"] for t in out.turns] == ["agent", "customer"]
    assert out.speaker_separation == "diarization"


def test_a_refused_key_fails_the_tenant(emulator, monkeypatch):
    monkeypatch.setenv("DG", "wrong")
    with pytest.raises(PermanentSttError) as err:
        transcriber(emulator, {"a": wav(1)}).transcribe_many(work("a"))
    assert "wrong" not in str(err.value)
