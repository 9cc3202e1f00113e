"""Speech-to-text clients for a tenant's `stt:` config: local Whisper, Deepgram, Sarvam.

`build_stt_client(tenant_id, config)` returns one thread-safe client per tenant, built by the
provider's factory in providers/registry.py (each provider's module is imported only when a
tenant uses it); a missing key variable is a `PermanentSttError` naming the variable.
"""

from callintel_dagster.providers.base import SttClient
from callintel_dagster.providers.registry import build


def build_stt_client(tenant_id: str, config) -> SttClient:
    return build("stt", tenant_id, config.provider, tenant_id, config)
