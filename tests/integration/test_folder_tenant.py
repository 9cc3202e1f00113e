"""A drop-folder tenant through Dagster: files in, rows out, files moved, audio archived."""

import json
import os
import wave

import dagster as dg

from callintel_dagster.definitions import resolved_resource
from conftest import defs_for_tenants, register_tenants

TENANTS = """
tenants:
  - id: dropbox_co
    name: Drop Box Co
    timezone: Asia/Kolkata
    calls: {provider: folder, source_timezone: Asia/Kolkata, settle_s: 0, audio_wait_s: 0}
"""


def test_folder_calls_land_and_files_move(tmp_path, monkeypatch, instance):
    home = tmp_path / "home"
    inbox = home / "inbox" / "dropbox_co"
    inbox.mkdir(parents=True)
    calls = [
        {
            "call_id": f"d{i}",
            "started_at": f"2026-11-18 1{i}:00:00",
            "duration": 42,
            "status": "completed",
            "phone": "098123 4567" + str(i),
            "recording": f"d{i}.wav",
        }
        for i in range(3)
    ]
    (inbox / "calls.json").write_text(json.dumps(calls))
    (inbox / "broken.json").write_text("{not json")
    for i in range(3):
        with wave.open(str(inbox / f"d{i}.wav"), "wb") as w:
            w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
            w.writeframes(b"\x00\x00" * 800)
    for path in inbox.iterdir():  # files settled long ago
        os.utime(path, (1_700_000_000, 1_700_000_000))
    defs = defs_for_tenants(tmp_path, monkeypatch, TENANTS, home=home)
    register_tenants(instance, ["dropbox_co"])
    job = defs.resolve_job_def("daily_job").get_subset(
        asset_selection={dg.AssetKey("call_records"), dg.AssetKey("call_recordings")}
    )
    assert job.execute_in_process(instance=instance, partition_key="2026-11-18|dropbox_co").success

    warehouse = resolved_resource(defs, "warehouse")
    rows = warehouse.query("SELECT call_id, phone_e164 FROM raw.call_records ORDER BY call_id")
    assert rows["call_id"].tolist() == ["d0", "d1", "d2"]
    assert rows["phone_e164"][0] == "+919812345670"
    assert not (inbox / "calls.json").exists(), "what the sync took moved to processed/"
    assert (home / "failed" / "dropbox_co" / "broken.json.error.txt").exists()
    recordings = warehouse.query("SELECT recording_status FROM raw.call_recordings")
    assert recordings["recording_status"].tolist() == ["archived"] * 3
