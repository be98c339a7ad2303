"""The message bus: topics that carry detections, track updates, alerts and sensor health.

`MemoryBus` is the embedded default (in-process, thread-safe, handlers run on the publisher's
thread); `JetStreamBus` (`bus/jetstream.py`) keeps the same contract on a NATS JetStream server so
several service processes share one stream. `open_bus(url)` picks one from a setting. May import
the standard library, and in `jetstream.py` nats-py and orjson (imported only when a URL is given).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from borderwatch.bus.memory import Bus, BusError, Handler, MemoryBus

if TYPE_CHECKING:
    from borderwatch.bus.jetstream import JetStreamBus

__all__ = ["Bus", "BusError", "Handler", "MemoryBus", "open_bus"]


def open_bus(url: str | None, *, stream: str = "BORDERWATCH") -> MemoryBus | JetStreamBus:
    """The in-process bus when `url` is empty, else a `JetStreamBus` connected to that NATS server
    (raises `BusError` naming the URL when it cannot be reached)."""
    if not url:
        return MemoryBus()
    from borderwatch.bus.jetstream import JetStreamBus

    return JetStreamBus(url, stream=stream)
