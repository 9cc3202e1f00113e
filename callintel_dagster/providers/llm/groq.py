"""Groq chat completions through the `groq` SDK: one attempt per `complete` (max_retries=0)."""

import groq
from groq.types.chat import ChatCompletion

from callintel_dagster.lib.tenants.llm_config import GroqLlm
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
from callintel_dagster.providers.secrets import secret

PROVIDER = "groq"


class GroqChatClient:
    """One `groq.Groq` client (one connection pool), safe to share between threads."""

    provider = PROVIDER

    def __init__(self, tenant_id: str, config: GroqLlm, api_key: str):
        self.tenant_id, self.model = tenant_id, config.model
        self.json_mode = config.json_mode
        self._secrets = (api_key,)
        self._client = groq.Groq(
            api_key=api_key, base_url=config.base_url, max_retries=0, timeout=config.timeout_s
        )
        self._completions = self._client.chat.completions  # built once, before threads share it

    def complete(
        self, system: str, user: str, json_schema: dict, schema_name: str, max_tokens: int
    ) -> Completion:
        try:
            reply = self._completions.create(
                model=self.model,
                messages=messages(system, user),  # type: ignore[arg-type]
                response_format=openai_response_format(  # type: ignore[arg-type]
                    self.json_mode, json_schema, schema_name
                ),
                temperature=0,
                max_completion_tokens=max_tokens,
            )
        except groq.APITimeoutError:
            raise self._retryable(f"no answer within {self._client.timeout}s") from None
        except groq.APIConnectionError as exc:
            raise self._retryable(
                f"connection failed: {type(exc.__cause__ or exc).__name__}"
            ) from None
        except groq.APIStatusError as exc:
            raise self._status_error(exc) from None
        except groq.APIResponseValidationError:
            raise self._retryable("the response envelope is not a chat completion") from None
        except (ValueError, TypeError, KeyError) as exc:  # an envelope the SDK could not read
            raise self._retryable(f"unreadable response ({type(exc).__name__})") from None
        return self._completion(reply)

    def close(self) -> None:
        self._client.close()

    def _completion(self, reply: object) -> Completion:
        choices = getattr(reply, "choices", None) if isinstance(reply, ChatCompletion) else None
        if not choices:
            raise self._retryable("the response envelope has no choices")
        message = getattr(choices[0], "message", None)
        if message is None:
            raise self._retryable("the response's first choice has no message")
        usage = getattr(reply, "usage", None)
        return Completion(
            text=getattr(message, "content", None) or "",
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            model=getattr(reply, "model", None) or self.model,
        )

    def _status_error(self, exc: groq.APIStatusError) -> Exception:
        status = exc.status_code
        sent = sent_text(exc.response.request.content)
        detail = scrub(_error_message(exc), self._secrets, sent=sent)
        code = _error_code(exc)
        message = f"model {self.model}: HTTP {status}: {detail}"
        if is_retryable_status(status):
            return RetryableLlmError(
                self.tenant_id, PROVIDER, message, retry_after_from(exc.response.headers), code
            )
        return PermanentLlmError(self.tenant_id, PROVIDER, message, status=status, code=code)

    def _retryable(self, message: str) -> RetryableLlmError:
        return RetryableLlmError(self.tenant_id, PROVIDER, f"model {self.model}: {message}")


def _error_message(exc: groq.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
    return exc.response.text or exc.response.reason_phrase


def _error_code(exc: groq.APIStatusError) -> str | None:
    body = exc.body
    error = body.get("error", body) if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return str(code) if code else None


def client_for(tenant_id: str, config: GroqLlm) -> GroqChatClient:
    """The registry's factory."""
    return GroqChatClient(
        tenant_id, config, secret(tenant_id, PROVIDER, config.api_key_env, PermanentLlmError)
    )
