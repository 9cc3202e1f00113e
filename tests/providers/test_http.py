"""The provider HTTP policy against the emulator framework: retries, Retry-After, permanent errors;
and the one backoff policy every provider client uses."""

import time

import pytest

from callintel_dagster.providers.base import (
    PermanentProviderError,
    ProviderAuthError,
    RetryableProviderError,
)
from callintel_dagster.providers.http import ProviderHttp, RateLimiter, backoff_wait, retrying
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


# ---- the one backoff policy ------------------------------------------------------------------


class _Outcome:
    def __init__(self, exc):
        self._exc = exc

    def exception(self):
        return self._exc


class _State:
    def __init__(self, attempt: int, exc: BaseException | None = None):
        self.attempt_number, self.outcome = attempt, _Outcome(exc)


def test_backoff_honours_retry_after_up_to_the_cap():
    wait = backoff_wait(cap=10.0)
    hinted = RetryableProviderError("acme", "echo", "busy", retry_after=3.5)
    assert wait(_State(1, hinted)) == 3.5
    assert wait(_State(5, hinted)) == 3.5  # the provider's word, whatever the attempt
    too_long = RetryableProviderError("acme", "echo", "busy", retry_after=90.0)
    assert wait(_State(1, too_long)) == 10.0


@pytest.mark.parametrize(("attempt", "ceiling"), [(1, 0.5), (2, 1.0), (3, 2.0), (6, 5.0), (9, 5.0)])
def test_backoff_without_a_hint_is_exponential_with_full_jitter_and_capped(attempt, ceiling):
    wait = backoff_wait(cap=5.0)
    waits = [wait(_State(attempt, RuntimeError("x"))) for _ in range(400)]
    assert all(0.0 <= w <= ceiling for w in waits)
    assert max(waits) > 0.8 * ceiling and min(waits) < 0.2 * ceiling  # jitter spans the range
    base2 = backoff_wait(cap=100.0, base=2.0)
    assert all(0.0 <= base2(_State(2, None)) <= 4.0 for _ in range(50))


def test_retrying_retries_only_what_it_is_told_and_reraises_the_last_error():
    calls = []

    def flaky():
        calls.append(1)
        raise RetryableProviderError("acme", "echo", f"try {len(calls)}", retry_after=0)

    with pytest.raises(RetryableProviderError, match="try 3"):
        retrying(RetryableProviderError, attempts=3, cap=0.01)(flaky)
    assert len(calls) == 3
    calls.clear()
    with pytest.raises(RetryableProviderError, match="try 1"):
        retrying(RetryableProviderError, attempts=1, cap=0.01)(flaky)  # single-attempt mode
    assert len(calls) == 1

    def broken():
        calls.append(1)
        raise PermanentProviderError("acme", "echo", "bad key", 401)

    calls.clear()
    with pytest.raises(PermanentProviderError):
        retrying(RetryableProviderError, attempts=5, cap=0.01)(broken)
    assert calls == [1]


def test_a_refused_key_is_an_auth_error(echo):
    http = ProviderHttp("acme", "echo", echo.base_url, max_backoff_s=0.1)
    with pytest.raises(ProviderAuthError) as err:
        http.json("GET", "/secret")
    assert err.value.status == 401 and isinstance(err.value, PermanentProviderError)
