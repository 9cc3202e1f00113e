"""Benchmark: local faster-whisper throughput on this machine, at 1 and at 2 workers.

Prints audio-minutes transcribed per wall-clock hour and the real-time factor (wall seconds per
audio second; lower is faster) for the packaged Whisper tiny.en model, both figures measured in
the same run. The audio is a ~1.5 minute 8 kHz telephone-style recording synthesised into a temp
dir with espeak-ng and sox when both are installed, else the committed fixtures
(tests/fixtures/audio); each worker setting transcribes `--copies` recordings through one client.

    .venv/bin/python -m bench.transcribe_local [--copies 4] [--fixtures]
"""

import argparse
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from callintel_dagster.lib.tenants.stt_config import LocalStt
from callintel_dagster.providers.stt.base import AudioInput
from callintel_dagster.providers.stt.local_whisper import LocalWhisperClient

FIXTURES = Path(__file__).parents[1] / "tests" / "fixtures" / "audio"
FIXTURE_NAMES = ["mono_16k.wav", "phone_8k.wav", "stereo_8k.wav", "mono_16k.mp3"]
LINES = [
    "Hello, this is Priya from Acme Solar. Do you have a few minutes to talk about your bill?",
    "Sure, but I only have five minutes before my next meeting.",
    "Thank you. Last month you asked about rooftop panels for the office building.",
    "Yes, we did. The quote you sent was higher than we expected.",
    "I understand. We can spread the cost over twelve months with no interest.",
    "That sounds better. What would the monthly payment be?",
    "For the twenty panel system it comes to about four hundred dollars a month.",
    "I need to check with my finance team before we decide anything.",
    "Of course. Shall I send the revised quote by email today?",
    "Yes, please send it to me and copy my colleague in accounts.",
    "Great. I will call you again on Friday to answer any questions.",
    "Friday morning works. Thank you for calling.",
]


def synthesise(folder: Path) -> list[Path] | None:
    """One long mono 8 kHz recording of the dialogue read twice, or None without the tools."""
    if not (shutil.which("espeak-ng") and shutil.which("sox")):
        return None
    parts = []
    for i, line in enumerate(LINES * 2):
        raw = folder / f"line{i}.wav"
        voice = "en-us" if i % 2 == 0 else "en-us+f2"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "165", "-w", raw, line], check=True)
        parts.append(raw)
    call = folder / "call_8k.wav"
    subprocess.run(["sox", *parts, "-r", "8000", "-c", "1", "-b", "16", call], check=True)
    return [call]


def run(workers: int, recordings: list[tuple[str, bytes]]) -> tuple[float, float]:
    """(audio seconds, wall seconds) for transcribing every recording with `workers` at once."""
    client = LocalWhisperClient("bench", LocalStt(provider="local", workers=workers))
    name, data = recordings[0]
    client.transcribe(AudioInput("warmup", data, name))  # loads the model outside the timing
    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        results = list(
            pool.map(lambda r: client.transcribe(AudioInput(r[0], r[1], r[0])), recordings)
        )
    wall = time.perf_counter() - start
    return sum(r.duration_s for r in results), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=4, help="recordings per worker setting")
    parser.add_argument("--fixtures", action="store_true", help="use the committed fixtures")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = None if args.fixtures else synthesise(Path(tmp))
        source = "synthesised espeak-ng call" if files else "committed fixtures"
        files = files or [FIXTURES / n for n in FIXTURE_NAMES]
        recordings = [(f.name, f.read_bytes()) for f in files]
        recordings = (recordings * args.copies)[: max(args.copies, len(recordings))]
        print(f"audio: {source}, {len(recordings)} recordings per setting")
        print(f"{'workers':>7} {'audio s':>8} {'wall s':>7} {'RTF':>6} {'audio min/hour':>15}")
        for workers in (1, 2):
            audio_s, wall_s = run(workers, recordings)
            print(
                f"{workers:>7} {audio_s:>8.1f} {wall_s:>7.1f} {wall_s / audio_s:>6.3f} "
                f"{audio_s / 60 / (wall_s / 3600):>15.0f}"
            )


if __name__ == "__main__":
    main()
