"""The contract every bus keeps (MemoryBus and JetStreamBus alike): messages reach the handlers of
their topic in order and intact, a failing handler does not stop the others, unsubscribing stops
delivery."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.bus.conftest import wait_until

MESSAGES = [
    {"alert_id": 1, "priority": "P1", "track_ids": ["a1", "a2"], "lat": 34.38, "lon": 40.95},
    {"alert_id": 2, "note": "عبور مشبوه قرب القائم", "details": {"group": 3, "night": True}, "km": None},
    {"alert_id": 3, "nested": [[1, 2], {"deep": [0.5, -1e-9]}]},
]


def test_round_trip_by_topic_in_order(bus: Any) -> None:
    alerts: list[Any] = []
    tracks: list[Any] = []
    bus.subscribe("alert", alerts.append)
    bus.subscribe("track", tracks.append)
    for message in MESSAGES:
        bus.publish("alert", message)
    bus.publish("track", {"track_id": "t-1", "status": "confirmed"})
    bus.publish("patrol", {"id": "nobody listens"})
    assert wait_until(lambda: len(alerts) >= len(MESSAGES) and len(tracks) >= 1)
    assert alerts == MESSAGES
    assert tracks == [{"track_id": "t-1", "status": "confirmed"}]


def test_failing_handler_is_logged_and_others_go_on(bus: Any, caplog: pytest.LogCaptureFixture) -> None:
    received: list[Any] = []
    failing_calls: list[Any] = []

    def failing(message: Any) -> None:
        failing_calls.append(message)
        raise RuntimeError("handler bug")

    def logged() -> int:
        return sum("handler bug" in (r.exc_text or "") for r in caplog.records)

    bus.subscribe("alert", failing)
    bus.subscribe("alert", received.append)
    with caplog.at_level(logging.ERROR, logger="borderwatch.bus"):
        for message in MESSAGES:
            bus.publish("alert", message)
        # The bus logs a failure after the handler has raised, so wait for the log lines too.
        assert wait_until(
            lambda: len(received) >= len(MESSAGES) and len(failing_calls) >= len(MESSAGES) and logged() >= len(MESSAGES)
        )
    assert received == MESSAGES
    assert failing_calls == MESSAGES  # the failing handler keeps getting the next messages too
    assert logged() == len(MESSAGES)


def test_unsubscribe_stops_delivery(bus: Any) -> None:
    staying: list[Any] = []
    leaving: list[Any] = []
    bus.subscribe("alert", staying.append)
    unsubscribe = bus.subscribe("alert", leaving.append)
    bus.publish("alert", {"n": 1})
    assert wait_until(lambda: staying == [{"n": 1}] and leaving == [{"n": 1}])
    unsubscribe()
    unsubscribe()  # twice is harmless
    bus.publish("alert", {"n": 2})
    assert wait_until(lambda: len(staying) == 2)
    assert leaving == [{"n": 1}]


def test_subscriber_sees_only_what_is_published_after_it_subscribed(bus: Any) -> None:
    bus.publish("alert", {"n": "before"})
    late: list[Any] = []
    bus.subscribe("alert", late.append)
    bus.publish("alert", {"n": "after"})
    assert wait_until(lambda: len(late) >= 1)
    assert late == [{"n": "after"}]


def test_wanted_says_whether_a_message_would_reach_anyone(bus: Any) -> None:
    from borderwatch.bus import MemoryBus

    # In process, a topic nobody listens to is not wanted (the service skips building its messages);
    # a broker keeps messages for subscribers elsewhere and later, so there every topic is wanted.
    local = isinstance(bus, MemoryBus)
    assert bus.wanted("track") is not local
    unsubscribe = bus.subscribe("track", lambda _: None)
    assert bus.wanted("track") is True and bus.wanted("alert") is not local
    unsubscribe()
    assert bus.wanted("track") is not local
