"""LLM chat clients for a tenant's `llm:` config: Groq, OpenAI-compatible servers, AWS Bedrock.

`build_chat_client(tenant_id, config)` reads the secrets named in the config (the environment
variables, through `dagster.EnvVar`) and returns one thread-safe client per tenant. A missing
variable raises `PermanentLlmError` naming the variable, never a value.
"""

from dagster import EnvVar

from callintel_dagster.providers.base import ChatClient
from callintel_dagster.providers.llm.base import (
    Completion,
    LlmError,
    PermanentLlmError,
    RetryableLlmError,
)

__all__ = [
    "ChatClient",
    "Completion",
    "LlmError",
    "PermanentLlmError",
    "RetryableLlmError",
    "build_chat_client",
]


def build_chat_client(tenant_id: str, config) -> ChatClient:
    """The chat client for `config.provider` ("groq", "openai_compatible" or "bedrock")."""
    provider = getattr(config, "provider", None)
    if provider == "groq":
        from callintel_dagster.providers.llm.groq import GroqChatClient

        return GroqChatClient(tenant_id, config, _secret(tenant_id, provider, config.api_key_env))
    if provider == "openai_compatible":
        from callintel_dagster.providers.llm.openai_compatible import (
            OpenAICompatibleChatClient,
        )

        key = _secret(tenant_id, provider, config.api_key_env) if config.api_key_env else None
        return OpenAICompatibleChatClient(tenant_id, config, key)
    if provider == "bedrock":
        from callintel_dagster.providers.llm.bedrock import BedrockChatClient

        names = (config.access_key_id_env, config.secret_access_key_env)
        if any(names) and not all(names):
            raise PermanentLlmError(
                tenant_id,
                provider,
                "set both access_key_id_env and secret_access_key_env, or neither "
                "(boto3's default credential chain)",
            )
        key_id = _secret(tenant_id, provider, names[0]) if names[0] else None
        secret = _secret(tenant_id, provider, names[1]) if names[1] else None
        return BedrockChatClient(tenant_id, config, key_id, secret)
    raise PermanentLlmError(tenant_id, str(provider), f"no chat client for provider {provider!r}")


def _secret(tenant_id: str, provider: str, name: str) -> str:
    value = EnvVar(name).get_value()
    if not value:
        raise PermanentLlmError(
            tenant_id, provider, f"environment variable {name} is not set (it holds the key)"
        )
    return value
