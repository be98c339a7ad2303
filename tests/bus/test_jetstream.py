"""What only the broker-backed bus does: durable subscribers resume, the stream keeps messages with
limits, and every way the broker can be unusable is a clear error naming the URL, never a hang."""

from __future__ import annotations

import asyncio
from typing import Any

import nats
import pytest

from borderwatch.api.server import free_port
from borderwatch.bus import open_bus
from borderwatch.bus.jetstream import BusError, JetStreamBus
from borderwatch.service import SettingsError, load_settings
from tests.bus.conftest import BusFactory, start_nats_server, wait_until


def test_durable_subscriber_gets_what_it_missed_while_down(open_jetstream: BusFactory) -> None:
    publisher = open_jetstream()
    first_run: list[Any] = []
    subscriber = open_jetstream()
    subscriber.subscribe("alert", first_run.append, durable="alert-archiver")
    publisher.publish("alert", {"n": 1})
    assert wait_until(lambda: first_run == [{"n": 1}])
    subscriber.close()  # the subscribing process stops

    for n in (2, 3, 4):
        publisher.publish("alert", {"n": n})
    assert publisher.flush()
    live: list[Any] = []
    publisher.subscribe("alert", live.append)  # a live subscriber does not see what came before it

    second_run: list[Any] = []
    restarted = open_jetstream()
    restarted.subscribe("alert", second_run.append, durable="alert-archiver")
    assert wait_until(lambda: len(second_run) >= 3)
    publisher.publish("alert", {"n": 5})
    assert wait_until(lambda: len(second_run) >= 4 and len(live) >= 1)
    assert second_run == [{"n": 2}, {"n": 3}, {"n": 4}, {"n": 5}]  # nothing missed, nothing twice
    assert live == [{"n": 5}]


def test_stream_is_created_with_its_limits_and_shared(open_jetstream: BusFactory, nats_url: str,
                                                      stream_name: str) -> None:  # fmt: skip
    first = open_jetstream(max_age_s=3600, max_bytes=8 << 20)
    open_jetstream()  # a second process finds the stream and uses it as it is
    first.publish("ingest", {"accepted": 3})
    assert first.flush()

    async def inspect() -> Any:
        connection = await nats.connect(nats_url)
        try:
            return await connection.jetstream().stream_info(stream_name)
        finally:
            await connection.close()

    info = asyncio.run(inspect())
    assert info.config.subjects == [f"{stream_name.lower()}.>"]
    assert (info.config.max_age, info.config.max_bytes) == (3600, 8 << 20)
    assert info.state.messages == 1
    assert first.stats().acknowledged == 1


def test_stream_name_taken_for_other_subjects_is_refused(open_jetstream: BusFactory) -> None:
    open_jetstream(subject_prefix="elsewhere")
    with pytest.raises(BusError, match=r"exists for subjects \['elsewhere\.>'\]"):
        open_jetstream()


@pytest.mark.timeout(60)
def test_unreachable_server_is_a_clear_error_naming_the_url() -> None:
    url = f"nats://127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(BusError, match=r"cannot reach the NATS server at nats://127\.0\.0\.1:\d+ within 1 s"):
        JetStreamBus(url, connect_timeout_s=1)
    with pytest.raises(BusError, match="not a NATS server URL"):
        JetStreamBus("http://127.0.0.1:4222")


@pytest.mark.timeout(60)
def test_server_without_jetstream_is_a_clear_error() -> None:
    server = start_nats_server(jetstream=False)
    try:
        with pytest.raises(BusError, match=r"has no JetStream \(start it with `nats-server -js`\)"):
            JetStreamBus(server.url, connect_timeout_s=2)
    finally:
        server.stop()


def test_bad_message_or_name_is_refused_and_the_bus_goes_on(open_jetstream: BusFactory) -> None:
    bus = open_jetstream()
    received: list[Any] = []
    bus.subscribe("alert", received.append)
    with pytest.raises(BusError, match="'alert' is not JSON-serialisable"):
        bus.publish("alert", {"when": object()})
    with pytest.raises(ValueError, match="one NATS subject token"):
        bus.publish("alert.>", {"n": 1})
    with pytest.raises(ValueError, match="durable consumer name"):
        bus.subscribe("alert", received.append, durable="has space")
    bus.publish("alert", {"n": 1})
    assert wait_until(lambda: received == [{"n": 1}])
    assert bus.stats().failed == 0


@pytest.mark.timeout(120)
def test_broker_gone_mid_run_is_reported_not_waited_on(stream_name: str) -> None:
    server = start_nats_server()
    bus = JetStreamBus(server.url, stream=stream_name, max_in_flight=4, ack_timeout_s=30, publish_wait_s=0.5)
    try:
        bus.publish("alert", {"n": 0})
        assert bus.flush()
        server.stop()
        for n in range(4):  # buffered while the client tries to reconnect
            bus.publish("alert", {"n": n})
        with pytest.raises(BusError, match=rf"NATS server at {server.url} has left 4 messages unacknowledged"):
            bus.publish("alert", {"n": 4})
        with pytest.raises(BusError, match="unacknowledged"):  # at once now: the broker is known to be stalled
            bus.publish("alert", {"n": 5})
        assert not bus.flush(timeout_s=0.2)
    finally:
        bus.close(timeout_s=0.5)
        server.stop()
    with pytest.raises(BusError, match="is closed"):
        bus.publish("alert", {"n": 6})


def test_settings_choose_the_bus(nats_url: str, stream_name: str) -> None:
    assert load_settings(environ={}).bus_url == ""
    assert type(open_bus("")).__name__ == "MemoryBus"
    settings = load_settings(environ={"BORDERWATCH_BUS_URL": nats_url, "BORDERWATCH_BUS_STREAM": stream_name})
    assert (settings.bus_url, settings.bus_stream) == (nats_url, stream_name)
    bus = open_bus(settings.bus_url, stream=settings.bus_stream)
    try:
        assert isinstance(bus, JetStreamBus) and bus.stream == stream_name
    finally:
        bus.close()
    with pytest.raises(SettingsError, match="bus_stream"):
        load_settings(environ={"BORDERWATCH_BUS_STREAM": "two words"})
