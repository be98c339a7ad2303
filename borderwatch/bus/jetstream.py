"""The NATS JetStream bus: the same publish/subscribe contract as `MemoryBus`, kept by a broker.

Messages are JSON on subjects `<prefix>.<topic>` of one stream (created if absent, limited by age and
size), so several service processes share one live picture and a durable subscriber that was down
resumes where it left off. nats-py is asyncio; its loop runs on one background thread owned by the
bus, so `publish` and `subscribe` are plain functions that are safe from any thread.

Publishing is pipelined: `publish` hands the message to the loop and returns; the broker's
acknowledgements are counted as they come (`stats`), and `flush` waits for them. When
`max_in_flight` messages are unacknowledged, `publish` waits (back pressure) and after
`publish_wait_s` raises `BusError` — a broker that has gone away is reported, never waited on forever.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import nats
import nats.errors
import nats.js.errors
import orjson
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, DiscardPolicy, StorageType

from borderwatch.bus.memory import BusError, Handler

log = logging.getLogger(__name__)
T = TypeVar("T")

# A stream, consumer or topic name is one NATS subject token: no dots, wildcards or spaces.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")
_SCHEMES = ("nats", "tls")
_SETTLE_GRACE_S = 5.0  # extra time the sync side waits on the loop beyond the loop-side timeout
_DURABLE_MAX_ACK_PENDING = 20_000  # a durable subscriber's unacknowledged messages, so its queue stays bounded


@dataclass(frozen=True)
class BusStats:
    """Counts since the bus was opened."""

    published: int  # handed to the broker
    acknowledged: int  # stored by the stream (the broker said so)
    failed: int  # refused by the broker, not acknowledged in time, or not sent
    delivered: int  # messages handed to this process's handlers
    handler_errors: int  # handler calls that raised (logged)


def _check_token(what: str, value: str) -> str:
    if not _TOKEN.match(value):
        raise ValueError(f"{what} {value!r} must be letters, digits, '_' or '-' (one NATS subject token)")
    return value


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in _SCHEMES or not parts.hostname:
        raise BusError(f"bus URL {url!r} is not a NATS server URL (expected nats://HOST:PORT or tls://HOST:PORT)")
    return url


class JetStreamBus:
    """`Bus` over NATS JetStream. Open with the server URL; `close()` (or a `with` block) when done.

    `subscribe(topic, handler)` sees messages published after it returns, like `MemoryBus`;
    `subscribe(topic, handler, durable="name")` binds a durable consumer that the broker keeps
    between runs: a restarted subscriber of the same name gets what was published while it was
    down (as long as the stream still keeps it), each message acknowledged after its handler ran.
    Handlers run on worker threads, one message at a time per subscription; a handler that raises
    is logged and counted and the others go on.
    """

    def __init__(
        self,
        url: str,
        *,
        stream: str = "BORDERWATCH",
        subject_prefix: str | None = None,
        max_age_s: float = 24 * 3600.0,
        max_bytes: int = 1 << 30,
        connect_timeout_s: float = 5.0,
        ack_timeout_s: float = 5.0,
        max_in_flight: int = 10_000,
        publish_wait_s: float = 5.0,
        client_name: str = "borderwatch",
    ) -> None:
        self.url = _check_url(url)
        self.stream = _check_token("stream name", stream)
        self.subject_prefix = _check_token("subject prefix", subject_prefix or stream.lower())
        if max_age_s <= 0 or max_bytes <= 0:
            raise ValueError("max_age_s and max_bytes must be positive")
        self._max_age_s, self._max_bytes = max_age_s, max_bytes
        self._connect_timeout_s, self._ack_timeout_s = connect_timeout_s, ack_timeout_s
        self._max_in_flight, self._publish_wait_s = max_in_flight, publish_wait_s
        self._client_name = client_name
        self._closed = False
        self._last_error: BaseException | None = None
        # Publishing side: the outbox is filled by any thread and emptied by the sender task.
        self._lock = threading.Lock()
        self._room = threading.Condition(self._lock)
        self._outbox: deque[tuple[str, bytes]] = deque()
        self._wake_scheduled = False
        self._outbox_ready = asyncio.Event()  # set on the loop thread when the outbox has messages
        self._unsettled = 0  # published and neither acknowledged nor failed
        self._stalled = False  # the last wait for room timed out and no acknowledgement came since
        self._published = self._acknowledged = self._failed = self._delivered = self._handler_errors = 0
        self._next_seq = 0
        self._awaiting_ack: dict[int, float] = {}  # loop thread only: sequence -> deadline (monotonic)
        self._mailboxes: set[_Mailbox] = set()
        self._handlers = concurrent.futures.ThreadPoolExecutor(max_workers=32, thread_name_prefix="borderwatch-bus")
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="borderwatch-nats", daemon=True)
        self._thread.start()
        self._nc: NatsClient | None = None
        self._tasks: list[asyncio.Task[None]] = []
        try:
            self._call(self._open(), self._connect_timeout_s + _SETTLE_GRACE_S)
        except BaseException:
            self._stop_loop()
            raise

    # ------------------------------------------------------------------ the Bus contract

    def publish(self, topic: str, message: Any) -> None:
        """Send `message` (JSON-serialisable) on `topic`. Raises `BusError` when closed or when the
        broker has left `max_in_flight` messages unacknowledged for `publish_wait_s`."""
        subject = f"{self.subject_prefix}.{_check_token('topic', topic)}"
        try:
            data = orjson.dumps(message, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)
        except TypeError as exc:
            raise BusError(f"bus message on {topic!r} is not JSON-serialisable: {exc}") from None
        with self._room:
            if self._closed:
                raise BusError(f"bus to {self.url} is closed")
            if self._unsettled >= self._max_in_flight:
                # A broker that is merely slower than us is waited on; one that stopped answering is
                # reported at once after the first timeout, so callers do not stall on every message.
                wait = 0.0 if self._stalled else self._publish_wait_s
                if not self._room.wait_for(lambda: self._unsettled < self._max_in_flight, wait):
                    self._stalled = True
                    self._failed += 1
                    raise BusError(
                        f"NATS server at {self.url} has left {self._unsettled} messages unacknowledged "
                        f"for {self._publish_wait_s:g} s ({self._describe_last_error()}); {topic!r} not sent"
                    )
            self._unsettled += 1
            self._published += 1
            self._outbox.append((subject, data))
            wake = not self._wake_scheduled
            self._wake_scheduled = True
        if wake:
            self._loop.call_soon_threadsafe(self._outbox_ready.set)

    def wanted(self, topic: str) -> bool:
        """Always: the stream keeps messages for subscribers in other processes and for later ones."""
        return True

    def subscribe(self, topic: str, handler: Handler, *, durable: str | None = None) -> Callable[[], None]:
        """Call `handler(message)` for each message on `topic`; returns the function that unsubscribes.
        With `durable`, the broker remembers how far this subscriber got (unsubscribing keeps that)."""
        subject = f"{self.subject_prefix}.{_check_token('topic', topic)}"
        if durable is not None:
            _check_token("durable consumer name", durable)
        if self._closed:
            raise BusError(f"bus to {self.url} is closed")
        mailbox = _Mailbox(self, subject, handler, acknowledge=durable is not None)
        subscription = self._call(self._subscribe(subject, durable, mailbox), self._connect_timeout_s + 10)
        with self._lock:
            self._mailboxes.add(mailbox)
        done = threading.Event()

        def unsubscribe() -> None:
            if done.is_set() or self._closed:
                return
            done.set()
            mailbox.close()
            with self._lock:
                self._mailboxes.discard(mailbox)
            try:
                self._call(subscription.unsubscribe(), self._connect_timeout_s + _SETTLE_GRACE_S)
            except Exception as exc:  # the connection may be gone; nothing is left to undo then
                log.warning("unsubscribing from %s at %s failed: %s", subject, self.url, exc)

        return unsubscribe

    # ------------------------------------------------------------------ beyond the contract

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until every message published so far is acknowledged or failed; False on timeout."""
        with self._room:
            return self._room.wait_for(lambda: self._unsettled == 0, timeout_s)

    def stats(self) -> BusStats:
        with self._lock:
            return BusStats(self._published, self._acknowledged, self._failed, self._delivered, self._handler_errors)

    def close(self, timeout_s: float = 10.0) -> None:
        """Wait for outstanding acknowledgements (up to `timeout_s`), let handlers finish the
        messages they hold, and disconnect. Safe to call twice."""
        with self._room:
            if self._closed:
                return
        if not self.flush(timeout_s):
            log.warning("closing the bus to %s with %d messages unacknowledged", self.url, self._unsettled)
        with self._room:
            self._closed = True
            mailboxes = list(self._mailboxes)
        # Handlers finish the message in hand (and durable subscribers acknowledge what was handled);
        # what is still queued is not handed out after close (a durable consumer gets it next run).
        for mailbox in mailboxes:
            mailbox.close()
        deadline = time.monotonic() + timeout_s
        for mailbox in mailboxes:
            mailbox.wait_idle(max(0.0, deadline - time.monotonic()))
        try:
            self._call(self._shutdown(timeout_s), timeout_s + _SETTLE_GRACE_S)
        except Exception as exc:
            log.warning("closing the connection to %s: %s", self.url, exc)
        finally:
            self._stop_loop()

    def __enter__(self) -> JetStreamBus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ loop thread

    def _call(self, coroutine: Coroutine[Any, Any, T], timeout_s: float) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout_s)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise BusError(f"NATS server at {self.url} did not answer within {timeout_s:g} s") from None

    def _stop_loop(self) -> None:
        if self._loop.is_running():
            try:
                # The client's own tasks (readers, pingers, subscription pumps) end here, not
                # abandoned in a closed loop.
                asyncio.run_coroutine_threadsafe(_cancel_other_tasks(), self._loop).result(_SETTLE_GRACE_S)
            except (concurrent.futures.TimeoutError, RuntimeError) as exc:
                log.warning("stopping the bus loop for %s: %r", self.url, exc)
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self._loop.close()
        self._handlers.shutdown(wait=False, cancel_futures=True)

    def _describe_last_error(self) -> str:
        error = self._last_error
        return f"last error: {type(error).__name__}: {error}" if error is not None else "no error reported"

    async def _on_error(self, error: Exception) -> None:
        self._last_error = error
        log.debug("NATS client error (%s): %r", self.url, error)

    async def _on_disconnected(self) -> None:
        if self._nc is not None and not self._closed:  # not while the first connection is being tried
            log.warning("disconnected from the NATS server at %s; reconnecting", self.url)

    async def _on_reconnected(self) -> None:
        log.warning("reconnected to the NATS server at %s", self.url)

    async def _open(self) -> None:
        nc = NatsClient()
        try:
            # Once up, reconnect for ever (a restarted broker must not take the service down); the
            # first connection, though, is bounded so a wrong URL is an error, not a hang.
            await asyncio.wait_for(
                nc.connect(
                    servers=[self.url], name=self._client_name, connect_timeout=max(1, round(self._connect_timeout_s)),
                    allow_reconnect=True, max_reconnect_attempts=-1, reconnect_time_wait=1, drain_timeout=5,
                    error_cb=self._on_error, disconnected_cb=self._on_disconnected,
                    reconnected_cb=self._on_reconnected,
                ),
                self._connect_timeout_s,
            )  # fmt: skip
        except (TimeoutError, OSError, nats.errors.Error) as exc:
            self._last_error = self._last_error or exc
            await nc.close()
            raise BusError(
                f"cannot reach the NATS server at {self.url} within {self._connect_timeout_s:g} s "
                f"({self._describe_last_error()})"
            ) from None
        self._nc = nc
        try:
            await self._ensure_stream()
        except BaseException:
            await nc.close()
            raise
        ack_prefix = nc.new_inbox()
        await nc.subscribe(f"{ack_prefix}.*", cb=self._on_ack)
        self._tasks = [
            asyncio.create_task(self._send_outbox(nc, ack_prefix)),
            asyncio.create_task(self._expire_acks()),
        ]

    async def _ensure_stream(self) -> None:
        assert self._nc is not None
        js = self._nc.jetstream(timeout=self._connect_timeout_s)
        wanted = f"{self.subject_prefix}.>"
        try:
            info = await js.stream_info(self.stream)
        except nats.js.errors.NotFoundError:
            await js.add_stream(
                name=self.stream, subjects=[wanted], max_age=self._max_age_s, max_bytes=self._max_bytes,
                storage=StorageType.FILE, discard=DiscardPolicy.OLD,
            )  # fmt: skip
            return
        except (nats.errors.NoRespondersError, nats.js.errors.ServiceUnavailableError, nats.errors.TimeoutError):
            raise BusError(
                f"the NATS server at {self.url} has no JetStream (start it with `nats-server -js`)"
            ) from None
        subjects = info.config.subjects or []
        if wanted not in subjects:
            raise BusError(
                f"stream {self.stream!r} on {self.url} exists for subjects {subjects}, not {wanted!r}: "
                "choose another stream name or subject prefix"
            )

    async def _send_outbox(self, nc: NatsClient, ack_prefix: str) -> None:
        """The one sender: messages go out in the order they were published."""
        while True:
            await self._outbox_ready.wait()
            self._outbox_ready.clear()
            with self._lock:
                batch, self._outbox = self._outbox, deque()
                self._wake_scheduled = False
            for subject, data in batch:
                self._next_seq += 1
                seq = self._next_seq
                self._awaiting_ack[seq] = time.monotonic() + self._ack_timeout_s
                try:
                    await nc.publish(subject, data, reply=f"{ack_prefix}.{seq}")
                except Exception as exc:
                    self._settle(seq, exc)

    async def _on_ack(self, msg: Msg) -> None:
        try:
            seq = int(msg.subject.rsplit(".", 1)[1])
        except ValueError:
            return
        error: str | None = None
        if msg.headers and msg.headers.get("Status") == "503":
            error = "no stream takes this subject"
        else:
            try:
                reply = orjson.loads(msg.data)
            except orjson.JSONDecodeError:
                reply = {"error": {"description": "unreadable acknowledgement"}}
            if isinstance(reply, dict) and "error" in reply:
                error = str(reply["error"].get("description", reply["error"]))
        self._settle(seq, None if error is None else BusError(f"NATS server at {self.url} refused: {error}"))

    async def _expire_acks(self) -> None:
        while True:
            await asyncio.sleep(min(0.5, self._ack_timeout_s / 2))
            now = time.monotonic()
            for seq in [s for s, deadline in self._awaiting_ack.items() if deadline < now]:
                self._settle(seq, TimeoutError(f"no acknowledgement within {self._ack_timeout_s:g} s"))

    def _settle(self, seq: int, error: BaseException | None) -> None:
        if self._awaiting_ack.pop(seq, None) is None:
            return  # settled already (a late acknowledgement after its timeout)
        with self._room:
            self._unsettled -= 1
            if error is None:
                self._acknowledged += 1
                self._stalled = False
            else:
                self._failed += 1
            failed = self._failed
            self._room.notify_all()
        if error is not None:
            self._last_error = error
            # One line per power of two: an outage is visible without flooding the log.
            if failed & (failed - 1) == 0:
                log.warning("bus message to %s not stored (%d so far): %s", self.url, failed, error)

    async def _subscribe(self, subject: str, durable: str | None, mailbox: _Mailbox) -> Any:
        assert self._nc is not None

        async def on_message(msg: Msg) -> None:
            mailbox.put(msg)

        js = self._nc.jetstream(timeout=self._connect_timeout_s)
        if durable is None:
            # Live fan-out: what is published from now on, nothing to acknowledge.
            config = ConsumerConfig(deliver_policy=DeliverPolicy.NEW, ack_policy=AckPolicy.NONE)
            return await js.subscribe(subject, stream=self.stream, cb=on_message, config=config, manual_ack=True)
        # Acknowledged after the handler ran, so a message whose handler was cut off by a crash or a
        # close is delivered again. AckPolicy.ALL: one acknowledgement covers a whole handled batch.
        config = ConsumerConfig(deliver_policy=DeliverPolicy.NEW, ack_policy=AckPolicy.ALL, ack_wait=30,
                                max_ack_pending=_DURABLE_MAX_ACK_PENDING)  # fmt: skip
        try:
            return await js.subscribe(subject, durable=durable, stream=self.stream, cb=on_message, config=config,
                                      manual_ack=True)  # fmt: skip
        except nats.js.errors.Error as exc:
            raise BusError(f"durable subscriber {durable!r} on {self.url}: {exc}") from None

    async def _shutdown(self, timeout_s: float) -> None:
        for task in self._tasks:
            task.cancel()
        if self._nc is None:
            return
        try:
            await asyncio.wait_for(self._nc.drain(), timeout_s)
        except (TimeoutError, nats.errors.Error):
            await self._nc.close()


async def _cancel_other_tasks() -> None:
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class _Mailbox:
    """One subscription's delivered messages waiting for its handler. The loop thread only appends;
    a worker thread drains them in order, a batch at a time, so the loop is never blocked by a
    handler and one thread hop serves many messages."""

    def __init__(self, bus: JetStreamBus, subject: str, handler: Handler, *, acknowledge: bool) -> None:
        self._bus, self._subject, self._handler, self._acknowledge = bus, subject, handler, acknowledge
        self._loop = bus._loop
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._queued: deque[Msg] = deque()
        self._draining = False
        self._closed = False

    def put(self, msg: Msg) -> None:
        with self._lock:
            if self._closed:
                return
            self._queued.append(msg)
            if self._draining:
                return
            self._draining = True
        try:
            self._bus._handlers.submit(self._drain)
        except RuntimeError:  # the executor is shut down: the bus is closing
            with self._lock:
                self._draining = False

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._queued.clear()

    def wait_idle(self, timeout_s: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: not self._draining, timeout_s)

    def _drain(self) -> None:
        bus = self._bus
        while True:
            with self._lock:
                if not self._queued or self._closed:
                    self._draining = False
                    self._idle.notify_all()
                    return
                batch, self._queued = self._queued, deque()
            handled: Msg | None = None
            delivered = errors = 0
            for msg in batch:
                if self._closed:
                    break
                try:
                    message = orjson.loads(msg.data)
                except orjson.JSONDecodeError:
                    log.warning("bus message on %s is not JSON; skipped", msg.subject)
                    handled = msg
                    continue
                try:
                    self._handler(message)
                except Exception:
                    log.exception("bus handler for %r failed", self._subject)
                    errors += 1
                delivered += 1
                handled = msg
            with bus._lock:
                bus._delivered += delivered
                bus._handler_errors += errors
            if self._acknowledge and handled is not None:
                self._send_ack(handled)

    def _send_ack(self, msg: Msg) -> None:
        acknowledgement = msg.ack()
        try:
            asyncio.run_coroutine_threadsafe(acknowledgement, self._loop)
        except RuntimeError:  # the loop is closed: the broker delivers these again next run
            acknowledgement.close()
