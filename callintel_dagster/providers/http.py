"""HTTP for provider clients: retries that honour Retry-After, clear permanent errors, throttling.

Retryable: 429, 5xx, timeouts, connection errors and bodies that are not valid JSON. Permanent
(fail at once, naming tenant and provider): other 4xx such as a bad key or a wrong region.
Secrets travel in headers only and never appear in messages.
"""

import random
import threading
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import RetryCallState, retry, retry_if_exception_type, stop_after_attempt


class ProviderError(RuntimeError):
    def __init__(self, tenant_id: str, provider: str, message: str):
        super().__init__(f"tenant {tenant_id}: {provider}: {message}")
        self.tenant_id, self.provider = tenant_id, provider


class PermanentProviderError(ProviderError):
    """Retrying cannot help (bad credentials, wrong region, bad request)."""

    def __init__(self, tenant_id: str, provider: str, message: str, status: int | None = None):
        super().__init__(tenant_id, provider, message)
        self.status = status  # the HTTP status, when the provider answered with one


class RetryableProviderError(ProviderError):
    def __init__(self, tenant_id: str, provider: str, message: str, retry_after: float | None):
        super().__init__(tenant_id, provider, message)
        self.retry_after = retry_after


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
        self._max_backoff = max_backoff_s
        self._client = httpx.Client(base_url=base_url, headers=headers or {}, timeout=timeout_s)
        self._send = retry(
            retry=retry_if_exception_type(RetryableProviderError),
            stop=stop_after_attempt(max_attempts),
            wait=self._wait,
            reraise=True,
        )(self._send_once)

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
            raise PermanentProviderError(
                self.tenant_id,
                self.provider,
                f"{method} {_path(url)} → {status}: {_detail(response)}",
                status=status,
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

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RetryableProviderError) and exc.retry_after is not None:
            return min(exc.retry_after, self._max_backoff)
        # exponential backoff with full jitter: 0.5 s, 1 s, 2 s, ... capped
        return random.uniform(0, min(self._max_backoff, 0.5 * 2 ** (state.attempt_number - 1)))


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
    text = response.text[:300]
    return text or response.reason_phrase


def _path(url: str) -> str:
    return httpx.URL(url).path or url  # never the query string: it may carry credentials
