"""The transcription stage on a temporary DuckDB: source transcripts kept, audio-only calls say
why they have none, and each recording transcribed once per provider and model (Deepgram's
emulator), failures retried up to `max_attempts`."""

import shutil
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from callintel_dagster.lib.tables import CALL_RECORDINGS, CALL_RECORDS, CALL_TRANSCRIPTS
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.audio_store import AudioStore
from callintel_dagster.providers.synthetic import SyntheticSource
from callintel_dagster.resources.stt import Transcribers
from callintel_dagster.resources.warehouse import SliceWrite, Warehouse
from callintel_dagster.stages.claims import Claimer
from callintel_dagster.stages.recordings import archive_tenant
from callintel_dagster.stages.sync import sync_tenant
from callintel_dagster.stages.sync_specs import CALLS
from callintel_dagster.stages.transcription import transcribe_tenant
from emulators.deepgram import DeepgramEmulator

DAY = date(2026, 11, 18)
NOW = datetime(2026, 11, 20, 12, 0)
FIXTURES = Path(__file__).parents[1] / "fixtures" / "audio"
SPOKEN, CORRUPT = "mono_16k.wav", "corrupt.wav"  # the second fails as unreadable audio
PASSTHROUGH_REASON = "audio only: tenant has no STT provider (stt.provider=passthrough)"


def tenant(**stt) -> Tenant:
    return Tenant.model_validate(
        {
            "id": "acme",
            "name": "Acme",
            "timezone": "Asia/Kolkata",
            "calls": {
                "provider": "synthetic",
                "calls_per_day": 6,
                "seed": 3,
                "audio_samples": "samples",
            },
            **({"stt": stt} if stt else {}),
        }
    )


@pytest.fixture
def home(tmp_path):
    (tmp_path / "samples").mkdir()
    for name in (SPOKEN, CORRUPT):
        shutil.copy(FIXTURES / name, tmp_path / "samples" / name)
    return tmp_path


@pytest.fixture
def warehouse(tmp_path, home):
    """Six synthetic calls with source transcripts and two audio-only calls, synced."""
    warehouse = Warehouse(url=f"duckdb:///{tmp_path}/w.duckdb")
    sync_tenant(warehouse, tenant(), [DAY], SyntheticSource(tenant(), home), CALLS, NOW)
    return warehouse


@pytest.fixture
def deepgram(monkeypatch):
    monkeypatch.setenv("DG", "key")
    with DeepgramEmulator(latency_s=0.0, api_key="key") as emu:
        emu.add_recording(
            (FIXTURES / SPOKEN).read_bytes(),
            utterances=[("0", 0, 2, "Hello, this is Priya."), ("1", 2.2, 4, "Yes, tell me.")],
        )
        yield emu


def audio_calls(warehouse) -> list[str]:
    found = warehouse.query(
        f"SELECT call_id FROM {CALL_RECORDS.qualified} WHERE recording_url IS NOT NULL"
    )
    return sorted(found["call_id"])


def test_source_transcripts_are_kept_and_audio_only_calls_say_why_not(warehouse):
    done = transcribe_tenant(warehouse, tenant(), [DAY], None)
    calls = warehouse.query(f"SELECT * FROM {CALL_RECORDS.qualified}").to_dict("records")
    by_id = {r["call_id"]: r for r in done.rows}
    assert len(done.rows) == len(calls) == 8
    spoken = [c for c in calls if c["transcript_text"]]
    assert spoken and done.counts["from_source"] == len(spoken)
    for call in spoken:
        row = by_id[call["call_id"]]
        assert (row["transcript_status"], row["provider"]) == ("ok", "passthrough")
        assert row["text"] == call["transcript_text"].strip()
        assert row["speaker_separation"] == "source" and row["turn_count"] > 0
    for call_id in audio_calls(warehouse):
        assert by_id[call_id]["transcript_status"] == "no_transcript"
        assert by_id[call_id]["reason"] == PASSTHROUGH_REASON
    assert done.counts["no_transcript"] == 2
    assert len(done.turns) == sum(r["turn_count"] for r in done.rows)


def test_audio_not_archived_yet_is_the_reason(warehouse, deepgram):
    stt = tenant(provider="deepgram", api_key_env="DG", base_url=deepgram.base_url)
    audio_tx = Transcribers().audio_for_tenant(stt, lambda uri: b"")
    done = transcribe_tenant(warehouse, stt, [DAY], audio_tx)
    rows = [r for r in done.rows if r["call_id"] in audio_calls(warehouse)]
    assert {(r["transcript_status"], r["reason"]) for r in rows} == {
        ("no_transcript", "recording not archived yet")
    }
    assert done.counts["no_recording"] == 2 and deepgram.calls == []


def test_each_recording_is_transcribed_once_per_provider_and_model(warehouse, home, deepgram):
    store = AudioStore(home / "audio", allowed_local_roots=[home / "samples"])
    stt = tenant(provider="deepgram", api_key_env="DG", base_url=deepgram.base_url)
    archived = archive_tenant(warehouse, stt, [DAY], store, NOW)
    assert archived.fetched == 2
    warehouse.write(_recording_writes(archived.rows))
    spoken, corrupt = _ids_by_file(warehouse)

    def run(t=stt, retranscribe=False):
        audio_tx = Transcribers().audio_for_tenant(t, lambda uri: store.read_archived(t.id, uri))
        before = len(deepgram.calls)
        done = transcribe_tenant(warehouse, t, [DAY], audio_tx, retranscribe)
        warehouse.write(done.writes())
        rows = {r["call_id"]: r for r in done.rows}
        return done, rows, len(deepgram.calls) - before

    done, rows, requests = run()
    assert requests == 2 and done.counts["transcribed"] == 1 and done.counts["failed"] == 1
    assert rows[spoken]["transcript_status"] == "ok" and rows[spoken]["attempts"] == 1
    assert rows[corrupt]["attempts"] == 1
    turns = [t for t in done.turns if t["call_id"] == spoken]
    assert len(turns) == 2

    done, rows, requests = run()  # the failure is tried again; the transcript is reused
    assert requests == 1 and done.counts["reused"] == 1 and rows[corrupt]["attempts"] == 2
    assert [t for t in done.turns if t["call_id"] == spoken] == turns

    done, rows, requests = run()
    assert requests == 1 and rows[corrupt]["attempts"] == 3

    done, rows, requests = run()  # max_attempts (3) reached: nothing is sent any more
    assert requests == 0 and done.counts["reused"] == 2 and rows[corrupt]["attempts"] == 3

    done, rows, requests = run(retranscribe=True)
    assert requests == 2 and done.counts["transcribed"] == 1

    other_model = tenant(
        provider="deepgram", api_key_env="DG", base_url=deepgram.base_url, model="nova-3"
    )
    done, rows, requests = run(other_model)  # a new model transcribes again, attempts anew
    assert requests == 2 and rows[spoken]["model"] == "nova-3"
    assert rows[corrupt]["attempts"] == 1


def test_a_recording_another_run_claimed_is_neither_sent_nor_overwritten(warehouse, home, deepgram):
    store = AudioStore(home / "audio", allowed_local_roots=[home / "samples"])
    stt = tenant(provider="deepgram", api_key_env="DG", base_url=deepgram.base_url)
    warehouse.write(_recording_writes(archive_tenant(warehouse, stt, [DAY], store, NOW).rows))
    spoken, corrupt = _ids_by_file(warehouse)
    audio_tx = Transcribers().audio_for_tenant(stt, lambda uri: store.read_archived(stt.id, uri))
    first = Claimer(warehouse, "transcription", "run-a", NOW)
    second = Claimer(warehouse, "transcription", "run-b", NOW)
    assert first.take("acme", [(DAY, spoken)]) == {}  # run a is transcribing it

    b = transcribe_tenant(warehouse, stt, [DAY], audio_tx, now=NOW, claimer=second)
    assert b.counts["left_to_other_run"] == 1 and len(b.rows) == 7
    assert len(deepgram.calls) == 1  # only the corrupt recording: run a pays for the other
    a = transcribe_tenant(warehouse, stt, [DAY], audio_tx, now=NOW, claimer=first)
    assert [r["call_id"] for r in a.rows] == [spoken] and len(deepgram.calls) == 2
    warehouse.write(a.writes())
    warehouse.write(b.writes())  # the later write keeps run a's transcript
    stored = warehouse.read_slices(CALL_TRANSCRIPTS.qualified, [("acme", DAY)])
    assert len(stored) == 8 and stored["call_id"].is_unique
    assert stored.set_index("call_id").loc[spoken, "transcript_status"] == "ok"


def test_a_transcript_of_a_call_gone_from_the_source_goes(warehouse):
    warehouse.write(transcribe_tenant(warehouse, tenant(), [DAY], None).writes())
    gone = audio_calls(warehouse)[0]
    with warehouse.connect() as con:
        con.execute(f"DELETE FROM {CALL_RECORDS.qualified} WHERE call_id = ?", [gone])
    warehouse.write(transcribe_tenant(warehouse, tenant(), [DAY], None).writes())
    stored = warehouse.read_slices(CALL_TRANSCRIPTS.qualified, [("acme", DAY)])
    assert len(stored) == 7 and gone not in set(stored["call_id"])


def _recording_writes(rows):
    frame = pd.DataFrame(rows, columns=CALL_RECORDINGS.column_names)
    return [SliceWrite(CALL_RECORDINGS, [("acme", DAY)], frame)]


def _ids_by_file(warehouse) -> tuple[str, str]:
    found = warehouse.query(
        f"SELECT call_id, recording_url FROM {CALL_RECORDS.qualified} "
        "WHERE recording_url IS NOT NULL"
    )
    by_name = {
        Path(u).name: c for c, u in zip(found["call_id"], found["recording_url"], strict=True)
    }
    return by_name[SPOKEN], by_name[CORRUPT]
