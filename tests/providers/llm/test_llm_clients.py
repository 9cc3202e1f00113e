"""The LLM chat clients against the real emulators on 127.0.0.1 (no mocks): one attempt per
call, schema-valid JSON back, and every failure mapped to a retryable or permanent error."""

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from callintel_dagster.lib.tenants.llm_config import BedrockLlm, GroqLlm, OpenAICompatibleLlm
from callintel_dagster.providers.llm import build_chat_client
from callintel_dagster.providers.llm.base import Completion, PermanentLlmError, RetryableLlmError
from emulators.bedrock import CONVERSE, BedrockEmulator
from emulators.llm import GROQ_PATH, OPENAI_PATH, LlmEmulator

GROQ_KEY = "gsk_test_0123456789abcdef"
OPENAI_KEY = "sk-local-abcdef"
AWS_ID, AWS_SECRET = "AKIDEMULATED", "aws-secret-value-123"
BEDROCK_MODEL = "us.amazon.nova-lite-v1:0"


class Objection(BaseModel):
    text: str = Field(max_length=60)
    handled: bool


class Summary(BaseModel):
    summary: str = Field(min_length=3, max_length=200)
    sentiment: Literal["positive", "neutral", "negative"]
    lead_score: int = Field(ge=0, le=100)
    objections: list[Objection] = []
    budget: str | None = None


SCHEMA = Summary.model_json_schema()
SYSTEM = (
    "You analyse sales calls. Answer with one JSON object matching this schema:\n"
    f"<json_schema>{json.dumps(SCHEMA)}</json_schema>"
)
USER = "agent: Hello, this is Maya.\ncustomer: We have a budget of ten lakh for the flat.\n"


@pytest.fixture(autouse=True)
def secrets(monkeypatch):
    monkeypatch.setenv("GROQ_API_KEY", GROQ_KEY)
    monkeypatch.setenv("LOCAL_LLM_KEY", OPENAI_KEY)
    monkeypatch.setenv("AWS_KEY_ID", AWS_ID)
    monkeypatch.setenv("AWS_SECRET", AWS_SECRET)


@pytest.fixture
def openai_em():
    with LlmEmulator(latency_s=0, api_key=GROQ_KEY) as em:
        yield em


@pytest.fixture
def bedrock_em():
    with BedrockEmulator(latency_s=0, models={BEDROCK_MODEL}, access_key_id=AWS_ID) as em:
        yield em


def groq_client(em, **kw):
    cfg = {"timeout_s": 5.0, **kw}
    return build_chat_client(
        "acme", GroqLlm(provider="groq", api_key_env="GROQ_API_KEY", base_url=em.base_url, **cfg)
    )


def openai_client(em, **kw):
    cfg = {"model": "qwen2.5:7b", "timeout_s": 5.0, **kw}
    config = OpenAICompatibleLlm(provider="openai_compatible", base_url=em.base_url, **cfg)
    return build_chat_client("acme", config)


def bedrock_client(em, **kw):
    cfg = {
        "timeout_s": 5.0,
        "access_key_id_env": "AWS_KEY_ID",
        "secret_access_key_env": "AWS_SECRET",
        **kw,
    }
    return build_chat_client(
        "acme", BedrockLlm(provider="bedrock", endpoint_url=em.base_url, **cfg)
    )


# (client factory, emulator fixture, route pattern to inject faults on)
CLIENTS = {
    "groq": (groq_client, "openai_em", GROQ_PATH),
    "openai_compatible": (openai_client, "openai_em", OPENAI_PATH),
    "bedrock": (bedrock_client, "bedrock_em", CONVERSE),
}


@pytest.fixture(params=list(CLIENTS))
def setup(request):
    make, fixture, path = CLIENTS[request.param]
    em = request.getfixturevalue(fixture)
    kw = {"api_key_env": "GROQ_API_KEY"} if request.param == "openai_compatible" else {}
    return request.param, em, path, lambda **more: make(em, **{**kw, **more})


def ask(client, user=USER) -> Completion:
    return client.complete(SYSTEM, user, SCHEMA, "call_summary", 800)


# ---- answers ---------------------------------------------------------------------------------


def test_each_client_gets_schema_valid_json_and_usage(setup):
    provider, em, path, make = setup
    client = make()
    assert client.provider == provider
    reply = ask(client)
    Summary.model_validate_json(reply.text)
    assert reply.prompt_tokens == -(-len(SYSTEM + USER) // 4)  # the emulator's chars / 4
    assert reply.completion_tokens == -(-len(reply.text) // 4)
    assert em.tokens_served == reply.prompt_tokens + reply.completion_tokens
    assert reply.model == client.model
    assert em.requests[f"POST {path}"] == 1


@pytest.mark.parametrize("json_mode", ["json_object", "json_schema"])
def test_openai_shaped_clients_send_the_json_mode(openai_em, json_mode):
    for client in (
        groq_client(openai_em, json_mode=json_mode),
        openai_client(openai_em, json_mode=json_mode, api_key_env="GROQ_API_KEY"),
    ):
        Summary.model_validate_json(ask(client).text)
    for call in openai_em.calls:
        fmt = call["response_format"]
        assert fmt["type"] == json_mode
        if json_mode == "json_schema":
            assert fmt["json_schema"] == {"name": "call_summary", "schema": SCHEMA, "strict": True}


def test_openai_compatible_without_a_key_and_with_a_v1_base_url():
    with LlmEmulator(latency_s=0) as em:
        config = OpenAICompatibleLlm(
            provider="openai_compatible", base_url=em.base_url + "/v1/", model="llama3.1"
        )
        reply = ask(build_chat_client("local", config))
        Summary.model_validate_json(reply.text)
        assert reply.model == "llama3.1" and em.requests[f"POST {OPENAI_PATH}"] == 1


def test_content_faults_come_back_as_they_are(setup):
    _, em, path, make = setup
    client = make()
    em.inject(
        path, {"reply": "not_json"}, {"reply": "missing_fields"}, {"reply": "text", "text": "{}"}
    )
    prose = ask(client).text
    with pytest.raises(ValueError):
        json.loads(prose)
    missing = json.loads(ask(client).text)
    assert isinstance(missing, dict) and not set(SCHEMA["required"]) & missing.keys()
    assert ask(client).text == "{}"


# ---- retryable failures ----------------------------------------------------------------------


def test_429_with_retry_after_is_retryable_with_the_hint(setup):
    provider, em, path, make = setup
    client = make()
    em.inject(path, {"status": 429, "retry_after": 7})
    with pytest.raises(RetryableLlmError) as exc:
        ask(client)
    assert exc.value.retry_after == 7.0
    assert "acme" in str(exc.value) and provider in str(exc.value)
    assert em.requests[f"POST {path}"] == 1  # no SDK retry


@pytest.mark.parametrize("status", [500, 503])
def test_5xx_is_retryable_after_one_attempt(setup, status):
    _, em, path, make = setup
    client = make()
    em.inject(path, {"status": status})
    with pytest.raises(RetryableLlmError):
        ask(client)
    assert em.requests[f"POST {path}"] == 1
    Summary.model_validate_json(ask(client).text)  # the next attempt is the caller's


def test_timeout_is_retryable(setup):
    _, em, path, make = setup
    client = make(timeout_s=0.3)
    em.inject(path, {"timeout": 10.0})
    started = time.monotonic()
    with pytest.raises(RetryableLlmError):
        ask(client)
    assert time.monotonic() - started < 5.0  # the client gave up; it did not wait the 10 s
    assert em.requests[f"POST {path}"] == 1


def test_a_broken_envelope_is_retryable(setup):
    _, em, path, make = setup
    client = make()
    em.inject(path, {"malformed": True}, {"status": 200, "body": {"id": "x", "object": "y"}})
    for _ in range(2):
        with pytest.raises(RetryableLlmError):
            ask(client)


def test_connection_refused_is_retryable(setup):
    _, em, _, make = setup
    client = make()
    em.stop()
    with pytest.raises(RetryableLlmError):
        ask(client)


def test_rate_limit_sixth_request_in_the_minute_is_429():
    with (
        LlmEmulator(latency_s=0, api_key=GROQ_KEY, requests_per_minute=5) as groq_em,
        BedrockEmulator(latency_s=0, requests_per_minute=5) as bedrock_em,
    ):
        for client in (groq_client(groq_em), bedrock_client(bedrock_em)):
            for _ in range(5):
                Summary.model_validate_json(ask(client).text)
            with pytest.raises(RetryableLlmError) as exc:
                ask(client)
            if client.provider == "groq":
                assert 0 < exc.value.retry_after <= 60 and exc.value.code == "rate_limit_exceeded"
            else:
                assert exc.value.code == "ThrottlingException" and exc.value.retry_after is None


def test_bedrock_throttling_is_retryable(bedrock_em):
    client = bedrock_client(bedrock_em)
    bedrock_em.inject(CONVERSE, {"status": 429})
    with pytest.raises(RetryableLlmError) as exc:
        ask(client)
    assert exc.value.code == "ThrottlingException"
    assert bedrock_em.requests[f"POST {CONVERSE}"] == 1  # botocore retries are off


# ---- permanent failures ----------------------------------------------------------------------


def test_bad_key_is_permanent_and_never_shows_the_key(monkeypatch, openai_em, bedrock_em):
    monkeypatch.setenv("GROQ_API_KEY", "gsk_wrong_key_987")
    with pytest.raises(PermanentLlmError) as exc:
        ask(groq_client(openai_em))
    assert exc.value.status == 401 and exc.value.code == "invalid_api_key"
    assert "gsk_wrong_key_987" not in str(exc.value) and "acme" in str(exc.value)
    with pytest.raises(PermanentLlmError) as exc:
        ask(openai_client(openai_em, api_key_env="GROQ_API_KEY"))
    assert exc.value.status == 401 and "gsk_wrong_key_987" not in str(exc.value)
    monkeypatch.setenv("AWS_KEY_ID", "AKIDWRONG")
    with pytest.raises(PermanentLlmError) as exc:
        ask(bedrock_client(bedrock_em))
    assert exc.value.status == 403 and "bedrock" in str(exc.value)
    assert AWS_SECRET not in str(exc.value)


def test_unknown_model_is_permanent(bedrock_em):
    with LlmEmulator(latency_s=0, api_key=GROQ_KEY, models={"llama-3.3-70b-versatile"}) as em:
        with pytest.raises(PermanentLlmError) as exc:
            ask(groq_client(em, model="llama-9-huge"))
        assert exc.value.status == 404
    with pytest.raises(PermanentLlmError) as exc:
        ask(bedrock_client(bedrock_em, model="amazon.unknown-v1:0"))
    assert exc.value.status == 400 and exc.value.code == "ValidationException"


def test_a_missing_secret_names_the_variable(monkeypatch, openai_em):
    monkeypatch.delenv("GROQ_API_KEY")
    with pytest.raises(PermanentLlmError, match="GROQ_API_KEY"):
        groq_client(openai_em)
    monkeypatch.delenv("AWS_SECRET")
    with pytest.raises(PermanentLlmError, match="AWS_SECRET"):
        bedrock_client(openai_em)


# ---- concurrency -----------------------------------------------------------------------------


def test_one_client_serves_16_threads(setup):
    _, em, path, make = setup
    em.latency_s = 0.02
    client = make()
    users = [f"{USER}customer: question {i}" for i in range(64)]
    with ThreadPoolExecutor(16) as pool:
        replies = list(pool.map(lambda u: ask(client, u), users))
    for reply in replies:
        Summary.model_validate_json(reply.text)
    assert em.requests[f"POST {path}"] == 64
    assert em.tokens_served == sum(r.prompt_tokens + r.completion_tokens for r in replies)
