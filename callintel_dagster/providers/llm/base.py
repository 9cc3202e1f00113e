"""What every LLM chat client offers: one JSON-asking completion per call, and two error kinds.

`ChatClient.complete` makes exactly one HTTP attempt (SDK retries are off) and raises
`RetryableLlmError` (429, 5xx, timeouts, connection errors, a broken response envelope) or
`PermanentLlmError` (other 4xx: bad key, unknown model, bad request). The caller owns retries.
Error messages name the tenant and the provider and never carry a secret: every client scrubs
its secrets out of provider text before raising.
"""

from dataclasses import dataclass

from callintel_dagster.providers.base import (
    PermanentProviderError,
    ProviderError,
    RetryableProviderError,
)
from callintel_dagster.providers.echo import drop_echo


@dataclass(frozen=True)
class Completion:
    text: str  # the assistant message content, as returned
    prompt_tokens: int
    completion_tokens: int
    model: str  # the model the provider says answered


class LlmError(ProviderError):
    """Any LLM failure (the LLM branch of the provider error family); `code` is the provider's
    error code when it gave one (e.g. ThrottlingException)."""


class RetryableLlmError(RetryableProviderError, LlmError):
    """429, 5xx, timeouts, connection errors, a broken response envelope: try again later."""

    def __init__(
        self,
        tenant_id: str,
        provider: str,
        message: str,
        retry_after: float | None = None,
        code: str | None = None,
    ):
        super().__init__(tenant_id, provider, message, retry_after, code=code)


class PermanentLlmError(PermanentProviderError, LlmError):
    """Retrying cannot help: bad key (401/403), unknown model (404), bad request (400)."""

    def __init__(
        self,
        tenant_id: str,
        provider: str,
        message: str,
        status: int | None = None,
        code: str | None = None,
    ):
        super().__init__(tenant_id, provider, message, status, code=code)


def scrub(text: str, secrets: tuple[str, ...], limit: int = 300, sent: str = "") -> str:
    """Provider text fit for an error message: what repeats the request (`sent`: the prompt,
    which quotes the call) cut, secrets masked, cut to `limit` characters."""
    text = drop_echo(text, sent)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text[:limit]


def is_retryable_status(status: int) -> bool:
    """429, 5xx, and the timeouts/conflicts OpenAI-style servers ask to retry (408, 409)."""
    return status in (408, 409, 429) or status >= 500


def openai_response_format(json_mode: str, json_schema: dict, schema_name: str) -> dict:
    """The `response_format` of an OpenAI-shaped request for the tenant's `json_mode`."""
    if json_mode == "json_schema":
        schema = {"name": schema_name, "schema": json_schema, "strict": True}
        return {"type": "json_schema", "json_schema": schema}
    return {"type": "json_object"}


def messages(system: str, user: str) -> list[dict]:
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]
