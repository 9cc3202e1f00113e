"""An ASGI app served by uvicorn on a thread: the demo, the tests and the benches run the WhatsApp
webhook and the explorer this way (in production each is `uvicorn.run` in its own process)."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

START_TIMEOUT_S = 15


@contextmanager
def serving_app(app, name: str, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `app` on a thread; yields the base URL (port 0: a free one). On exit, stops after
    the requests in flight are answered."""
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the {name} did not start on {host}:{port}")
        time.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(30)
