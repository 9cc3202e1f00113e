"""HTTP for provider clients: retries that honour Retry-After, clear permanent errors, throttling.

Retryable: 429, 5xx, timeouts, connection errors and bodies that are not valid JSON. Permanent
(fail at once, naming tenant and provider): other 4xx such as a bad key (`ProviderAuthError`) or
a wrong region. Secrets travel in headers only and never appear in messages. The errors are
providers/base.py's family; `backoff_wait` and `retrying` are the one retry policy every provider
client uses, HTTP or SDK (`attempts=1`: a single attempt).
"""

import functools
import random
import ssl
import threading
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from callintel_dagster.providers.base import RetryableProviderError, permanent_error
from callintel_dagster.providers.echo import drop_echo, sent_text


class RateLimiter:
    """At most `calls` requests per `per_s` seconds per key, shared by every client in the
    process (a provider's limit is per account, not per client object)."""

    _windows: dict[str, list[float]] = {}
    _lock = threading.Lock()

    def __init__(self, key: str, calls: int, per_s: float):
        self.key, self.calls, self.per_s = key, calls, per_s

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                recent = [t for t in self._windows.get(self.key, []) if now - t < self.per_s]
                if len(recent) < self.calls:
                    recent.append(now)
                    self._windows[self.key] = recent
                    return
                wait = self.per_s - (now - recent[0])
            time.sleep(max(wait, 0.01))


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default verification, built once per process: building it loads the CA bundle
    (~30-90 ms), which a client per tenant and provider paid on every 5-minute tick."""
    return httpx.create_ssl_context()


class ProviderHttp:
    """An httpx client for one tenant's provider account; counts the requests it makes."""

    def __init__(
        self,
        tenant_id: str,
        provider: str,
        base_url: str,
        headers: dict[str, str] | None = None,
        timeout_s: float = 30.0,
        max_attempts: int = 5,
        max_backoff_s: float = 60.0,
        limiter: RateLimiter | None = None,
        is_throttled: Callable[[httpx.Response], bool] | None = None,
    ):
        self.tenant_id, self.provider = tenant_id, provider
        self.requests = 0
        self._limiter = limiter
        self._is_throttled = is_throttled or (lambda r: False)
        self._client = httpx.Client(
            base_url=base_url, headers=headers or {}, timeout=timeout_s, verify=_tls_context()
        )
        self._retrying = retrying(RetryableProviderError, max_attempts, max_backoff_s)

    def _send(self, method: str, url: str, **kwargs: Any) -> tuple[httpx.Response, Any]:
        return self._retrying.copy()(self._send_once, method, url, **kwargs)

    def json(self, method: str, url: str, **kwargs: Any) -> Any:
        """The decoded JSON body (None for 204/304), after retries."""
        return self._send(method, url, **kwargs)[1]

    def response(self, method: str, url: str, **kwargs: Any) -> tuple[httpx.Response, Any]:
        return self._send(method, url, **kwargs)

    def close(self) -> None:
        self._client.close()

    def _send_once(self, method: str, url: str, **kwargs: Any) -> tuple[httpx.Response, Any]:
        if self._limiter:
            self._limiter.acquire()
        self.requests += 1
        try:
            response = self._client.request(method, url, **kwargs)
        except httpx.TimeoutException:
            raise self._retryable(f"{method} {_path(url)} timed out", None) from None
        except httpx.TransportError as exc:
            raise self._retryable(f"{method} {_path(url)}: {type(exc).__name__}", None) from None
        status = response.status_code
        if status == 429 or status >= 500 or self._is_throttled(response):
            raise self._retryable(
                f"{method} {_path(url)} → {status}", retry_after_from(response.headers)
            )
        if status >= 400:
            raise permanent_error(
                self.tenant_id,
                self.provider,
                f"{method} {_path(url)} → {status}: {_detail(response)}",
                status,
            )
        if status in (204, 304) or not response.content:
            return response, None
        try:
            return response, response.json()
        except ValueError:
            raise self._retryable(
                f"{method} {_path(url)}: response is not valid JSON", None
            ) from None

    def _retryable(self, message: str, retry_after: float | None) -> RetryableProviderError:
        return RetryableProviderError(self.tenant_id, self.provider, message, retry_after)


def backoff_wait(cap: float, base: float = 0.5) -> Callable[[RetryCallState], float]:
    """The one wait policy between attempts: what the error's `retry_after` asks (the provider's
    Retry-After), at most `cap` seconds; otherwise exponential backoff with full jitter, a random
    wait in [0, min(cap, base * 2 ** (attempt - 1))]: 0.5 s, 1 s, 2 s, ... by default."""

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = getattr(exc, "retry_after", None)
        if hinted is not None:
            return min(float(hinted), cap)
        return random.uniform(0, min(cap, base * 2 ** (state.attempt_number - 1)))

    return wait


def retrying(
    retry_on: type[BaseException] | tuple[type[BaseException], ...],
    attempts: int,
    cap: float,
    base: float = 0.5,
    before_sleep: Callable[[RetryCallState], None] | None = None,
) -> Retrying:
    """Up to `attempts` tries (1: a single attempt, no retry) of whatever raises `retry_on`,
    waiting `backoff_wait(cap, base)` between them; the last error is re-raised as is."""
    return Retrying(
        retry=retry_if_exception_type(retry_on),
        stop=stop_after_attempt(attempts),
        wait=backoff_wait(cap, base),
        before_sleep=before_sleep,
        reraise=True,
    )


def retry_after_from(headers: object) -> float | None:
    """Seconds to wait from `retry-after-ms` (preferred, precise) or `retry-after` (seconds or an
    HTTP date); `headers` is any mapping with case-insensitive or lower-case keys."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    value = get("retry-after-ms") or get("Retry-After-Ms")
    if value:
        try:
            return max(float(value) / 1000.0, 0.0)
        except ValueError:
            pass
    value = get("retry-after") or get("Retry-After")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        try:
            return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
        except (TypeError, ValueError):
            return None


def _detail(response: httpx.Response) -> str:
    """The provider's error text, without what repeats our request (it may quote a call)."""
    text = drop_echo(response.text[:2000], sent_text(response.request.content))[:300]
    return text or response.reason_phrase


def _path(url: str) -> str:
    return httpx.URL(url).path or url  # never the query string: it may carry credentials
