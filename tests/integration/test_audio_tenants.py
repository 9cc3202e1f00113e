"""Calls that carry only audio, through Dagster: a drop-folder tenant on a cloud STT provider
(against its emulator) gets transcripts, speaker turns and signals; bad audio is reported per
call while the partition succeeds; a second run transcribes nothing again."""

import io
import json
import os
import wave

import dagster as dg
import pytest

from callintel_dagster.definitions import resolved_resource
from conftest import defs_for_tenants, register_tenants

DAY = "2026-11-18"
TENANTS = """
tenants:
  - id: audio_co
    name: Audio Co
    timezone: Asia/Kolkata
    calls: {{provider: folder, source_timezone: Asia/Kolkata, settle_s: 0, audio_wait_s: 0}}
    stt: {stt}
"""
STEPS = {"call_records", "call_recordings", "call_transcripts", "call_signals"}


def wav(seconds: float, tone: int = 0) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes(bytes([tone % 256, 0]) * int(8000 * seconds))
    return buffer.getvalue()


def drop_calls(inbox, recordings: dict[str, bytes]) -> None:
    inbox.mkdir(parents=True, exist_ok=True)
    calls = [
        {
            "call_id": call_id,
            "started_at": f"{DAY} 1{i}:00:00",
            "duration": 12,
            "status": "completed",
            "phone": f"09812345{i:03d}",
            "recording": f"{call_id}.wav",
        }
        for i, call_id in enumerate(recordings)
    ]
    (inbox / "calls.json").write_text(json.dumps(calls))
    for call_id, data in recordings.items():
        (inbox / f"{call_id}.wav").write_bytes(data)
    for path in inbox.iterdir():
        os.utime(path, (1_700_000_000, 1_700_000_000))


def run(defs, instance, **run_config) -> dict:
    job = defs.resolve_job_def("daily_job").get_subset(
        asset_selection={dg.AssetKey(k) for k in STEPS}
    )
    config = {"ops": {"call_transcripts": {"config": run_config}}} if run_config else None
    result = job.execute_in_process(
        instance=instance, partition_key=f"{DAY}|audio_co", run_config=config
    )
    assert result.success
    mat = [
        m
        for m in result.asset_materializations_for_node("call_transcripts")
        if m.asset_key == dg.AssetKey("call_transcripts")
    ][-1]
    return {k: v.value for k, v in mat.metadata.items()}


@pytest.fixture
def deepgram(monkeypatch):
    from emulators.deepgram import DeepgramEmulator

    monkeypatch.setenv("DG_KEY", "dg-test-key")
    with DeepgramEmulator(latency_s=0.05, api_key="dg-test-key") as emu:
        yield emu


def test_audio_only_calls_get_transcripts_turns_and_signals(
    tmp_path, monkeypatch, instance, deepgram
):
    talk, silence, corrupt = wav(12, 1), wav(3, 2), b"this is not audio at all" * 10
    deepgram.add_recording(
        talk,
        utterances=[
            ("1", 0.4, 2.0, "Haan ji, boliye?"),
            ("0", 2.3, 6.0, "Namaste, this is Riya from Acme Realty. Is this a good time?"),
            ("1", 6.4, 8.0, "Yes, tell me about the flats."),
            ("0", 8.2, 11.5, "We have two BHK options at 45 lakh. Can I book a site visit?"),
        ],
        duration=12.0,
    )
    deepgram.add_recording(silence, utterances=[], duration=3.0)
    home = tmp_path / "home"
    drop_calls(home / "inbox" / "audio_co", {"talk": talk, "quiet": silence, "junk": corrupt})
    stt = f'{{provider: deepgram, api_key_env: DG_KEY, base_url: "{deepgram.base_url}"}}'
    defs = defs_for_tenants(tmp_path, monkeypatch, TENANTS.format(stt=stt), home=home)
    register_tenants(instance, ["audio_co"])
    deepgram.inject("*", {"status": 429, "retry_after": 0.1})  # retried, not a failure

    first = run(defs, instance)
    warehouse = resolved_resource(defs, "warehouse")
    got = warehouse.query(
        "SELECT call_id, transcript_status, reason, provider, speaker_separation, attempts "
        "FROM core.call_transcripts ORDER BY call_id"
    ).to_dict("records")
    by_id = {r["call_id"]: r for r in got}
    assert by_id["talk"]["transcript_status"] == "ok"
    assert by_id["talk"]["provider"] == "deepgram"
    assert by_id["talk"]["speaker_separation"] == "diarization"
    assert by_id["quiet"]["transcript_status"] == "empty"
    assert by_id["quiet"]["reason"].startswith("no_speech")
    assert by_id["junk"]["transcript_status"] == "failed"
    assert by_id["junk"]["reason"].startswith("unreadable_audio")
    assert first["transcribed"] == 1
    # speech-to-text minutes and cost: the recordings Deepgram processed, at its list price
    usage = warehouse.query(
        "SELECT call_id, provider, audio_seconds, cost_usd, priced FROM core.ai_usage "
        "WHERE kind = 'stt' ORDER BY call_id"
    ).to_dict("records")
    assert [u["call_id"] for u in usage] == ["quiet", "talk"]
    assert all(u["provider"] == "deepgram" and u["priced"] for u in usage)
    talk = usage[1]
    assert talk["audio_seconds"] > 0
    assert talk["cost_usd"] == pytest.approx(talk["audio_seconds"] / 60 * 0.0043, rel=1e-6)
    turns = warehouse.query(
        "SELECT role, text FROM core.transcript_turns WHERE call_id = 'talk' ORDER BY turn_index"
    )
    assert turns["role"].tolist() == ["customer", "agent", "customer", "agent"]
    signals = warehouse.query("SELECT talk_ratio, questions_agent FROM core.call_signals")
    assert len(signals) == 1 and signals["questions_agent"][0] == 2
    assert 0.5 < signals["talk_ratio"][0] < 0.8

    before = sum(deepgram.requests.values())
    second = run(defs, instance)  # the good and silent calls are kept; the corrupt one retried
    assert second["reused"] == 2
    assert sum(deepgram.requests.values()) - before == 1
    junk = warehouse.query("SELECT attempts FROM core.call_transcripts WHERE call_id = 'junk'")
    assert junk["attempts"][0] == 2

    before = sum(deepgram.requests.values())
    third = run(defs, instance, retranscribe=True)  # an explicit re-run transcribes all again
    assert third.get("reused", 0) == 0 and sum(deepgram.requests.values()) - before == 3


FIXTURES = __import__("pathlib").Path(__file__).parents[1] / "fixtures" / "audio"


def test_local_whisper_transcribes_the_fixture_recordings(tmp_path, monkeypatch, instance):
    """The packaged model for real: stereo by channel, silence and a corrupt file per call."""
    home = tmp_path / "home"
    names = {"stereo": "stereo_8k.wav", "quiet": "silent_8k.wav", "junk": "corrupt.wav"}
    drop_calls(
        home / "inbox" / "audio_co", {k: (FIXTURES / v).read_bytes() for k, v in names.items()}
    )
    defs = defs_for_tenants(
        tmp_path, monkeypatch, TENANTS.format(stt="{provider: local, agent_channel: 0}"), home=home
    )
    register_tenants(instance, ["audio_co"])
    meta = run(defs, instance)
    assert meta["transcribed"] == 1
    warehouse = resolved_resource(defs, "warehouse")
    got = {
        r["call_id"]: r
        for r in warehouse.query("SELECT * FROM core.call_transcripts").to_dict("records")
    }
    assert got["stereo"]["speaker_separation"] == "channel"
    assert got["quiet"]["transcript_status"] == "empty"
    assert got["junk"]["reason"].startswith("unreadable_audio")
    roles = warehouse.query(
        "SELECT role FROM core.transcript_turns WHERE call_id = 'stereo' ORDER BY turn_index"
    )["role"].tolist()
    assert roles == ["agent", "customer", "agent", "customer"]


def test_sarvam_batch_with_diarization(tmp_path, monkeypatch, instance):
    """A 40 s call goes through Sarvam's batch job (diarized); a 10 s one through the sync API."""
    from emulators.sarvam import SarvamEmulator

    monkeypatch.setenv("SARVAM_KEY", "sv-test-key")
    long_call, short_call = wav(40, 3), wav(10, 4)
    with SarvamEmulator(latency_s=0.02, api_key="sv-test-key", job_steps=1) as sarvam:
        sarvam.add_recording(
            long_call,
            entries=[
                ("SPEAKER_00", 0.5, 4.0, "Namaste, main Riya bol rahi hoon Acme Realty se."),
                ("SPEAKER_01", 4.5, 7.0, "Haan boliye, kya baat hai?"),
            ],
        )
        sarvam.add_recording(short_call, entries=[(None, 0.2, 3.0, "Haan ji, theek hai.")])
        home = tmp_path / "home"
        drop_calls(home / "inbox" / "audio_co", {"long": long_call, "short": short_call})
        stt = (
            f'{{provider: sarvam, api_key_env: SARVAM_KEY, base_url: "{sarvam.base_url}", '
            "language_code: hi-IN, poll_interval_s: 0.05}"
        )
        defs = defs_for_tenants(tmp_path, monkeypatch, TENANTS.format(stt=stt), home=home)
        register_tenants(instance, ["audio_co"])
        assert run(defs, instance)["transcribed"] == 2
    warehouse = resolved_resource(defs, "warehouse")
    got = {
        r["call_id"]: r
        for r in warehouse.query("SELECT * FROM core.call_transcripts").to_dict("records")
    }
    assert got["long"]["speaker_separation"] == "diarization"
    assert got["short"]["speaker_separation"] == "heuristic"  # the sync API does not diarize
    roles = warehouse.query(
        "SELECT role FROM core.transcript_turns WHERE call_id = 'long' ORDER BY turn_index"
    )["role"].tolist()
    assert roles == ["agent", "customer"]
