"""Fixtures for the bus: throwaway NATS servers (Debian's `nats-server`, which `make test` installs)
on free loopback ports with their own store directories, and a bus of each kind."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from borderwatch.api.server import free_port
from borderwatch.bus import MemoryBus
from borderwatch.bus.jetstream import JetStreamBus


def nats_server_binary() -> str:
    for candidate in ("/usr/sbin/nats-server", "/usr/bin/nats-server", shutil.which("nats-server")):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("nats-server is not installed: `make test` installs the Debian package nats-server")


@dataclass
class NatsServer:
    url: str
    process: subprocess.Popen[bytes]
    store: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_nats_server(jetstream: bool = True) -> NatsServer:
    """A nats-server on a free loopback port; returns once it accepts connections."""
    store = Path(tempfile.mkdtemp(prefix="bw-nats-"))
    port = free_port()
    args = [nats_server_binary(), "-a", "127.0.0.1", "-p", str(port)]
    if jetstream:
        args += ["-js", "-sd", str(store)]
    log = (store / "server.log").open("wb")
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"nats-server did not start: {(store / 'server.log').read_text()}") from None
            time.sleep(0.02)
    return NatsServer(f"nats://127.0.0.1:{port}", process, store)


@pytest.fixture(scope="session")
def nats_server() -> Iterator[NatsServer]:
    """One JetStream server for the session; tests keep apart by using their own stream names."""
    server = start_nats_server()
    yield server
    server.stop()
    shutil.rmtree(server.store, ignore_errors=True)


@pytest.fixture()
def nats_url(nats_server: NatsServer) -> str:
    return nats_server.url


@pytest.fixture()
def stream_name() -> str:
    """A stream of this test's own on the shared server."""
    return f"T{uuid.uuid4().hex[:12].upper()}"


BusFactory = Callable[..., Any]


@pytest.fixture()
def open_jetstream(nats_url: str, stream_name: str) -> Iterator[BusFactory]:
    """Open JetStream buses on this test's stream (several = several processes); all closed at the end."""
    opened: list[JetStreamBus] = []

    def open_one(**options: Any) -> JetStreamBus:
        bus = JetStreamBus(options.pop("url", nats_url), stream=options.pop("stream", stream_name), **options)
        opened.append(bus)
        return bus

    yield open_one
    for bus in opened:
        bus.close(timeout_s=2)


@pytest.fixture(params=["memory", "jetstream"])
def bus(request: pytest.FixtureRequest) -> Any:
    """Each kind of bus, for the contract both must keep."""
    if request.param == "memory":
        return MemoryBus()
    return request.getfixturevalue("open_jetstream")()


def wait_until(predicate: Callable[[], bool], timeout_s: float = 15.0) -> bool:
    """Poll until `predicate()` holds (deliveries on a broker are asynchronous); False if it never does."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
