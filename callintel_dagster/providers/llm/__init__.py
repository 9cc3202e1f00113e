"""LLM chat clients for a tenant's `llm:` config: Groq, OpenAI-compatible servers, AWS Bedrock.

`build_chat_client(tenant_id, config)` returns one thread-safe client per tenant, built by the
provider's factory in providers/registry.py; its secrets are read through providers/secrets.py
(a missing variable raises `PermanentLlmError` naming the variable, never a value).
"""

from callintel_dagster.providers.base import ChatClient
from callintel_dagster.providers.registry import build


def build_chat_client(tenant_id: str, config) -> ChatClient:
    """The chat client for `config.provider` ("groq", "openai_compatible" or "bedrock")."""
    return build("llm", tenant_id, config.provider, tenant_id, config)
