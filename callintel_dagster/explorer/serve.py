"""uvicorn for the explorer: in the foreground for `callintel serve` (and `make explore`), on a
thread for the tests and the bench."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from callintel_dagster.explorer.app import create_app
from callintel_dagster.explorer.settings import ExplorerSettings

START_TIMEOUT_S = 15


def run(settings: ExplorerSettings, host: str, port: int) -> None:
    """Serve in the foreground until interrupted."""
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


@contextmanager
def serving(settings: ExplorerSettings, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve on a thread; yields the base URL (port 0: a free one). Stops on exit."""
    config = uvicorn.Config(
        create_app(settings), host=host, port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="explorer", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the explorer did not start on {host}:{port}")
        time.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(30)
