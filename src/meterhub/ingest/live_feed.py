"""The live feed: the points each commit stores, handed to whoever follows them as they come (MQTT
subscribers, through the embedded broker or the Mosquitto bridge; websockets and the dashboard to
come).

It lives in `ingest/` because the writer publishes to it and `ingest` imports only `core` and
`store`: in `services/` the writer could not reach it. The brokers (`mqtt/`) may import `ingest`;
faces will reach it through the platform, which builds it from the settings.

`LiveFeed` is one process's: the writer calls each subscriber on its thread, which is all one
server needs. `RedisFeed` (METERHUB_REDIS_URL) also passes the points to the other servers on the
same database through one Redis pub/sub channel per deployment, and their points to this one's
subscribers, so that a subscriber on one server sees a reading stored through another.

A point reaches this process's subscribers once: straight from `publish`, as `LiveFeed` does, and
not again when Redis hands this process's own message back (each message carries its feed's id;
the feed drops its own). Routing local points only through Redis would make every local delivery
wait a round trip and stop with Redis.

Redis is off the commit path: `publish` only queues (a bounded queue; past it points are dropped
from the other servers' feed, never stored less), and a thread of the feed sends what queued, one
round trip for all of it. When Redis cannot be reached, the log says so once a minute
(`core/log_limit.py`), the writer goes on storing, points meant for the other servers are dropped
meanwhile (a live feed has no past to catch up on) and both threads try again every second.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

import orjson
import redis

from meterhub.core.log_limit import LimitedLog
from meterhub.ingest.write_path import PointRow

log = logging.getLogger(__name__)

# Told of newly stored points: on the writer's thread for this process's points, so it must be
# quick (hand the points on, e.g. with call_soon_threadsafe); on the feed's own thread for other
# servers' points.
Subscriber = Callable[[list[PointRow]], None]

# Commits waiting for Redis; beyond, the other servers miss points (a few seconds of full load).
OUTBOX = 10_000
# Commits sent in one round trip (a pipeline of as many messages).
SEND_AT_ONCE = 100
RETRY_S = 1.0  # how soon an unreachable Redis is tried again
CONNECT_TIMEOUT_S = 2.0
# How long the listening thread waits for a message before it looks whether the feed is closing.
LISTEN_WAKE_S = 0.25


class LiveFeed:
    """One process's live feed: each subscriber is called with each commit's new points."""

    def __init__(self) -> None:
        # Tuples, replaced whole: the writer reads them on every commit without a lock.
        self._subscribers: tuple[Subscriber, ...] = ()

    @property
    def wanted(self) -> bool:
        """Whether publish() has anyone to tell (otherwise the writer does not collect the points)."""
        return bool(self._subscribers)

    def publish(self, points: list[PointRow], *, delivered: bool = False) -> None:
        """Tell the subscribers of a commit's new points (on the writer's thread). `delivered`: this
        process's MQTT broker has delivered them itself, so none here is told again."""
        if not delivered:
            _tell(self._subscribers, points)

    def subscribe(self, subscriber: Subscriber, *, others: bool = True) -> None:
        """Tell the subscriber of the points stored from now on: by this process, and (`others`,
        with Redis) by the other servers of the deployment too."""
        self._subscribers = (*self._subscribers, subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Stop telling the subscriber."""
        self._subscribers = tuple(s for s in self._subscribers if s != subscriber)

    def close(self) -> None:
        """Stop feeding (nothing to stop in one process)."""


class RedisFeed(LiveFeed):
    """The live feed of every server of a deployment, through one Redis pub/sub channel."""

    def __init__(self, url: str, *, channel: str, relay_delivered: bool, limited_log: LimitedLog) -> None:
        """`relay_delivered`: whether points this process's broker delivered itself go to the other
        servers (yes with embedded brokers, each delivering to its own clients only; not with one
        Mosquitto that every server's clients use)."""
        super().__init__()
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT_S)
        self._where = _without_password(url)
        self._channel = channel
        self._relay_delivered = relay_delivered
        self._limited_log = limited_log
        # Tells this feed's messages from the other servers' when Redis hands them back.
        self._id = uuid.uuid4().hex
        self._others: tuple[Subscriber, ...] = ()
        self._outbox: queue.Queue[list[PointRow] | None] = queue.Queue(OUTBOX)
        self._overflowed = 0  # points left out of a full outbox, counted on the writer's thread
        self._down = False  # whether Redis failed last time, to say when it is back
        self._stop = threading.Event()
        self._sender = threading.Thread(target=self._send, name="meterhub-feed-send", daemon=True)
        self._sender.start()
        # Started by the first subscriber of other servers' points: commands that only write (the
        # CLI's, the demo) listen to no one.
        self._listener: threading.Thread | None = None

    @property
    def wanted(self) -> bool:
        """Always: the other servers' subscribers are not known here."""
        return True

    def publish(self, points: list[PointRow], *, delivered: bool = False) -> None:
        """Tell this process's subscribers of the points, and queue them for the other servers'."""
        super().publish(points, delivered=delivered)
        if delivered and not self._relay_delivered:
            return
        try:
            self._outbox.put_nowait(points)
        except queue.Full:
            self._overflowed += len(points)

    def subscribe(self, subscriber: Subscriber, *, others: bool = True) -> None:
        super().subscribe(subscriber)
        if others:
            self._others = (*self._others, subscriber)
            if self._listener is None:
                self._listener = threading.Thread(
                    target=self._listen, name="meterhub-feed-listen", daemon=True
                )
                self._listener.start()

    def unsubscribe(self, subscriber: Subscriber) -> None:
        super().unsubscribe(subscriber)
        self._others = tuple(s for s in self._others if s != subscriber)

    def close(self) -> None:
        """Send what is queued (unless Redis is away), then stop both threads."""
        self._outbox.put(None)
        self._sender.join(CONNECT_TIMEOUT_S + 1)
        self._stop.set()
        if self._listener is not None:
            self._listener.join(LISTEN_WAKE_S + CONNECT_TIMEOUT_S + 1)
        self._redis.close()

    def _send(self) -> None:
        retry_at = 0.0
        while True:
            batches = [self._outbox.get()]
            while len(batches) < SEND_AT_ONCE:
                try:
                    batches.append(self._outbox.get_nowait())
                except queue.Empty:
                    break
            messages = [orjson.dumps((self._id, points)) for points in batches if points is not None]
            # While Redis is away its points are dropped unsent: the line saying so is logged.
            if messages and time.monotonic() >= retry_at:
                try:
                    pipe = self._redis.pipeline(transaction=False)
                    for message in messages:
                        pipe.publish(self._channel, message)
                    pipe.execute()
                    self._back()
                except redis.RedisError as exc:
                    retry_at = time.monotonic() + RETRY_S
                    self._unreachable(exc)
            # Read and reset across threads without a lock: at worst a count is off in a log line.
            overflowed, self._overflowed = self._overflowed, 0
            if overflowed:
                self._limited_log.log(
                    log,
                    logging.WARNING,
                    ("live feed behind", self._where),
                    "%d stored points were not passed to the other servers' live feed: %d commits "
                    "were waiting for Redis at %s already",
                    overflowed,
                    OUTBOX,
                    self._where,
                )
            if None in batches:
                return

    def _listen(self) -> None:
        while not self._stop.is_set():
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(self._channel)
                self._back()
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=LISTEN_WAKE_S)
                    if message is not None:
                        self._arrived(message["data"])
            except redis.RedisError as exc:
                self._unreachable(exc)
                self._stop.wait(RETRY_S)
            finally:
                pubsub.close()

    def _arrived(self, data: bytes) -> None:
        try:
            origin, points = orjson.loads(data)
            if origin == self._id:
                return  # this process's own, told to its subscribers when it was published
            rows: list[PointRow] = [(sid, ts, v) for sid, ts, v in points]
        except (orjson.JSONDecodeError, TypeError, ValueError):
            self._limited_log.log(
                log,
                logging.WARNING,
                ("live feed garbled", self._channel),
                "a message on the live feed's Redis channel %r is not one of meterhub's: ignored "
                "(does another program publish there? METERHUB_REDIS_PREFIX names another channel)",
                self._channel,
            )
            return
        _tell(self._others, rows)

    def _unreachable(self, exc: Exception) -> None:
        self._down = True
        self._limited_log.log(
            log,
            logging.WARNING,
            ("live feed down", self._where),
            "the live feed cannot reach Redis at %s (%s): readings are stored as ever, but subscribers "
            "on other servers miss them, and this server's miss theirs; trying again every %g s",
            self._where,
            exc,
            RETRY_S,
        )

    def _back(self) -> None:
        if self._down:
            self._down = False
            log.warning("the live feed reaches Redis at %s again", self._where)


def _tell(subscribers: tuple[Subscriber, ...], points: list[PointRow]) -> None:
    for subscriber in subscribers:
        try:
            subscriber(points)
        except Exception:  # a subscriber's trouble must never fail a commit, nor the others
            log.exception("a live-feed subscriber failed")


def _without_password(url: str) -> str:
    """The Redis URL as the log may show it."""
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
