"""Running the API: `serve()` for `borderwatch serve`, `running_server()` for tests, demo and benchmark
(uvicorn in a background thread on a free loopback port). May import borderwatch.service and uvicorn.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import uvicorn

from borderwatch.api.app import INGEST_PATH, create_app
from borderwatch.service import Service, Settings


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def serve(settings: Settings, log_level: str = "info") -> None:
    """Run the service in the foreground until Ctrl-C (uvicorn handles the signal, then we stop)."""
    service = Service(settings)
    keys = service.ensure_sensor_keys(settings.data_dir / "sensor_keys.json")
    keys_file = settings.data_dir / "sensor_keys.json"
    print(f"borderwatch: store {settings.store_url.split('@')[-1]}; {len(keys)} sensor keys in "
          f"{keys_file}; API docs http://{settings.host}:{settings.port}/docs")  # fmt: skip
    config = uvicorn.Config(create_app(service), host=settings.host, port=settings.port, log_level=log_level)
    if not settings.ingest_access_log:  # after Config, which sets up uvicorn's loggers
        logging.getLogger("uvicorn.access").addFilter(skip_ingest_lines)
    server = uvicorn.Server(config)
    with suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        raise SystemExit(3)  # uvicorn.run's exit status when the server could not start


def skip_ingest_lines(record: logging.LogRecord) -> bool:
    """An access log filter that drops the lines of ingest requests answered with success: under load
    a sensor network posts hundreds of batches a second, and a line for each cost ~26 us a request
    (~4 % of the service's time). Refused ones (4xx, 5xx) and every other request are still logged."""
    args = record.args
    # uvicorn's access line: (client, method, path with query, HTTP version, status)
    if not (isinstance(args, tuple) and len(args) == 5 and isinstance(args[4], int) and args[4] < 400):
        return True
    return str(args[2]).split("?", 1)[0] != INGEST_PATH


@dataclass
class RunningServer:
    service: Service
    url: str
    server: uvicorn.Server


@contextmanager
def running_server(service: Service, host: str = "127.0.0.1", port: int | None = None) -> Iterator[RunningServer]:
    """Uvicorn serving `service` in a thread; stops it (and the service) on exit."""
    port = port or free_port(host)
    config = uvicorn.Config(create_app(service), host=host, port=port, log_level="warning", ws_max_size=64 << 20)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="borderwatch-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the API server did not start on {host}:{port}")
        time.sleep(0.02)
    try:
        yield RunningServer(service, f"http://{host}:{port}", server)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
