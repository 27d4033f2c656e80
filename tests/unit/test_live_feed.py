"""The live feed in one process, and across servers through a real Redis: each point reaches each
subscriber once, deployments do not mix, and Redis going away stops no ingest."""

from __future__ import annotations

import logging
import subprocess
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import redis

from meterhub.config import Settings
from meterhub.core.datatypes import Datatype
from meterhub.core.log_limit import LimitedLog
from meterhub.ingest.live_feed import LiveFeed, RedisFeed
from meterhub.ingest.write_path import PointRow
from meterhub.platform import Platform
from tests.conftest import RedisChannel, _free_port, make_account
from tests.factories import datastreams
from tests.mqtt.clients import TS
from tests.waiting import eventually

# One of each storage family, so that the round trip through Redis keeps ints, floats and text.
POINTS: list[PointRow] = [(1, TS, 123_456_789_012), (2, TS, 21.5), (3, TS, "warm ☀")]  # type: ignore[list-item]


class Heard:
    """What a subscriber was told, batch by batch, from any thread."""

    def __init__(self) -> None:
        self.batches: list[list[PointRow]] = []
        self._lock = threading.Lock()

    def __call__(self, points: list[PointRow]) -> None:
        with self._lock:
            self.batches.append(points)

    def has(self, points: list[PointRow]) -> bool:
        with self._lock:
            return points in self.batches


def marker(n: int) -> list[PointRow]:
    return [(99, TS + n, n)]


def listening(url: str, channel: str, n: int) -> None:
    """Wait until n feeds listen on the channel (a message published before would pass them by)."""
    client = redis.Redis.from_url(url)

    def listened() -> bool:
        try:
            return client.pubsub_numsub(channel) == [(channel.encode(), n)]
        except redis.ConnectionError:  # a server of the test's own, starting
            return False

    try:
        eventually(listened, 5, what="the feeds listening on Redis")
    finally:
        client.close()


@contextmanager
def feeds(
    url: str, *channels: str, relay_delivered: bool = True, limited_log: LimitedLog | None = None
) -> Iterator[list[RedisFeed]]:
    """A RedisFeed per channel given, as the servers of deployments would have them."""
    with ExitStack() as stack:
        made = []
        for channel in channels:
            feed = RedisFeed(
                url, channel=channel, relay_delivered=relay_delivered, limited_log=limited_log or LimitedLog()
            )
            stack.callback(feed.close)
            made.append(feed)
        yield made


def test_the_in_process_feed_tells_each_subscriber_of_each_commit_until_it_unsubscribes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    feed = LiveFeed()
    assert not feed.wanted  # the writer collects no points for nobody

    def failing(points: list[PointRow]) -> None:
        raise RuntimeError("a subscriber's bug")

    first, second = Heard(), Heard()
    feed.subscribe(failing)
    feed.subscribe(first)
    feed.subscribe(second, others=False)
    assert feed.wanted
    feed.publish(POINTS)
    feed.publish(marker(1), delivered=True)  # a broker here delivered these itself
    feed.unsubscribe(first)
    feed.publish(marker(2))
    assert first.batches == [POINTS] and second.batches == [POINTS, marker(2)]
    assert [r.getMessage() for r in caplog.records].count("a live-feed subscriber failed") == 2


def test_points_reach_the_other_servers_of_a_deployment_once_and_no_other_deployment(
    redis_channel: RedisChannel,
) -> None:
    ours, theirs = f"{redis_channel.prefix}:live-feed", f"{redis_channel.prefix}-other:live-feed"
    with feeds(redis_channel.url, ours, ours, theirs, theirs) as (a, b, c, c2):
        heard_a, heard_b, own_b, heard_c = Heard(), Heard(), Heard(), Heard()
        a.subscribe(heard_a)
        b.subscribe(heard_b)
        b.subscribe(own_b, others=False)  # as the Mosquitto bridge: this server's points only
        c.subscribe(heard_c)
        listening(redis_channel.url, ours, 2)
        listening(redis_channel.url, theirs, 1)

        a.publish(POINTS)
        assert heard_a.batches == [POINTS]  # at once, on the publishing thread: not through Redis
        eventually(lambda: heard_b.has(POINTS), 2, what="the points at B")
        # Redis keeps the order of what it was given: once a later message is through, an echo or
        # a leak of the first would be too.
        c2.publish(marker(1))
        eventually(lambda: heard_c.has(marker(1)), 2, what="marker 1 at C")
        b.publish(marker(2))
        eventually(lambda: heard_a.has(marker(2)), 2, what="marker 2 at A")
        a.publish(marker(3))
        eventually(lambda: heard_b.has(marker(3)), 2, what="marker 3 at B")

    assert heard_a.batches == [POINTS, marker(2), marker(3)]
    assert heard_b.batches == [POINTS, marker(2), marker(3)]
    assert own_b.batches == [marker(2)]
    assert heard_c.batches == [marker(1)]
    # Across Redis the values keep their types.
    assert [type(v) for _, _, v in heard_b.batches[0]] == [int, float, str]


def test_points_a_broker_delivered_itself_go_to_the_other_servers_only_when_they_have_brokers_of_their_own(
    redis_channel: RedisChannel,
) -> None:
    channel = f"{redis_channel.prefix}:live-feed"
    with (
        feeds(redis_channel.url, channel, channel) as (embedded, listener),
        feeds(redis_channel.url, channel, relay_delivered=False) as (mosquitto,),
    ):
        here, there = Heard(), Heard()
        embedded.subscribe(here)
        listener.subscribe(there)
        listening(redis_channel.url, channel, 2)
        embedded.publish(POINTS, delivered=True)
        eventually(lambda: there.has(POINTS), 2, what="the points at the other feed")
        mosquitto.publish(marker(1), delivered=True)  # every client has it: one Mosquitto for all
        mosquitto.publish(marker(2))
        eventually(lambda: there.has(marker(2)), 2, what="marker 2 at the other feed")
    assert here.batches == [marker(2)]
    assert there.batches == [POINTS, marker(2)]


@contextmanager
def redis_server(port: int, directory: Path) -> Iterator[None]:
    """A Redis server of this test's own on the port, stopped afterwards."""
    with subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
         "--dir", str(directory)],
        stdout=subprocess.DEVNULL,
    ) as server:  # fmt: skip
        try:
            yield
        finally:
            server.terminate()
            server.wait(10)


def test_a_redis_outage_stops_no_ingest_is_logged_once_and_the_feed_comes_back(
    redis_channel: RedisChannel, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = _free_port()  # nothing listens there yet
    url, channel = f"redis://127.0.0.1:{port}/0", f"{redis_channel.prefix}:live-feed"
    settings = Settings(data_dir=tmp_path, mqtt_port=0, redis_url=url, redis_prefix=redis_channel.prefix)
    platform = Platform(settings)
    caplog.set_level(logging.INFO, logger="meterhub.ingest.live_feed")
    with ExitStack() as stack:
        stack.callback(platform.close)
        account = make_account(platform)
        (stream,) = datastreams(
            platform, site_id=account.site_id, prefix="outage", streams={"t": Datatype.DOUBLE}
        ).values()
        # Logging as this process does, so that the two feeds' lines count as one server's.
        (other,) = stack.enter_context(feeds(url, channel, limited_log=platform.limited_log))
        here, there = Heard(), Heard()
        platform.feed.subscribe(here)
        other.subscribe(there)
        for i in range(5):
            assert platform.writer.write([(stream.id, TS + i, float(i))]).stored == 1
        assert len(here.batches) == 5  # this server's subscribers do not need Redis
        eventually(
            lambda: any("cannot reach Redis" in r.getMessage() for r in caplog.records),
            5,
            what="the log line on Redis out of reach",
        )
        told = [r.getMessage() for r in caplog.records if "cannot reach Redis" in r.getMessage()]
        assert len(told) == 1 and f"127.0.0.1:{port}" in told[0], told

        stack.enter_context(redis_server(port, tmp_path))
        listening(url, channel, 2)  # both listeners are back
        eventually(
            lambda: any("reaches Redis" in r.getMessage() for r in caplog.records),
            5,
            what="the log line on Redis back",
        )
        # The sender may wait out its second before it tries again: what it is given meanwhile is
        # dropped, so a point a time until one is through.
        written: list[PointRow] = []

        def one_more_and_through() -> bool:
            written.append((stream.id, TS + 100 + len(written), 1.0))  # type: ignore[arg-type]
            platform.writer.write(written[-1:])
            return any(there.has([point]) for point in written)

        eventually(one_more_and_through, 5, what="a point through the feed again")
        other.publish(marker(1))
        eventually(lambda: here.has(marker(1)), 2, what="marker 1 here")
    told = [r.getMessage() for r in caplog.records if "cannot reach Redis" in r.getMessage()]
    assert len(told) == 1, told
