"""The provider HTTP policy against the emulator framework: retries, Retry-After, permanent errors."""

import time

import pytest

from callintel_dagster.providers.base import PermanentProviderError, RetryableProviderError
from callintel_dagster.providers.http import ProviderHttp, RateLimiter
from emulators.base import Emulator, Response


class Echo(Emulator):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.route("GET", "/items", lambda r: Response(200, {"items": [1, 2]}))
        self.route("GET", "/secret", lambda r: Response(401, {"detail": "bad key"}))


@pytest.fixture
def echo():
    with Echo() as emulator:
        yield emulator


def client(emulator, **kw):
    return ProviderHttp("acme", "echo", emulator.base_url, timeout_s=1.0, max_backoff_s=0.2, **kw)


@pytest.mark.parametrize(
    "fault",
    [{"status": 429}, {"status": 503}, {"malformed": True}, {"timeout": 1.5}, {"status": 500}],
)
def test_retryable_faults_are_retried(echo, fault):
    echo.inject("/items", fault)
    http = client(echo)
    assert http.json("GET", "/items") == {"items": [1, 2]}
    assert http.requests == 2


def test_retry_after_is_honoured(echo):
    echo.inject("/items", {"status": 429, "retry_after": 1})
    http = ProviderHttp("acme", "echo", echo.base_url, max_backoff_s=5)
    began = time.monotonic()
    http.json("GET", "/items")
    assert time.monotonic() - began >= 1.0


def test_permanent_error_fails_at_once_naming_tenant_and_provider(echo):
    http = client(echo)
    with pytest.raises(PermanentProviderError, match=r"tenant acme: echo: GET /secret → 401"):
        http.json("GET", "/secret?api_key=s3cret")
    assert http.requests == 1


def test_secret_query_never_in_messages(echo):
    echo.inject("/items", *[{"status": 503}] * 3)
    http = client(echo, max_attempts=3)
    with pytest.raises(RetryableProviderError) as err:
        http.json("GET", "/items?token=s3cret")
    assert "s3cret" not in str(err.value) and http.requests == 3


def test_rate_limiter_spaces_requests():
    limiter = RateLimiter("test-key", calls=2, per_s=0.5)
    began = time.monotonic()
    for _ in range(5):
        limiter.acquire()
    assert time.monotonic() - began >= 1.0  # 5 calls at 2 per 0.5 s need two full windows


def test_faults_can_be_injected_over_http(echo):
    http = client(echo)
    http.json("POST", "/_emulator/faults", json={"route": "/items", "faults": [{"status": 502}]})
    http.json("GET", "/items")
    assert echo.requests["GET /items"] == 2
