"""The drop-folder source: metadata parsing (pure) and FolderSource on real files in tmp_path."""

import json
import os
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from callintel_dagster.lib.ingest.rows import call_rows
from callintel_dagster.lib.ingest.window import SyncWindow
from callintel_dagster.providers.folder.records import (
    MalformedFile,
    parse_metadata,
    parse_time,
    row_to_call,
    rows_to_calls,
)
from callintel_dagster.providers.folder.source import FolderSource

DAY = date(2026, 11, 18)
START = datetime(2026, 11, 17, 18, 30)  # the Asia/Kolkata day in naive UTC
WINDOW = SyncWindow("acme", DAY, START, START + timedelta(days=1), datetime(2026, 11, 21))
NEXT_DAY = SyncWindow(
    "acme",
    DAY + timedelta(days=1),
    START + timedelta(days=1),
    START + timedelta(days=2),
    WINDOW.now_utc,
)
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(32)

# -- parsing (providers/folder/records.py) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "tz", "expected"),
    [
        ("2026-11-18T10:00:00+05:30", "UTC", datetime(2026, 11, 18, 4, 30)),
        ("2026-11-18T04:30:00Z", "UTC", datetime(2026, 11, 18, 4, 30)),
        ("2026-11-18 04:30:00", "UTC", datetime(2026, 11, 18, 4, 30)),
        ("2026-11-18 10:00:00", "Asia/Kolkata", datetime(2026, 11, 18, 4, 30)),
        ("2026-11-18T10:00:00-08:00", "Asia/Kolkata", datetime(2026, 11, 18, 18, 0)),
        (1795487400, "UTC", datetime(2026, 11, 24, 2, 30)),
        ("1795487400", "Asia/Kolkata", datetime(2026, 11, 24, 2, 30)),  # epoch: always UTC
    ],
)
def test_parse_time_returns_naive_utc(value, tz, expected):
    assert parse_time(value, tz) == expected


@pytest.mark.parametrize("value", ["yesterday", "", "2026-13-01", True, None, [2026]])
def test_parse_time_rejects(value):
    with pytest.raises(ValueError):
        parse_time(value)


@pytest.mark.parametrize(
    ("status", "duration", "expected", "kept"),
    [
        ("ANSWERED", "30", "completed", None),
        ("no-answer", "0", "no_answer", None),
        ("Busy", None, "busy", None),
        ("voicemail", "12", "voicemail", None),
        ("cancelled", None, "failed", None),
        ("transferred", "40", "completed", "transferred"),  # unknown: kept, decided by duration
        (None, "0", "failed", None),
        (None, None, "completed", None),
    ],
)
def test_status_mapping(status, duration, expected, kept):
    row = {"call_id": "c1", "started_at": "2026-11-18T04:30:00Z", "status": status}
    call = row_to_call(row | {"duration": duration})
    assert call["call_status"] == expected
    assert call.get("source_status") == kept


def test_row_to_call_maps_aliases_and_keeps_unknown_columns():
    call = row_to_call(
        {
            "call_id": 42,
            "started_at": "2026-11-18T10:00:00+05:30",
            "duration": "90.5",
            "direction": "IN",
            "agent": "Riya",
            "phone": "098123 45678",
            "transcript": "agent: hello",
            "audio_file": "rec 42.wav",
            "campaign": "diwali",
        }
    )
    assert call == {
        "call_id": "42",
        "started_at_utc": datetime(2026, 11, 18, 4, 30),
        "ended_at_utc": datetime(2026, 11, 18, 4, 31, 30, 500000),
        "duration_seconds": 90.5,
        "call_status": "completed",
        "direction": "inbound",
        "agent_name": "Riya",
        "phone_raw": "098123 45678",
        "language": None,
        "transcript_text": "agent: hello",
        "recording": "rec 42.wav",
        "is_final": True,
        "campaign": "diwali",
    }


def test_duration_is_derived_from_the_end_time():
    call = row_to_call(
        {"call_id": "c", "started_at": "2026-11-18T04:30:00Z", "ended_at": "2026-11-18T04:32:00Z"}
    )
    assert call["duration_seconds"] == 120.0


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"started_at": "2026-11-18T04:30:00Z"}, "missing call_id"),
        ({"call_id": "  ", "started_at": "2026-11-18T04:30:00Z"}, "missing call_id"),
        ({"call_id": "c1"}, "missing started_at"),
        ({"call_id": "c1", "started_at": "18/11/2026 10am"}, "unparseable time"),
        ({"call_id": "c1", "started_at": "2026-11-18", "ended_at": "later"}, "ended_at"),
        ({"call_id": "c1", "started_at": "2026-11-18", "duration": "long"}, "not a number"),
        ({"call_id": "c1", "started_at": "2026-11-18", "duration": -3}, "invalid duration"),
        ({"call_id": "c1", "started_at": "2026-11-18", "recording": "../b/x.wav"}, "file name"),
    ],
)
def test_bad_rows(row, reason):
    with pytest.raises(ValueError, match=reason):
        row_to_call(row)


@pytest.mark.parametrize(
    ("name", "text", "rows"),
    [
        ("a.json", '{"call_id": "c1"}', [{"call_id": "c1"}]),
        (
            "a.json",
            '[{"call_id": "c1"}, {"call_id": "c2"}]',
            [{"call_id": "c1"}, {"call_id": "c2"}],
        ),
        ("a.json", "[]", []),
        (
            "a.csv",
            "\ufeffcall_id,phone\nc1,\nc2,98\n",
            [{"call_id": "c1", "phone": None}, {"call_id": "c2", "phone": "98"}],
        ),
        ("A.CSV", "call_id\n", []),
    ],
)
def test_parse_metadata(name, text, rows):
    assert parse_metadata(name, text) == rows


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("a.json", "{not json", "invalid JSON"),
        ("a.json", '[{"call_id": "c1"}, 3]', "not objects: rows \\[2\\]"),
        ("a.json", "  \n", "empty file"),
        ("a.csv", "call_id,phone\nc1,1,extra\nc2\n", "differs from the header: \\[1, 2\\]"),
        ("a.csv", "call_id,call_id\nc1,c2\n", "duplicate"),
        ("a.txt", "call_id\nc1\n", "not a metadata file"),
    ],
)
def test_malformed_metadata(name, text, reason):
    with pytest.raises(MalformedFile, match=reason):
        parse_metadata(name, text)


def test_rows_to_calls_lists_every_bad_row():
    rows = [{"call_id": "ok", "started_at": "2026-11-18"}, {"call_id": "c2"}, {"started_at": "x"}]
    with pytest.raises(MalformedFile, match="row 2: call c2: missing started_at; row 3: missing"):
        rows_to_calls(rows)


# -- FolderSource on real files --------------------------------------------------------------


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path


def source(home: Path, **kwargs) -> FolderSource:
    return FolderSource.in_home("acme", home, **kwargs)


def drop(
    home: Path, name: str, content: str | bytes, age_s: float = 3600, at: datetime | None = None
):
    """A file in acme's inbox, old enough to be settled (or with its mtime at `at`, UTC)."""
    path = home / "inbox" / "acme" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    stamp = at.replace(tzinfo=UTC).timestamp() if at else time.time() - age_s
    os.utime(path, (stamp, stamp))
    return path


def inbox_names(home: Path) -> list[str]:
    return sorted(p.name for p in (home / "inbox" / "acme").iterdir())


def by_id(calls: list[dict]) -> dict[str, dict]:
    return {c["call_id"]: c for c in calls}


CALLS_JSON = [
    {
        "call_id": "c1",
        "started_at": "2026-11-18T10:00:00+05:30",
        "duration_seconds": 95,
        "status": "completed",
        "recording": "rec-c1.wav",
        "campaign": "diwali",
    },
    {"call_id": "c2", "started_at": "2026-11-18T05:00:00Z", "status": "no_answer", "duration": 0},
]
CALLS_CSV = (
    "call_id,started_at,agent_name,phone,status\nc3,2026-11-18 12:00:00,Kabir,9812345680,ANSWER\n"
)


def test_json_and_csv_metadata_with_matching_audio(home):
    drop(home, "calls.json", json.dumps(CALLS_JSON))
    drop(home, "calls.csv", CALLS_CSV)
    drop(home, "rec-c1.wav", WAV)
    drop(home, "c3.mp3", b"ID3" + bytes(40))  # matched by call_id stem
    calls = by_id(source(home).fetch_calls(WINDOW))
    day_dir = home / "processed" / "acme" / "2026-11-18"
    assert sorted(calls) == ["c1", "c2", "c3"]
    assert calls["c1"]["started_at_utc"] == datetime(2026, 11, 18, 4, 30)
    assert calls["c1"]["recording_url"] == (day_dir / "rec-c1.wav").as_uri()
    assert calls["c2"]["recording_url"] is None and calls["c2"]["call_status"] == "no_answer"
    assert calls["c3"]["recording_url"] == (day_dir / "c3.mp3").as_uri()
    assert calls["c3"]["agent_name"] == "Kabir" and calls["c3"]["source_file"] == "calls.csv"
    # the records are what call_rows consumes; unmodelled columns land in extra_json
    rows = call_rows("acme", DAY, "IN", "folder", list(calls.values()), datetime(2026, 11, 21))
    c1 = rows.set_index("call_id").loc["c1"]
    assert json.loads(c1["extra_json"]) == {"campaign": "diwali", "source_file": "calls.json"}
    assert c1["duration_seconds"] == 95 and bool(c1["is_final"])


def test_nothing_moves_until_commit_and_nothing_is_lost_without_it(home):
    drop(home, "calls.json", json.dumps(CALLS_JSON))
    drop(home, "rec-c1.wav", WAV)
    first = source(home).fetch_calls(WINDOW)
    # the run crashed before commit: a new run reads the same records again
    again = source(home)
    assert again.fetch_calls(WINDOW) == first
    assert inbox_names(home) == ["calls.json", "rec-c1.wav"]
    moved = again.commit()
    day_dir = home / "processed" / "acme" / "2026-11-18"
    assert sorted(moved) == [day_dir / "calls.json", day_dir / "rec-c1.wav"]
    assert inbox_names(home) == []
    assert Path(by_id(first)["c1"]["recording_url"].removeprefix("file://")).read_bytes() == WAV
    assert again.commit() == [] and source(home).fetch_calls(WINDOW) == []


def test_window_filtering_and_rows_of_other_days_are_redropped(home):
    rows = [
        {"call_id": "in", "started_at": "2026-11-18T23:00:00+05:30"},
        {"call_id": "next", "started_at": "2026-11-19T00:30:00+05:30", "status": "busy"},
    ]
    drop(home, "mixed.json", json.dumps(rows))
    drop(home, "later.json", json.dumps([rows[1] | {"call_id": "later"}]))
    folder = source(home, audio_wait_s=0)
    assert [c["call_id"] for c in folder.fetch_calls(WINDOW)] == ["in"]
    folder.commit()
    names = inbox_names(home)  # later.json had nothing in the window: untouched
    assert names[0] == "later.json" and names[1].startswith("mixed.rest-") and len(names) == 2
    (home / "inbox" / "acme" / names[1]).touch()
    os.utime(home / "inbox" / "acme" / names[1], (time.time() - 60,) * 2)
    next_day = source(home, audio_wait_s=0)
    assert sorted(c["call_id"] for c in next_day.fetch_calls(NEXT_DAY)) == ["later", "next"]
    next_day.commit()
    assert inbox_names(home) == []


def test_malformed_files_are_quarantined_with_reasons_and_the_rest_still_load(home):
    drop(home, "good.json", json.dumps(CALLS_JSON[1]))
    drop(home, "broken.json", "{not json")
    drop(home, "no_id.json", json.dumps({"started_at": "2026-11-18T05:00:00Z"}))
    drop(home, "bad_time.csv", "call_id,started_at\nc9,someday\n")
    drop(home, "silence.wav", b"")
    folder = source(home)
    assert [c["call_id"] for c in folder.fetch_calls(WINDOW)] == ["c2"]
    failed = home / "failed" / "acme"
    reasons = {q.name: q.reason for q in folder.quarantined}
    assert sorted(reasons) == ["bad_time.csv", "broken.json", "no_id.json", "silence.wav"]
    for name, reason in reasons.items():
        assert (failed / name).exists()
        assert reason in (failed / f"{name}.error.txt").read_text()
    assert "invalid JSON" in reasons["broken.json"]
    assert "missing call_id" in reasons["no_id.json"]
    assert "unparseable time 'someday'" in reasons["bad_time.csv"]
    assert reasons["silence.wav"] == "empty audio file"
    assert inbox_names(home) == ["good.json"]


def test_quarantine_never_overwrites_an_earlier_bad_file(home):
    drop(home, "calls.json", "{broken")
    source(home).fetch_calls(WINDOW)
    drop(home, "calls.json", "{broken differently")
    source(home).fetch_calls(WINDOW)
    failed = sorted(p.name for p in (home / "failed" / "acme").iterdir())
    assert len(failed) == 4 and failed[0] == "calls-" + failed[0][6:14] + ".json"


def test_audio_without_metadata_becomes_a_call_after_the_wait(home):
    at = datetime(2026, 11, 18, 6, 15)
    drop(home, "orphan.wav", WAV, at=at)
    drop(home, "other-day.wav", WAV, at=datetime(2026, 11, 19, 6, 0))
    drop(home, "fresh.wav", WAV, age_s=60)  # metadata may still come
    folder = source(home)
    calls = folder.fetch_calls(WINDOW)
    day_dir = home / "processed" / "acme" / "2026-11-18"
    assert calls == [
        {
            "call_id": "orphan",
            "started_at_utc": at,
            "ended_at_utc": None,
            "duration_seconds": None,
            "call_status": "completed",
            "recording_url": (day_dir / "orphan.wav").as_uri(),
            "is_final": True,
            "source_file": "orphan.wav",
            "audio_only": True,
        }
    ]
    folder.commit()
    assert inbox_names(home) == ["fresh.wav", "other-day.wav"]


def test_metadata_waits_for_the_audio_it_names(home):
    drop(home, "calls.json", json.dumps(CALLS_JSON[0]), age_s=120)
    folder = source(home)
    assert folder.fetch_calls(WINDOW) == []  # rec-c1.wav has not arrived: not taken yet
    drop(home, "rec-c1.wav", WAV, age_s=5)  # arriving, still settling: keeps waiting
    assert folder.fetch_calls(WINDOW) == []
    os.utime(home / "inbox" / "acme" / "rec-c1.wav", (time.time() - 60,) * 2)
    [call] = folder.fetch_calls(WINDOW)
    assert call["recording_url"].endswith("/2026-11-18/rec-c1.wav")


def test_metadata_whose_audio_never_comes_is_taken_after_the_wait(home):
    drop(home, "calls.json", json.dumps(CALLS_JSON[0]), age_s=3600)
    [call] = source(home).fetch_calls(WINDOW)
    assert call["recording_url"] is None and call["recording_missing"] == "rec-c1.wav"


def test_late_metadata_finds_audio_an_earlier_commit_moved(home):
    drop(home, "c7.wav", WAV, at=datetime(2026, 11, 18, 6, 0))
    early = source(home)
    [orphan] = early.fetch_calls(WINDOW)
    early.commit()
    drop(home, "c7.json", json.dumps({"call_id": "c7", "started_at": "2026-11-18T05:59:00Z"}))
    [call] = source(home).fetch_calls(WINDOW)
    assert call["recording_url"] == orphan["recording_url"]  # same call_id: upserts over it
    assert "audio_only" not in call and call["started_at_utc"] == datetime(2026, 11, 18, 5, 59)


def test_a_reused_file_name_never_overwrites_a_processed_file(home):
    for status in ("busy", "failed"):
        drop(home, "calls.json", json.dumps(CALLS_JSON[1] | {"status": status}))
        folder = source(home)
        folder.fetch_calls(WINDOW)
        folder.commit()
    processed = sorted((home / "processed" / "acme" / "2026-11-18").iterdir())
    assert [p.name[:5] for p in processed] == ["calls", "calls"] and len(processed) == 2
    assert {json.loads(p.read_text())["status"] for p in processed} == {"busy", "failed"}


def test_files_still_uploading_are_left_for_the_next_sync(home):
    drop(home, "calls.json", json.dumps(CALLS_JSON[1]), age_s=2)
    drop(home, "notes.txt", "not ours")
    folder = source(home)
    assert folder.fetch_calls(WINDOW) == [] and folder.quarantined == []
    folder.commit()
    assert inbox_names(home) == ["calls.json", "notes.txt"]


def test_an_empty_inbox_and_tenant_ids(home):
    assert source(home).fetch_calls(WINDOW) == []
    with pytest.raises(ValueError, match="invalid tenant id"):
        FolderSource("../globex", home / "inbox", home / "processed", home / "failed")
