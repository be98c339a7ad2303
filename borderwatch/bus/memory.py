"""The in-process bus: publish/subscribe by topic name, safe to use from any thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

Handler = Callable[[Any], None]
log = logging.getLogger(__name__)


class BusError(RuntimeError):
    """The bus cannot be used as asked; for a broker, the message names its URL and what failed."""


class Bus(Protocol):
    """What the service needs from a bus (in-process here; a broker adapter would fit the same)."""

    def publish(self, topic: str, message: Any) -> None: ...

    def subscribe(self, topic: str, handler: Handler) -> Callable[[], None]: ...

    def close(self) -> None: ...


class MemoryBus:
    """Handlers are called in subscription order on the publishing thread; one failing handler is
    logged and does not stop the others (a slow web client must not stall ingest)."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = {}
        self._lock = threading.Lock()

    def publish(self, topic: str, message: Any) -> None:
        with self._lock:
            handlers = list(self._handlers.get(topic, ()))
        for handler in handlers:
            try:
                handler(message)
            except Exception:
                log.exception("bus handler for %r failed", topic)

    def wanted(self, topic: str) -> bool:
        """Whether a message on `topic` would reach anyone now: a publisher may skip building one that
        would not (a track state nobody watches)."""
        return bool(self._handlers.get(topic))

    def subscribe(self, topic: str, handler: Handler) -> Callable[[], None]:
        """Register `handler` for `topic`; returns the function that unsubscribes it."""
        with self._lock:
            self._handlers.setdefault(topic, []).append(handler)

        def unsubscribe() -> None:
            with self._lock:
                handlers = self._handlers.get(topic, [])
                if handler in handlers:
                    handlers.remove(handler)

        return unsubscribe

    def close(self) -> None:
        """Nothing to release (the same call as a broker-backed bus)."""
