"""AWS Bedrock Runtime Converse emulator (the REST-JSON API boto3's `bedrock-runtime` speaks).

Follows ../shared/docs/provider-contracts.md (AWS Bedrock Runtime Converse) and the AWS API
reference:
- `POST /model/{modelId}/converse` (modelId URL-encoded: `us.amazon.nova-lite-v1%3A0`) with
  `{"system": [{"text"}], "messages": [{"role": "user", "content": [{"text"}]}],
  "inferenceConfig": {"maxTokens", "temperature"}}` → `{"output": {"message": {"role":
  "assistant", "content": [{"text"}]}}, "stopReason": "end_turn" | "max_tokens", "usage":
  {"inputTokens", "outputTokens", "totalTokens"}, "metrics": {"latencyMs"}}`, tokens ≈ chars / 4.
- Bedrock has no response_format: the reply is JSON valid against the schema between
  `<json_schema>` and `</json_schema>` in the system or user text (`emulators.schema_reply`).
- Errors as AWS REST-JSON sends them: the code in the `x-amzn-ErrorType` header
  (`ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/`, which botocore
  cuts at the first ':') and `{"message": ...}` in the body. An unknown model (`models` set) is
  400 ValidationException "The provided model identifier is invalid." — what Bedrock answers for
  a model ID it does not know (ResourceNotFoundException is for resource ARNs / retired models).
  `requests_per_minute` set: beyond it 429 ThrottlingException "Too many requests, please wait
  before trying again." (no Retry-After: Bedrock sends none). Requests must be SigV4-signed
  (403 MissingAuthenticationTokenException otherwise); `access_key_id` set: another key id gets
  403 UnrecognizedClientException (the signature itself is not verified).
- Faults (base `inject`, pattern CONVERSE or "*"): status faults get the matching Bedrock error
  (429 ThrottlingException, 500 InternalServerException, 503 ServiceUnavailableException, 408
  ModelTimeoutException, ...); `{"timeout": s}` and `{"malformed": true}` as the base does;
  content faults `{"reply": "not_json" | "missing_fields" | "text", "text": ...}` and
  `obeys_injection` as in `emulators.llm`.
- Counters: `requests` (base) and `tokens_served` (input + output tokens of every 200 answer).

Standalone: `python -m emulators.bedrock --port 18712` (any credentials, region us-east-1).
"""

import argparse
import itertools
import threading
import time
import uuid
from collections.abc import Iterable
from urllib.parse import unquote

from emulators.base import Emulator, Request, Response
from emulators.llm import RateWindow, approx_tokens, reply_for, schema_in

CONVERSE = "/model/{modelId}/converse"
_CORAL = ":http://internal.amazon.com/coral/com.amazon.bedrock/"
_STATUS_ERRORS = {
    400: (
        "ValidationException",
        "Malformed input request, please reformat your input and try again.",
    ),
    403: (
        "AccessDeniedException",
        "You don't have access to the model with the specified model ID.",
    ),
    404: ("ResourceNotFoundException", "The specified resource ARN was not found."),
    408: ("ModelTimeoutException", "Model has timed out in processing the request."),
    424: ("ModelErrorException", "The model encountered an error processing the request."),
    429: ("ThrottlingException", "Too many requests, please wait before trying again."),
    500: ("InternalServerException", "The server encountered an internal error."),
    503: (
        "ServiceUnavailableException",
        "The service is temporarily unable to handle the request.",
    ),
}


def bedrock_error(status: int, code: str | None = None, message: str | None = None) -> Response:
    default_code, default_message = _STATUS_ERRORS.get(
        status, ("InternalServerException", "The server encountered an internal error.")
    )
    headers = {
        "x-amzn-ErrorType": (code or default_code) + _CORAL,
        "x-amzn-RequestId": str(uuid.uuid4()),
    }
    return Response(status, {"message": message or default_message}, headers)


class BedrockEmulator(Emulator):
    name = "bedrock"

    def __init__(
        self,
        port: int = 0,
        latency_s: float = 0.2,
        models: Iterable[str] | None = None,
        requests_per_minute: int | None = None,
        obeys_injection: bool = False,
        access_key_id: str | None = None,
        rate_window_s: float = 60.0,
    ):
        super().__init__(port=port, latency_s=latency_s)
        self.models = set(models) if models is not None else None
        self.obeys_injection = obeys_injection
        self.access_key_id = access_key_id
        self.rate = RateWindow(requests_per_minute, rate_window_s)
        self.tokens_served = 0
        self.calls: list[dict] = []  # what each answered request asked for, for tests
        self._ids = itertools.count(1)
        self._state = threading.Lock()
        self.route("POST", CONVERSE, self._converse)

    def inject(self, pattern: str, *faults: dict) -> None:
        shaped = []
        for fault in faults:
            fault = dict(fault)
            status = fault.get("status")
            if status and status != 200 and "body" not in fault:
                error = bedrock_error(int(status))
                fault["body"] = error.body
                fault["headers"] = {**error.headers, **fault.get("headers", {})}
            shaped.append(fault)
        super().inject(pattern, *shaped)

    def _converse(self, request: Request) -> Response:
        started = time.monotonic()
        auth = request.headers.get("authorization", "")
        if not auth.startswith("AWS4-HMAC-SHA256 "):
            return bedrock_error(
                403, "MissingAuthenticationTokenException", "Missing Authentication Token"
            )
        if self.access_key_id is not None and f"Credential={self.access_key_id}/" not in auth:
            return bedrock_error(
                403,
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            )
        model = unquote(request.params["modelId"])
        try:
            doc = request.json()
        except ValueError:
            return bedrock_error(400)
        if self.models is not None and model not in self.models:
            return bedrock_error(
                400, "ValidationException", "The provided model identifier is invalid."
            )
        problem = _validate(doc)
        if problem:
            return bedrock_error(400, "ValidationException", problem)
        if self.rate.admit() is not None:
            return bedrock_error(429)
        system = "\n".join(
            str(b.get("text", ""))
            for b in doc.get("system") or []
            if isinstance(b, dict) and "text" in b
        )
        user = "\n".join(
            str(block.get("text", ""))
            for m in doc["messages"]
            if m.get("role") == "user"
            for block in m.get("content") or []
            if isinstance(block, dict) and "text" in block
        )
        text = reply_for(schema_in(system, user), system, user, request.fault, self.obeys_injection)
        stop = "end_turn"
        max_tokens = (doc.get("inferenceConfig") or {}).get("maxTokens")
        if isinstance(max_tokens, int) and approx_tokens(text) > max_tokens:
            text, stop = text[: max_tokens * 4], "max_tokens"
        input_tokens, output_tokens = approx_tokens(system + user), approx_tokens(text)
        n = next(self._ids)
        with self._state:
            self.tokens_served += input_tokens + output_tokens
            self.calls.append({"model": model, "user": user, "request": doc})
        body = {
            "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
            "stopReason": stop,
            "usage": {
                "inputTokens": input_tokens,
                "outputTokens": output_tokens,
                "totalTokens": input_tokens + output_tokens,
            },
            "metrics": {"latencyMs": int((time.monotonic() - started) * 1000) + 1},
        }
        return Response(200, body, {"x-amzn-RequestId": f"{n:08d}-0000-4000-8000-emulated0000"})


def _validate(doc: object) -> str | None:
    """Why a Converse body breaks the documented constraints, or None."""
    if not isinstance(doc, dict):
        return "Malformed input request, please reformat your input and try again."
    messages = doc.get("messages")
    if not isinstance(messages, list) or not messages:
        return "The model returned the following errors: messages must not be empty"
    if not all(isinstance(m, dict) for m in messages):
        return "Malformed input request, please reformat your input and try again."
    if messages[0].get("role") != "user":
        return "A conversation must start with a user message. Try again with a conversation that starts with a user message."
    for message in messages:
        if message.get("role") not in ("user", "assistant"):
            return (
                "1 validation error detected: Value at 'messages.role' failed to satisfy constraint"
            )
        if not message.get("content"):
            return "The content field in the Message object at messages.0 is empty."
    config = doc.get("inferenceConfig") or {}
    if not isinstance(config, dict) or not isinstance(doc.get("system") or [], list):
        return "Malformed input request, please reformat your input and try again."
    if "maxTokens" in config and (
        not isinstance(config["maxTokens"], int) or config["maxTokens"] < 1
    ):
        return "1 validation error detected: Value at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1"
    temperature = config.get("temperature")
    if temperature is not None and not 0 <= temperature <= 1:
        return "1 validation error detected: Value at 'inferenceConfig.temperature' failed to satisfy constraint: Member must have value less than or equal to 1"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description="AWS Bedrock Runtime Converse emulator")
    parser.add_argument("--port", type=int, default=18712)
    parser.add_argument("--latency-s", type=float, default=0.2)
    parser.add_argument("--rpm", type=int, default=None, help="requests per minute (default: ∞)")
    parser.add_argument("--obeys-injection", action="store_true")
    args = parser.parse_args()
    emulator = BedrockEmulator(
        port=args.port,
        latency_s=args.latency_s,
        requests_per_minute=args.rpm,
        obeys_injection=args.obeys_injection,
    ).start()
    print(f"Bedrock Runtime emulator on {emulator.base_url}")
    print(
        f"  endpoint_url {emulator.base_url}  (POST {CONVERSE}; any SigV4 credentials)", flush=True
    )
    emulator.serve_until_interrupted()


if __name__ == "__main__":
    main()
