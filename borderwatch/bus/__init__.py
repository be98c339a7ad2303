"""The message bus: topics that carry detections, track updates, alerts and sensor health.

`MemoryBus` is the embedded default (in-process, thread-safe, handlers run on the publisher's
thread). May import the standard library only.
"""

from borderwatch.bus.memory import Bus, Handler, MemoryBus

__all__ = ["Bus", "Handler", "MemoryBus"]
