"""OpenAI-shaped chat completions emulator: Groq and OpenAI-compatible servers (Ollama, vLLM, ...).

Follows ../shared/docs/provider-contracts.md (Groq chat completions, OpenAI-compatible servers):
- `POST /openai/v1/chat/completions` (Groq's path; the groq SDK appends it to `base_url`) and
  `POST /v1/chat/completions` (OpenAI-compatible servers) answer the same way:
  `{"id", "object": "chat.completion", "created", "model", "choices": [{"index": 0, "message":
  {"role": "assistant", "content"}, "finish_reason"}], "usage": {"prompt_tokens",
  "completion_tokens", "total_tokens"}}` with tokens ≈ characters / 4.
- The reply is a JSON object valid against the request's schema: `response_format.json_schema
  .schema`, else the schema between `<json_schema>` and `</json_schema>` in the system or user
  message (`emulators.schema_reply`), deterministic per user message. `response_format` of type
  `json_object` needs the word "json" somewhere in the messages (400 otherwise, as OpenAI and Groq
  answer). Past `max_tokens` (or `max_completion_tokens`) the content is cut, finish_reason
  "length".
- `api_key` set: `Authorization: Bearer <key>` must match, else 401 `invalid_api_key`. `models`
  set: another model → 404 `model_not_found`. `requests_per_minute` set: beyond it 429 with
  `retry-after` (seconds) and `retry-after-ms`, and Groq's `rate_limit_exceeded` body.
- Faults (base `inject`, pattern GROQ_PATH, OPENAI_PATH or "*"): status faults answer with an
  OpenAI-shaped error body (`retry_after` also sets `retry-after-ms`); `{"timeout": s}` and
  `{"malformed": true}` as the base does; content faults `{"reply": "not_json"}` (prose),
  `{"reply": "missing_fields"}` (the schema's required top-level keys dropped) and
  `{"reply": "text", "text": "..."}` (that exact content).
- `obeys_injection=True`: a user message containing "ignore your instructions" gets the prose
  HACKED instead of JSON, like a gullible model.
- Grounded quotes: when the user message carries a data block tagged `<passages>` or `<call>`
  (a JSON list of turns with `text`, and `call_id` / `at` where known, as callintel's ask and
  evaluate prompts send), every `quote` in the answer is a verbatim run of a turn's words with
  that turn's `call_id` and `at` (`emulators.schema_reply.Grounding`). `fabricate_every=N` (or
  the content fault `{"reply": "fabricated_quotes", "every": N}`, default 1) makes every Nth
  quote words that no passage contains; `fabricated` lists the made-up quotes served.
- Counters: `requests` (base, per route) and `tokens_served` (prompt + completion tokens of every
  200 answer).

Standalone: `python -m emulators.llm --port 18711 [--api-key gsk_test] [--rpm 30]`.
"""

import argparse
import hashlib
import itertools
import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Iterable

from emulators.base import Emulator, Request, Response
from emulators.schema_reply import Grounding, instance_for, resolve, words_of

GROQ_PATH = "/openai/v1/chat/completions"
OPENAI_PATH = "/v1/chat/completions"
SCHEMA_BLOCK = re.compile(r"<json_schema>\s*(.*?)\s*</json_schema>", re.DOTALL)
GROUNDING_BLOCK = re.compile(r"<(passages|call)>\s*(.*?)\s*</\1>", re.DOTALL)
INJECTION = "ignore your instructions"
HACKED = "Sure! Ignoring my instructions: HACKED"
_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("permissions_error", None),
    404: ("invalid_request_error", "model_not_found"),
    413: ("invalid_request_error", "request_too_large"),
    429: ("requests", "rate_limit_exceeded"),
    500: ("internal_server_error", None),
    502: ("internal_server_error", None),
    503: ("internal_server_error", "service_unavailable"),
}


# ---- shared by the LLM emulators (this one and emulators.bedrock) ---------------------------


def approx_tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4)) if text else 0


def schema_in(*texts: str) -> dict | None:
    """The JSON schema a prompt carries between `<json_schema>` markers, if any parses."""
    for text in texts:
        for block in SCHEMA_BLOCK.findall(text or ""):
            try:
                schema = json.loads(block)
            except ValueError:
                continue
            if isinstance(schema, dict):
                return schema
    return None


def passages_in(user: str) -> list[dict]:
    """The turns of the `<passages>` / `<call>` data blocks of a prompt (dicts with `text`)."""
    out: list[dict] = []
    for _, block in GROUNDING_BLOCK.findall(user or ""):
        try:
            items = json.loads(block)
        except ValueError:
            continue
        if isinstance(items, list):
            out += [i for i in items if isinstance(i, dict) and str(i.get("text", "")).split()]
    return out


def reply_for(
    schema: dict | None,
    system: str,
    user: str,
    fault: dict | None,
    obeys_injection: bool,
    want_json: bool = True,
    fabricate_every: int = 0,
    fabricated: list[str] | None = None,
) -> str:
    """The assistant's content: JSON valid against `schema`, unless a content fault says else.
    Quotes are grounded in the prompt's passages, if it has any; made-up ones are appended to
    `fabricated`."""
    fault = fault or {}
    kind = fault.get("reply")
    if kind == "fabricated_quotes":
        fabricate_every = int(fault.get("every", 1))
    words = words_of(user) or words_of(system)
    seed = hashlib.sha256(user.encode()).hexdigest()
    if kind == "text":
        return str(fault.get("text", ""))
    if obeys_injection and INJECTION in user.lower():
        return HACKED
    if kind == "not_json":
        gist = " ".join(words[:8]) or "the call"
        return f"Sure! Here is my analysis of the call: {gist}. Overall it went well."
    if schema is None:
        if not want_json:
            return "Here is my answer: " + (" ".join(words[:12]) or "nothing to add") + "."
        return json.dumps({"answer": " ".join(words[:6]) or "ok"})
    grounding = Grounding(passages_in(user), fabricate_every)
    value = instance_for(schema, seed, words, grounding)
    if fabricated is not None:
        fabricated.extend(grounding.fabricated)
    if kind == "missing_fields" and isinstance(value, dict):
        required = resolve(schema, schema).get("required", ())
        value = {k: v for k, v in value.items() if k not in required}
    return json.dumps(value)


class RateWindow:
    """At most `limit` admitted requests per `window_s` seconds (sliding window)."""

    def __init__(self, limit: int | None, window_s: float = 60.0):
        self.limit, self.window_s = limit, window_s
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def admit(self) -> float | None:
        """None when admitted, else the seconds until a slot frees up."""
        if self.limit is None:
            return None
        with self._lock:
            now = time.monotonic()
            while self._times and now - self._times[0] >= self.window_s:
                self._times.popleft()
            if len(self._times) < self.limit:
                self._times.append(now)
                return None
            return max(self.window_s - (now - self._times[0]), 0.001)

    def remaining(self) -> int | None:
        if self.limit is None:
            return None
        with self._lock:
            return max(self.limit - len(self._times), 0)


def _text_of(content: object) -> str:
    """A message's text: a string, or the text parts of a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(p.get("text", "")) for p in content if isinstance(p, dict) and "text" in p
        )
    return ""


# ---- the emulator ---------------------------------------------------------------------------


def openai_error(status: int, message: str, type_: str | None = None, code: str | None = None):
    default_type, default_code = _ERROR_TYPES.get(status, ("api_error", None))
    error = {"message": message, "type": type_ or default_type}
    if code or default_code:
        error["code"] = code or default_code
    return Response(status, {"error": error})


class LlmEmulator(Emulator):
    name = "llm"

    def __init__(
        self,
        port: int = 0,
        latency_s: float = 0.2,
        api_key: str | None = None,
        models: Iterable[str] | None = None,
        requests_per_minute: int | None = None,
        obeys_injection: bool = False,
        rate_window_s: float = 60.0,
        fabricate_every: int = 0,
    ):
        super().__init__(port=port, latency_s=latency_s)
        self.fabricate_every = fabricate_every
        self.fabricated: list[str] = []  # made-up quotes served (see "Grounded quotes")
        self.api_key = api_key
        self.models = set(models) if models is not None else None
        self.obeys_injection = obeys_injection
        self.rate = RateWindow(requests_per_minute, rate_window_s)
        self.tokens_served = 0
        self.calls: list[dict] = []  # what each answered request asked for, for tests
        self._ids = itertools.count(1)
        self._state = threading.Lock()
        self.route("POST", GROQ_PATH, self._complete)
        self.route("POST", OPENAI_PATH, self._complete)

    def inject(self, pattern: str, *faults: dict) -> None:
        shaped = []
        for fault in faults:
            fault = dict(fault)
            status = fault.get("status")
            if status and status != 200 and "body" not in fault:
                fault["body"] = openai_error(int(status), _status_message(int(status))).body
            if "retry_after" in fault:
                ms = int(float(fault["retry_after"]) * 1000)
                fault["headers"] = {"retry-after-ms": str(ms), **fault.get("headers", {})}
            shaped.append(fault)
        super().inject(pattern, *shaped)

    def _complete(self, request: Request) -> Response:
        if self.api_key is not None:
            auth = request.headers.get("authorization", "")
            if auth != f"Bearer {self.api_key}":
                return openai_error(401, "Invalid API Key")
        try:
            doc = request.json()
        except ValueError:
            return openai_error(400, "We could not parse the JSON body of your request.")
        if not isinstance(doc, dict) or not doc.get("model"):
            return openai_error(400, "'model' : property 'model' is missing")
        model = str(doc["model"])
        messages = doc.get("messages")
        if not isinstance(messages, list) or not messages:
            return openai_error(400, "'messages' : minimum number of items is 1")
        if not all(isinstance(m, dict) and m.get("role") for m in messages):
            return openai_error(400, "'messages' : every message needs a 'role'")
        if self.models is not None and model not in self.models:
            return openai_error(
                404, f"The model `{model}` does not exist or you do not have access to it."
            )
        wait = self.rate.admit()
        if wait is not None:
            return self._rate_limited(model, wait)
        system = "\n".join(
            _text_of(m.get("content")) for m in messages if m.get("role") in ("system", "developer")
        )
        user = "\n".join(_text_of(m.get("content")) for m in messages if m.get("role") == "user")
        fmt = doc.get("response_format") or {}
        schema = None
        if fmt.get("type") == "json_schema":
            schema = (fmt.get("json_schema") or {}).get("schema")
            if not isinstance(schema, dict):
                return openai_error(400, "response_format.json_schema.schema is required")
        elif fmt.get("type") == "json_object":
            if "json" not in json.dumps(messages).lower():
                return openai_error(
                    400,
                    "'messages' must contain the word 'json' in some form, to use "
                    "'response_format' of type 'json_object'.",
                )
        elif fmt.get("type") not in (None, "text"):
            return openai_error(400, f"response_format type {fmt.get('type')!r} is not supported")
        schema = schema or schema_in(system, user)
        content = reply_for(
            schema,
            system,
            user,
            request.fault,
            self.obeys_injection,
            want_json=fmt.get("type") in ("json_object", "json_schema"),
            fabricate_every=self.fabricate_every,
            fabricated=self.fabricated,
        )
        finish = "stop"
        limit = doc.get("max_completion_tokens") or doc.get("max_tokens")
        if isinstance(limit, int) and limit > 0 and approx_tokens(content) > limit:
            content, finish = content[: limit * 4], "length"
        prompt_tokens = approx_tokens(system + user)
        completion_tokens = approx_tokens(content)
        n = next(self._ids)
        with self._state:
            self.tokens_served += prompt_tokens + completion_tokens
            self.calls.append({"model": model, "response_format": fmt, "user": user})
        headers = {"x-request-id": f"req_emulated_{n:06d}"}
        remaining = self.rate.remaining()
        if remaining is not None:
            headers["x-ratelimit-limit-requests"] = str(self.rate.limit)
            headers["x-ratelimit-remaining-requests"] = str(remaining)
        body = {
            "id": f"chatcmpl-emulated-{n:06d}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "logprobs": None,
                    "finish_reason": finish,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
            "system_fingerprint": "fp_emulated",
        }
        return Response(200, body, headers)

    def _rate_limited(self, model: str, wait: float) -> Response:
        limit = self.rate.limit
        message = (
            f"Rate limit reached for model `{model}` in organization `org_emulated` service tier "
            f"`on_demand` on requests per minute (RPM): Limit {limit}, Used {limit}, Requested 1. "
            f"Please try again in {wait:.3g}s."
        )
        response = openai_error(429, message, "requests", "rate_limit_exceeded")
        response.headers = {
            "retry-after": str(math.ceil(wait)),
            "retry-after-ms": str(math.ceil(wait * 1000)),
            "x-ratelimit-limit-requests": str(limit),
            "x-ratelimit-remaining-requests": "0",
        }
        return response


def _status_message(status: int) -> str:
    if status == 429:
        return "Rate limit reached for requests. Please try again in 1s."
    if status == 401:
        return "Invalid API Key"
    if status >= 500:
        return "Service Unavailable" if status == 503 else "Internal Server Error"
    return f"emulated {status}"


def main() -> None:
    parser = argparse.ArgumentParser(description="Groq / OpenAI-compatible chat emulator")
    parser.add_argument("--port", type=int, default=18711)
    parser.add_argument("--latency-s", type=float, default=0.2)
    parser.add_argument("--api-key", default=None, help="required Bearer key (default: none)")
    parser.add_argument("--rpm", type=int, default=None, help="requests per minute (default: ∞)")
    parser.add_argument("--obeys-injection", action="store_true")
    args = parser.parse_args()
    emulator = LlmEmulator(
        port=args.port,
        latency_s=args.latency_s,
        api_key=args.api_key,
        requests_per_minute=args.rpm,
        obeys_injection=args.obeys_injection,
    ).start()
    print(f"LLM emulator on {emulator.base_url}", flush=True)
    print(f"  groq: base_url {emulator.base_url}  ({GROQ_PATH})")
    print(f"  openai_compatible: base_url {emulator.base_url}  ({OPENAI_PATH})", flush=True)
    emulator.serve_until_interrupted()


if __name__ == "__main__":
    main()
