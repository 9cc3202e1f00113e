"""What a tenant can set under `stt:`: keep the source's transcript, or transcribe the audio.

`local` runs faster-whisper on this machine (offline); `deepgram` and `sarvam` are cloud APIs
reached at `base_url` (an emulator in tests). Secrets are NAMES of environment variables.
"""

from typing import Annotated, Literal

from pydantic import Field

from callintel_dagster.lib.strict_model import StrictConfig
from callintel_dagster.lib.tenants.source_configs import SecretName


class _SttCommon(StrictConfig):
    max_duration_s: float = Field(3600.0, gt=0)  # longer recordings are refused with a reason
    max_attempts: int = Field(3, ge=1, le=20)  # per call and provider/model, across runs
    agent_channel: Literal[0, 1] = 0  # stereo recordings: which channel is the agent
    language: str | None = None  # None: detect (where the provider can)


class PassthroughStt(StrictConfig):
    """Use the transcript the call source provides; calls that carry only audio wait for STT."""

    provider: Literal["passthrough"]


class LocalStt(_SttCommon):
    """faster-whisper on this machine; the packaged Whisper tiny.en model unless `model_path`."""

    provider: Literal["local"]
    price_per_minute_usd: float | None = Field(0.0, ge=0)  # this machine's CPU: no bill
    model_path: str | None = None  # a CTranslate2 Whisper folder; None: the packaged model
    cpu_threads: int = Field(0, ge=0)  # 0: all cores given to the process
    # recordings transcribed at once; 2 workers of 1 thread beat 1 worker of 2 threads here
    # (bench.transcribe_local: 5,012 vs 1,871 audio-minutes per hour on 2 cores)
    workers: int = Field(2, ge=1, le=16)
    vad: bool = True
    beam_size: int = Field(1, ge=1, le=10)


class DeepgramStt(_SttCommon):
    """Deepgram pre-recorded `/v1/listen` with diarize and utterances, by URL or by bytes."""

    provider: Literal["deepgram"]
    # the list price of pre-recorded audio (USD per minute); set your contract's, or None
    # to record minutes as unpriced
    price_per_minute_usd: float | None = Field(0.0043, ge=0)
    api_key_env: SecretName
    base_url: str = "https://api.deepgram.com"
    model: str = "nova-2"
    send: Literal["url", "bytes"] = "bytes"  # url: Deepgram fetches the recording itself
    max_concurrency: int = Field(8, ge=1, le=100)
    timeout_s: float = Field(120.0, gt=0)


class SarvamStt(_SttCommon):
    """Sarvam AI: the batch job API with diarization, the synchronous endpoint for clips of
    30 seconds or less."""

    provider: Literal["sarvam"]
    # the list price (INR 30 an hour of audio, about USD 0.006 a minute); set your own, or None
    price_per_minute_usd: float | None = Field(0.006, ge=0)
    api_key_env: SecretName
    base_url: str = "https://api.sarvam.ai"
    model: str = "saarika:v2.5"
    language_code: str = "unknown"  # e.g. hi-IN; "unknown" lets Sarvam detect it
    sync_max_s: float = Field(30.0, gt=0, le=30.0)
    max_concurrency: int = Field(4, ge=1, le=50)
    poll_interval_s: float = Field(2.0, gt=0)
    job_timeout_s: float = Field(1800.0, gt=0)
    timeout_s: float = Field(120.0, gt=0)


SttConfig = Annotated[
    PassthroughStt | LocalStt | DeepgramStt | SarvamStt, Field(discriminator="provider")
]
