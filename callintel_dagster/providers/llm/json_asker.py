"""One JSON answer from an LLM: throttled, retried, validated, repaired once.

- Throttle: the tenant's requests-per-minute budget, shared by every worker in the process.
- Retry (providers/http.py `retrying`): 429 / 5xx / timeouts up to `max_retries` times, waiting
  what Retry-After says or exponential backoff with jitter, capped at `max_backoff_s`.
- Validate: the reply must parse as JSON and validate against the output model. A reply wrapped
  in a markdown fence is unwrapped (format noise, not a different answer).
- Repair: one more request that shows the model its reply and the validation error; if that
  fails too the call is recorded as failed with the reason. Never an exception for bad output.
- Permanent errors (bad key, unknown model; Bedrock says the latter with a 400) raise
  `LlmConfigError`: every call would fail the
  same way, so the tenant's run fails visibly instead of burning each call's attempts.
"""

import json
import re
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

from callintel_dagster.lib.agents import data_block, template
from callintel_dagster.lib.tenants.llm_config import LlmSettings
from callintel_dagster.providers.base import ChatClient
from callintel_dagster.providers.http import RateLimiter, retrying
from callintel_dagster.providers.llm.base import (
    Completion,
    PermanentLlmError,
    RetryableLlmError,
)

_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)
CONFIG_STATUSES = (401, 403, 404)


class LlmConfigError(PermanentLlmError):
    """The provider refuses this tenant's key or model: fix the configuration. Its message is
    the refusal's, unchanged."""

    def __init__(self, refusal: PermanentLlmError):
        super().__init__(
            refusal.tenant_id, refusal.provider, "", status=refusal.status, code=refusal.code
        )
        self.args = (str(refusal),)


@dataclass
class Usage:
    requests: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, other: "Usage") -> None:
        for name in ("requests", "retries", "prompt_tokens", "completion_tokens"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Answer:
    output: dict | None  # the validated JSON (by alias), None on failure
    reason: str | None  # why it failed
    usage: Usage


class JsonAsker:
    def __init__(self, tenant_id: str, client: ChatClient, settings: LlmSettings):
        self.tenant_id, self.client, self.settings = tenant_id, client, settings
        self._limiter = RateLimiter(
            f"llm:{client.provider}:{tenant_id}", settings.requests_per_minute, 60.0
        )

    def ask(
        self, system: str, user: str, model: type[BaseModel], schema: dict, name: str
    ) -> Answer:
        usage = Usage()
        try:
            reply = self._complete(system, user, schema, name, usage)
            output, error = _validate(reply.text, model)
            if error:
                repair = template("repair").render(error=error[:800])
                retry_user = (
                    f"{user}\n\n{data_block('previous_answer', reply.text[:4000])}\n{repair}"
                )
                reply = self._complete(system, retry_user, schema, name, usage)
                output, error = _validate(reply.text, model)
        except RetryableLlmError as exc:
            return Answer(None, f"provider_unavailable: {exc}"[:500], usage)
        except PermanentLlmError as exc:
            if exc.status in CONFIG_STATUSES or "model identifier is invalid" in str(exc):
                raise LlmConfigError(exc) from None
            return Answer(None, f"provider_error: {exc}"[:500], usage)
        if error:
            return Answer(None, f"invalid_output: {error}"[:500], usage)
        return Answer(output, None, usage)

    def _complete(
        self, system: str, user: str, schema: dict, name: str, usage: Usage
    ) -> Completion:
        s = self.settings
        for attempt in retrying(
            RetryableLlmError,
            s.max_retries + 1,
            s.max_backoff_s,
            before_sleep=lambda state: setattr(usage, "retries", usage.retries + 1),
        ):
            with attempt:
                self._limiter.acquire()
                usage.requests += 1
                reply = self.client.complete(system, user, schema, name, s.max_output_tokens)
        usage.prompt_tokens += reply.prompt_tokens
        usage.completion_tokens += reply.completion_tokens
        return reply


def _validate(text: str, model: type[BaseModel]) -> tuple[dict | None, str | None]:
    fenced = _FENCE.match(text or "")
    raw = fenced.group(1) if fenced else (text or "")
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON ({exc.msg} at character {exc.pos})"
    try:
        return model.model_validate(doc).model_dump(mode="json", by_alias=True), None
    except ValidationError as exc:
        first = exc.errors()[:3]
        where = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}" for e in first)
        return None, f"does not match the schema ({exc.error_count()} errors): {where}"
