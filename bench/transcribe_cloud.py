"""Benchmark: cloud STT throughput against the providers' emulators on 127.0.0.1.

The same recordings go through callintel's transcriber (retries, turn building and all) one call
at a time (the seeds' way, the baseline) and then `--concurrency` at a time, in the same run, at
the emulator latency given. The ceiling is concurrency ÷ latency calls per second; the figure that
matters is the share of it reached.

    .venv/bin/python -m bench.transcribe_cloud [--calls 120] [--concurrency 16] [--latency 0.5]
"""

import argparse
import io
import os
import time
import wave

from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.stt import build_stt_client
from callintel_dagster.resources.stt import AudioTranscriber, AudioWork
from emulators.deepgram import DeepgramEmulator
from emulators.sarvam import SarvamEmulator


def wav(seconds: float, seed: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes(bytes([seed % 251, seed % 13]) * int(8000 * seconds))
    return buffer.getvalue()


def transcriber(provider: str, url: str, concurrency: int, audio: dict) -> AudioTranscriber:
    stt = {"provider": provider, "api_key_env": "BENCH_STT_KEY", "base_url": url}
    stt["max_concurrency"] = concurrency
    if provider == "sarvam":
        stt["poll_interval_s"] = 0.05
    tenant = Tenant.model_validate(
        {"id": "bench", "name": "Bench", "timezone": "Asia/Kolkata", "stt": stt}
    )
    client = build_stt_client(tenant.id, tenant.stt)
    return AudioTranscriber(tenant, client, audio.__getitem__)


def measure(provider: str, url: str, audio: dict, concurrency: int) -> float:
    tx = transcriber(provider, url, concurrency, audio)
    work = [AudioWork({"call_id": k.split(".")[0], "recording_url": None}, k) for k in audio]
    started = time.perf_counter()
    out = tx.transcribe_many(work)
    elapsed = time.perf_counter() - started
    bad = [k for k, t in out.items() if t.status != "ok"]
    if bad:
        raise SystemExit(f"{provider}: {len(bad)} calls not transcribed: {out[bad[0]].reason}")
    return len(work) / elapsed


def emulators(latency: float):
    return [
        ("deepgram", DeepgramEmulator(latency_s=latency, api_key="k")),
        ("sarvam", SarvamEmulator(latency_s=latency, api_key="k")),  # clips ≤ 30 s: sync API
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=120)
    parser.add_argument("--baseline-calls", type=int, default=12)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.5)
    args = parser.parse_args()
    os.environ["BENCH_STT_KEY"] = "k"
    ceiling = args.concurrency / args.latency
    print(
        f"cloud STT throughput, {args.calls} calls of 20 s, latency {args.latency:.2f} s, "
        f"{args.concurrency} at a time (ceiling {ceiling:.1f} calls/s)"
    )
    print(
        f"{'provider':<10}{'1 at a time':>14}{'concurrent':>14}{'speed-up':>10}{'of ceiling':>12}"
    )
    for provider, emulator in emulators(args.latency):
        with emulator as emu:
            audio = {}
            for i in range(args.calls):
                data = wav(20, i)
                audio[f"c{i}.wav"] = data
                speakers = [("0", 0.0, 8.0, f"Hello, this is call {i}."), ("1", 9, 19, "Okay.")]
                if provider == "deepgram":
                    emu.add_recording(data, utterances=speakers, duration=20.0)
                else:
                    emu.add_recording(data, entries=speakers)
            baseline = dict(list(audio.items())[: args.baseline_calls])
            base = measure(provider, emu.base_url, baseline, 1)
            fast = measure(provider, emu.base_url, audio, args.concurrency)
        print(
            f"{provider:<10}{base:>10.2f}/s{fast:>12.2f}/s{fast / base:>9.1f}x"
            f"{100 * fast / ceiling:>11.1f}%"
        )


if __name__ == "__main__":
    main()
