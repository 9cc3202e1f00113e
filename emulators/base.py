"""The emulator framework: a threaded HTTP server on 127.0.0.1 with faults injected on demand.

A provider emulator subclasses `Emulator` and registers routes. Faults are queued per route
pattern through `inject()` (or `POST /_emulator/faults` with the same JSON), each consumed by one
request: `{"status": 429, "retry_after": 2}`, `{"status": 503}`, `{"timeout": 5}` (sleep before
answering), `{"malformed": true}` (invalid JSON with status 200); status faults may carry `body` and
`headers`. A fault with none of those keys (e.g. `{"reply": "not_json"}`) is not answered here:
the route's handler gets it as `request.fault` and honours it. `latency_s` delays every answer;
while `gate` is cleared, every request waits.
`requests` counts what each route received, so tests can show what a sync fetched. `in_flight`
counts the requests received and not yet answered; `map_concurrently` shows, without timing
anything, that a client's requests overlap.
"""

import json
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

from callintel_dagster.lib.http_server import HTTPServer


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # captured from the route pattern
    fault: dict | None = None  # a consumed fault the handler honours (not status/timeout/...)

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int = 200
    body: Any = None  # JSON-serialisable, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Response]


class Emulator:
    """Subclasses call `route(method, pattern, handler)`; patterns use `{name}` placeholders."""

    name = "emulator"

    def __init__(self, port: int = 0, latency_s: float = 0.0):
        self.latency_s = latency_s
        # cleared, every request waits until it is set again: a test holds a run mid-flight for
        # as long as it needs, whatever the machine's load (a latency is a guess at timing)
        self.gate = threading.Event()
        self.gate.set()
        self.requests: Counter[str] = Counter()
        self.in_flight = 0
        self._routes: list[tuple[str, re.Pattern[str], str, Handler]] = []
        self._faults: dict[str, deque[dict]] = {}
        self._lock = threading.Lock()
        self._in_flight_changed = threading.Condition(self._lock)
        self._server = HTTPServer(("127.0.0.1", port), self._handler_class())
        self._thread: threading.Thread | None = None
        self.route("POST", "/_emulator/faults", self._post_faults)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")
        self._routes.append((method, regex, pattern, handler))

    def inject(self, pattern: str, *faults: dict) -> None:
        """Queue faults for the next requests to `pattern` (a registered route pattern, or "*")."""
        with self._lock:
            self._faults.setdefault(pattern, deque()).extend(faults)

    def map_concurrently(self, fn: Callable[[Any], Any], items: Iterable, threads: int) -> list:
        """`fn` over `items` on `threads` threads, nothing answered until `threads` requests are
        in flight at once. AssertionError when they never are within 30 s: the client lets fewer
        requests out at a time than it has callers."""
        self.gate.clear()
        with ThreadPoolExecutor(threads) as pool:
            results = pool.map(fn, items)
            try:
                with self._in_flight_changed:
                    overlapped = self._in_flight_changed.wait_for(
                        lambda: self.in_flight >= threads, 30.0
                    )
            finally:
                self.gate.set()  # before the pool waits for its threads, whatever happened
            results = list(results)
        if not overlapped:
            raise AssertionError(f"{self.name}: never {threads} requests in flight at once")
        return results

    def _count_in_flight(self, change: int) -> None:
        with self._in_flight_changed:
            self.in_flight += change
            self._in_flight_changed.notify_all()

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def start(self) -> "Emulator":
        # a short shutdown poll: tests start and stop many emulators, and the default 0.5 s
        # would dominate their run time
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def serve_until_interrupted(self) -> None:
        """For `python -m emulators.<name>`: serve until Ctrl-C."""
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            self.stop()

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _post_faults(self, request: Request) -> Response:
        doc = request.json()
        self.inject(doc["route"], *doc["faults"])
        return Response(204)

    def _next_fault(self, pattern: str) -> dict | None:
        with self._lock:
            for key in (pattern, "*"):
                queue = self._faults.get(key)
                if queue:
                    return queue.popleft()
        return None

    def _dispatch(self, request: Request) -> Response:
        for method, regex, pattern, handler in self._routes:
            match = regex.match(request.path)
            if method == request.method and match:
                request.params = match.groupdict()
                with self._lock:  # `+=` on a Counter is a read then a write: threads lose counts
                    self.requests[f"{method} {pattern}"] += 1
                fault = None if pattern.startswith("/_emulator") else self._next_fault(pattern)
                if fault and _GENERIC_FAULT_KEYS & fault.keys():
                    return _fault_response(fault)
                request.fault = fault or None
                return handler(request)
        return Response(404, {"detail": f"{request.method} {request.path} not found"})

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        emulator = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # keep-alive answers are written in pieces: without this, Nagle's algorithm and the
            # client's delayed ACK add ~40 ms to every request
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                emulator._count_in_flight(+1)
                try:
                    self._answer()
                finally:
                    emulator._count_in_flight(-1)

            def _answer(self) -> None:
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    method=self.command,
                    path=url.path,
                    query={k: v[-1] for k, v in parse_qs(url.query).items()},
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                emulator.gate.wait()
                if emulator.latency_s:
                    time.sleep(emulator.latency_s)
                response = emulator._dispatch(request)
                body = response.body
                payload = (
                    body
                    if isinstance(body, bytes)
                    else b""
                    if body is None
                    else json.dumps(body).encode()
                )
                try:
                    self.send_response(response.status)
                    if payload and not isinstance(body, bytes):
                        self.send_header("Content-Type", "application/json")
                    for key, value in response.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to answer

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # quiet: tests and demos read the request counters instead

        return _Handler


_GENERIC_FAULT_KEYS = {"status", "timeout", "malformed", "retry_after", "body", "headers"}


def _fault_response(fault: dict) -> Response:
    if "timeout" in fault:
        time.sleep(float(fault["timeout"]))
        return Response(504, {"detail": "emulated timeout"})
    if fault.get("malformed"):
        return Response(200, b'{"data": [ this is not json')
    status = int(fault.get("status", 500))
    headers = {}
    if "retry_after" in fault:
        headers["Retry-After"] = str(fault["retry_after"])
    headers.update(fault.get("headers", {}))
    return Response(status, fault.get("body", {"detail": f"emulated {status}"}), headers)
