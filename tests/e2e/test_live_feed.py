"""Two `meterhub serve` processes on one PostgreSQL database: with METERHUB_REDIS_URL an MQTT
subscriber on one gets, once, the readings stored through the other; without it (the default) each
server feeds its own subscribers only."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
import redis
from sqlalchemy import create_engine, text

from meterhub.auth import keys
from meterhub.auth.passwords import hash_password
from meterhub.core.datatypes import Datatype
from meterhub.demo.sample import sample_telegram
from meterhub.store import accounts, datasets
from meterhub.store.db import Database
from tests.conftest import RedisChannel, _free_port
from tests.e2e.commands import answering, output_until_serving, serving
from tests.mqtt.clients import connect
from tests.waiting import eventually


@dataclass
class Served:
    url: str
    mqtt_port: int
    heard: list[tuple[str, bytes]]  # what a subscriber to every topic on its broker got
    lock: threading.Lock

    def got(self) -> list[tuple[str, bytes]]:
        with self.lock:
            return list(self.heard)


@dataclass
class Deployment:
    a: Served
    b: Served
    key: str
    marker_topic: str


@contextmanager
def deployment(tmp_path: Path, postgres_url: str, env: dict[str, str]) -> Iterator[Deployment]:
    """Servers A and B on the database, each with its embedded broker and a subscriber to "#" there,
    and a key that may post telegrams, publish and subscribe."""
    key = _account(postgres_url)
    env = {"METERHUB_DATABASE_URL": postgres_url, **env}
    with ExitStack() as stack:
        ports = [(_free_port(), _free_port()) for _ in "ab"]
        servers = [
            stack.enter_context(serving(tmp_path / name, port, mqtt_port, env=env))
            for name, (port, mqtt_port) in zip("ab", ports, strict=True)
        ]
        for server, (port, _) in zip(servers, ports, strict=True):
            # Started together (the account is there: no first start to race); answering once their
            # brokers listen.
            output_until_serving(server)
            answering(f"http://127.0.0.1:{port}")
        a, b = (
            stack.enter_context(subscribed(f"http://127.0.0.1:{port}", mqtt_port, key, name))
            for name, (port, mqtt_port) in zip("ab", ports, strict=True)
        )
        yield Deployment(a, b, key, "marker/x")


def _account(postgres_url: str) -> str:
    """A site with the marker dataset, and a key to it that may post, publish and subscribe."""
    db = Database(postgres_url)
    try:
        with db.writer.begin() as conn:
            user_id = accounts.add_user(conn, email="owner@example.org", password_hash=hash_password("x"))
            site_id = accounts.add_site(conn, name="Home", timezone="Europe/Amsterdam", owner_id=user_id)
            dataset = datasets.add_dataset(conn, site_id=site_id, topic_prefix="marker")
            datasets.add_stream(conn, dataset_id=dataset.id, topic_suffix="x", datatype=Datatype.DOUBLE)
            scopes = ("write", "read", "mqtt-pubsub")
            return keys.issue_key(conn, user_id=user_id, site_id=site_id, scopes=scopes)[1]
    finally:
        db.dispose()


@contextmanager
def subscribed(url: str, mqtt_port: int, key: str, name: str) -> Iterator[Served]:
    heard: list[tuple[str, bytes]] = []
    lock = threading.Lock()
    client, codes = connect(mqtt_port, key, f"subscriber-on-{name}")
    assert codes == [0]

    def took(_c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        with lock:
            heard.append((message.topic, message.payload))

    client.on_message = took
    done = threading.Event()
    client.on_subscribe = lambda *_: done.set()
    client.subscribe("#", qos=0)
    assert done.wait(5)
    try:
        yield Served(url, mqtt_port, heard, lock)
    finally:
        client.disconnect()
        client.loop_stop()


def post_telegram(d: Deployment, server: Served) -> None:
    telegram = sample_telegram(datetime.now(UTC))
    answer = httpx.post(
        f"{server.url}/api/v1/datalogger/dsmrreading",
        headers={"X-AUTHKEY": d.key},
        data={"telegram": telegram},
    )
    assert answer.status_code == 201, answer.text


def publish_marker(d: Deployment, server: Served) -> bytes:
    """A message published on the server's broker (QoS 1: stored once acknowledged); its payload."""
    client, _ = connect(server.mqtt_port, d.key, f"marker-{time.monotonic_ns()}")
    payload = json.dumps({"timestamp": int(time.time() * 1000), "value": 1.5}).encode()
    client.publish(d.marker_topic, payload, qos=1).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()
    return payload


def stored_points(postgres_url: str) -> int:
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            return sum(
                conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("points", "points_real", "points_text")
            )
    finally:
        engine.dispose()


def feeding(channel: RedisChannel, servers: int) -> None:
    """Wait until the servers' feeds listen on the deployment's channel."""
    name = f"{channel.prefix}:live-feed"
    client = redis.Redis.from_url(channel.url)
    try:
        eventually(
            lambda: client.pubsub_numsub(name) == [(name.encode(), servers)],
            10,
            what="the servers' feeds listening on Redis",
        )
    finally:
        client.close()


def telegram_messages(heard: list[tuple[str, bytes]], marker_topic: str) -> Counter[tuple[str, bytes]]:
    return Counter(message for message in heard if message[0] != marker_topic)


def test_a_subscriber_on_one_server_gets_a_reading_stored_through_another_once(
    tmp_path: Path, postgres_url: str, redis_channel: RedisChannel
) -> None:
    with deployment(tmp_path, postgres_url, redis_channel.env) as d:
        feeding(redis_channel, 2)
        post_telegram(d, d.b)
        points = stored_points(postgres_url)
        assert points > 10  # the sample's registers, power, voltages, gas …
        # (how soon is the benchmarks' business: a loaded CI machine may take more than a second)
        eventually(lambda: len(d.a.got()) >= points, 10, what="the telegram's points at A")
        # Each server's feed keeps the order of the commits: once a later message is through on
        # both, an echo of the telegram's would have been too.
        on_a = publish_marker(d, d.a)
        eventually(lambda: (d.marker_topic, on_a) in d.b.got(), 10, what="A's marker at B")
        on_b = publish_marker(d, d.b)
        eventually(lambda: (d.marker_topic, on_b) in d.a.got(), 10, what="B's marker at A")
        a, b = d.a.got(), d.b.got()
    telegram_on_a = telegram_messages(a, d.marker_topic)
    assert sum(telegram_on_a.values()) == points and set(telegram_on_a.values()) == {1}, telegram_on_a
    assert telegram_messages(b, d.marker_topic) == telegram_on_a
    assert Counter(m for m in a if m[0] == d.marker_topic) == {
        (d.marker_topic, on_a): 1,
        (d.marker_topic, on_b): 1,
    }
    assert Counter(m for m in b if m[0] == d.marker_topic)[(d.marker_topic, on_a)] == 1


def test_without_redis_each_server_feeds_only_its_own_subscribers(tmp_path: Path, postgres_url: str) -> None:
    with deployment(tmp_path, postgres_url, {}) as d:
        post_telegram(d, d.b)
        points = stored_points(postgres_url)
        eventually(lambda: len(d.b.got()) >= points, 10, what="the telegram's points at B")
        on_a = publish_marker(d, d.a)
        eventually(lambda: (d.marker_topic, on_a) in d.a.got(), 10, what="A's marker at A")
        a, b = d.a.got(), d.b.got()
    assert a == [(d.marker_topic, on_a)]  # nothing of the telegram stored through B
    assert len(b) == points and (d.marker_topic, on_a) not in b
