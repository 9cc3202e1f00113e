"""uvicorn for the explorer: in the foreground for `callintel serve` (and `make explore`), on a
thread for the tests and the bench."""

import uvicorn

from callintel_dagster.asgi_thread import serving_app
from callintel_dagster.explorer.app import create_app
from callintel_dagster.explorer.settings import ExplorerSettings


def run(settings: ExplorerSettings, host: str, port: int) -> None:
    """Serve in the foreground until interrupted."""
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


def serving(settings: ExplorerSettings, host: str = "127.0.0.1", port: int = 0):
    """Serve on a thread; yields the base URL (port 0: a free one). Stops on exit."""
    return serving_app(create_app(settings), "explorer", host, port)
