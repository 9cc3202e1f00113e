"""Any OpenAI-compatible `/v1/chat/completions` server (Ollama, vLLM, llama.cpp) through httpx.

`POST {base_url}/v1/chat/completions` (a base_url already ending in `/v1` is not doubled), with
`Authorization: Bearer <key>` only when the tenant names a key variable. One attempt per call.
"""

import httpx

from callintel_dagster.lib.tenants.llm_config import OpenAICompatibleLlm
from callintel_dagster.providers.echo import sent_text
from callintel_dagster.providers.http import retry_after_from
from callintel_dagster.providers.llm.base import (
    Completion,
    PermanentLlmError,
    RetryableLlmError,
    is_retryable_status,
    messages,
    openai_response_format,
    scrub,
)
from callintel_dagster.providers.secrets import optional_secret

PROVIDER = "openai_compatible"


def completions_url(base_url: str) -> str:
    base = base_url.rstrip("/")
    return f"{base}/chat/completions" if base.endswith("/v1") else f"{base}/v1/chat/completions"


class OpenAICompatibleChatClient:
    """One `httpx.Client` (one connection pool), safe to share between threads."""

    provider = PROVIDER

    def __init__(self, tenant_id: str, config: OpenAICompatibleLlm, api_key: str | None):
        self.tenant_id, self.model = tenant_id, config.model
        self.json_mode = config.json_mode
        self.url = completions_url(config.base_url)
        self._secrets = (api_key,) if api_key else ()
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
        self._client = httpx.Client(headers=headers, timeout=config.timeout_s, limits=limits)

    def complete(
        self, system: str, user: str, json_schema: dict, schema_name: str, max_tokens: int
    ) -> Completion:
        body = {
            "model": self.model,
            "messages": messages(system, user),
            "response_format": openai_response_format(self.json_mode, json_schema, schema_name),
            "temperature": 0,
            "max_tokens": max_tokens,
            "stream": False,
        }
        try:
            response = self._client.post(self.url, json=body)
        except httpx.TimeoutException:
            raise self._retryable(f"no answer within {self._client.timeout.read}s") from None
        except httpx.TransportError as exc:
            raise self._retryable(f"connection failed: {type(exc).__name__}") from None
        status = response.status_code
        if status >= 400:
            raise self._status_error(response)
        try:
            doc = response.json()
        except ValueError:
            raise self._retryable(f"HTTP {status}: the response is not JSON") from None
        return self._completion(doc)

    def close(self) -> None:
        self._client.close()

    def _completion(self, doc: object) -> Completion:
        choices = doc.get("choices") if isinstance(doc, dict) else None
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise self._retryable("the response envelope has no choices")
        message = choices[0].get("message")
        if not isinstance(message, dict):
            raise self._retryable("the response's first choice has no message")
        assert isinstance(doc, dict)
        usage = doc.get("usage") if isinstance(doc.get("usage"), dict) else {}
        content = message.get("content")
        if isinstance(content, list):  # content parts, as some servers answer
            content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        return Completion(
            text=content if isinstance(content, str) else "",
            prompt_tokens=_int(usage.get("prompt_tokens")),
            completion_tokens=_int(usage.get("completion_tokens")),
            model=str(doc.get("model") or self.model),
        )

    def _status_error(self, response: httpx.Response) -> Exception:
        status = response.status_code
        detail, code = _error_detail(response)
        detail = scrub(detail, self._secrets, sent=sent_text(response.request.content))
        message = f"model {self.model}: HTTP {status}: {detail}"
        if is_retryable_status(status):
            return RetryableLlmError(
                self.tenant_id, PROVIDER, message, retry_after_from(response.headers), code
            )
        return PermanentLlmError(self.tenant_id, PROVIDER, message, status=status, code=code)

    def _retryable(self, message: str) -> RetryableLlmError:
        return RetryableLlmError(self.tenant_id, PROVIDER, f"model {self.model}: {message}")


def _error_detail(response: httpx.Response) -> tuple[str, str | None]:
    """The error message and code of an OpenAI-shaped error (`{"error": {...}}`), or the text."""
    try:
        doc = response.json()
    except ValueError:
        return response.text or response.reason_phrase, None
    error = doc.get("error", doc) if isinstance(doc, dict) else doc
    if isinstance(error, dict):
        code = error.get("code")
        text = error.get("message") or error.get("detail") or response.text
        return str(text), str(code) if code else None
    if isinstance(error, str):  # Ollama: {"error": "model 'x' not found"}
        return error, None
    return response.text or response.reason_phrase, None


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


def client_for(tenant_id: str, config: OpenAICompatibleLlm) -> OpenAICompatibleChatClient:
    """The registry's factory; local servers usually need no key (`api_key_env` unset)."""
    key = optional_secret(tenant_id, PROVIDER, config.api_key_env, PermanentLlmError)
    return OpenAICompatibleChatClient(tenant_id, config, key)
