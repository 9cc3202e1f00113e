"""Speech-to-text clients for a tenant's `stt:` config: local Whisper, Deepgram, Sarvam.

`build_stt_client(tenant_id, config)` reads the secret named in the config through
`dagster.EnvVar` (a missing variable is an error naming the variable, never a value) and returns
one thread-safe client per tenant. Each provider's module is imported only when a tenant uses it.
"""

from dagster import EnvVar

from callintel_dagster.providers.base import SttClient
from callintel_dagster.providers.stt.base import PermanentSttError


def build_stt_client(tenant_id: str, config) -> SttClient:
    if config.provider == "local":
        from callintel_dagster.providers.stt.local_whisper import LocalWhisperClient

        return LocalWhisperClient(tenant_id, config)
    key = EnvVar(config.api_key_env).get_value()
    if not key:
        raise PermanentSttError(
            tenant_id, config.provider, f"environment variable {config.api_key_env} is not set"
        )
    if config.provider == "deepgram":
        from callintel_dagster.providers.stt.deepgram import DeepgramClient

        return DeepgramClient(tenant_id, config, key)
    if config.provider == "sarvam":
        from callintel_dagster.providers.stt.sarvam import SarvamClient

        return SarvamClient(tenant_id, config, key)
    raise ValueError(f"tenant {tenant_id}: unknown stt provider {config.provider!r}")
