"""Audio-only calls for the synthetic source: each recording in a samples folder becomes one
call a day that carries only audio (no transcript), as a call-centre export would deliver it.

`make demo` copies the committed test recordings (tests/fixtures/audio) into
`$CALLINTEL_HOME/samples/`, so a tenant with `audio_samples: samples` exercises transcription
end to end: stereo, telephone-quality mono, a silent file and a corrupt one.
"""

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from callintel_dagster.lib.transcripts.audio_probe import duration_s

AUDIO_EXTENSIONS = (".wav", ".mp3", ".ogg", ".m4a")


def audio_only_calls(tenant_id: str, day: date, tz: str, folder: Path) -> list[dict]:
    files = sorted(p for p in folder.glob("*") if p.suffix.lower() in AUDIO_EXTENSIONS)
    calls = []
    for n, path in enumerate(files):
        local = datetime.combine(day, time(11, 0), ZoneInfo(tz)) + timedelta(minutes=37 * n)
        started = local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
        length = duration_s(path.read_bytes()) or 0.0
        calls.append(
            {
                "call_id": f"{tenant_id}-A-{day:%Y%m%d}-{n:02d}",
                "direction": "outbound",
                "agent_name": "Maya",
                "phone_raw": f"+9198765{n:05d}",
                "duration_seconds": round(length, 2),
                "call_status": "completed",
                "recording_url": str(path.resolve()),
                "language": "en",
                "transcript_text": "",
                "turns": [],
                "scenario": f"audio:{path.name}",
                "started_at_utc": started,
                "ended_at_utc": started + timedelta(seconds=length),
                "lead_id_hint": None,
            }
        )
    return calls
