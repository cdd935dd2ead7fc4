"""`asgi_live_server`: the real ASGI app (HTTP and the dashboard WebSocket) under uvicorn, in this process.

The server runs in a background thread of the test process, so it uses the test database and, in the
embedded default, the same in-memory channel layer the test publishes to. It needs committed data,
hence `transactional_db`. uvicorn installs signal handlers only in the main thread, so a thread is safe.
"""

import socket
import threading
import time
import urllib.error
import urllib.request

import pytest

STARTUP_TIMEOUT_S = 15.0
SHUTDOWN_TIMEOUT_S = 10.0


def _wait_until_healthy(base_url: str, server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("uvicorn stopped while starting; see the captured log above")
        if server.started:
            try:
                with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
                last_error = exc
        time.sleep(0.05)
    raise RuntimeError(f"uvicorn did not answer {base_url}/healthz within {STARTUP_TIMEOUT_S:g} s: {last_error}")


@pytest.fixture
def asgi_live_server(transactional_db):
    """Base URL (http://127.0.0.1:<port>) of `evfleet.asgi:application` served by uvicorn in a thread."""
    import uvicorn

    from evfleet.asgi import application

    # Bind the port here and hand the socket to uvicorn: no window in which another process takes it.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    host, port = sock.getsockname()
    config = uvicorn.Config(
        application,
        host=host,
        port=port,
        ws="websockets-sansio",
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=5,  # an open dashboard socket must not hold the teardown
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="asgi-live-server", daemon=True)
    thread.start()
    base_url = f"http://{host}:{port}"
    try:
        _wait_until_healthy(base_url, server, thread)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(SHUTDOWN_TIMEOUT_S)
        sock.close()
        if thread.is_alive():
            pytest.fail(f"uvicorn did not stop within {SHUTDOWN_TIMEOUT_S:g} s")
