"""Section 3 of the energydata.dk document on an external Mosquitto (dynamic security, persistence),
with meterhub ingesting through its persistent session; paho-mqtt as the client.

Where Mosquitto differs from the document (CONTRACT.md): the token is also the password, a forbidden
publish is dropped rather than disconnected, and a PUBACK means the broker has the message; so
these tests wait for points to be stored instead of taking the PUBACK for it.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from meterhub.auth import keys
from meterhub.core.datatypes import Datatype
from meterhub.ingest.write_path import BatchOutcome, PointRow
from meterhub.mqtt.bridge import MosquittoBridge
from meterhub.mqtt.broker_accounts import BrokerAccounts
from meterhub.mqtt.dynsec import BrokerUrl, DynamicSecurity
from meterhub.platform import Platform
from meterhub.store import accounts
from tests.conftest import Account, Server, make_account
from tests.factories import datastreams, token
from tests.mqtt.clients import (
    BAD_MESSAGES,
    TS,
    WILDCARD_TOPICS,
    connect,
    documents_loop,
    raw_publish,
    stored,
    subscribe,
)
from tests.mqtt.mosquitto import Mosquitto, mosquitto
from tests.waiting import eventually


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    with mosquitto(tmp_path / "mosquitto") as started:
        yield started


@pytest.fixture
def bridge(platform: Platform, broker: Mosquitto) -> Iterator[MosquittoBridge]:
    """meterhub's ingest worker on that broker, as `meterhub serve` runs it with METERHUB_MQTT_URL."""
    worker = MosquittoBridge(platform, BrokerUrl.parse(broker.admin_url), client_id="meterhub-ingest")
    worker.start()
    platform.broker_accounts = worker.accounts
    yield worker
    platform.broker_accounts = None
    worker.stop()


@pytest.fixture
def streams(platform: Platform, account: Account) -> dict[str, int]:
    """The document's topics: my-topic-prefix/my/topic/suffix, …suffix1 … suffix4."""
    suffixes = {"my/topic/suffix": Datatype.DOUBLE}
    suffixes |= {f"my/topic/suffix{i}": Datatype.DOUBLE for i in range(1, 5)}
    found = datastreams(platform, site_id=account.site_id, prefix="my-topic-prefix", streams=suffixes)
    return {suffix: s.id for suffix, s in found.items()}


def pubsub(platform: Platform, account: Account) -> str:
    return token(platform, user_id=account.user_id, scopes=("mqtt-pubsub",))


def test_a_single_value_publish_is_stored(
    bridge: MosquittoBridge, broker: Mosquitto, platform: Platform, account: Account, streams: dict[str, int]
) -> None:
    key = pubsub(platform, account)
    client, codes = connect(broker.port, key, password=key)
    assert codes == [0]
    client.publish(
        "my-topic-prefix/my/topic/suffix", json.dumps({"timestamp": TS, "value": 14.47}), qos=1
    ).wait_for_publish(10)
    eventually(
        lambda: stored(platform, streams["my/topic/suffix"]) == [(TS, 14.47)], what="the message stored"
    )
    client.disconnect()


def test_the_token_must_also_be_the_password(
    bridge: MosquittoBridge, broker: Mosquitto, platform: Platform, account: Account
) -> None:
    key = pubsub(platform, account)
    for password in (None, "", "anything"):
        client, codes = connect(broker.port, key, password=password)
        assert codes and codes[0] != 0
        client.loop_stop()
    for key in ("nope", token(platform, user_id=account.user_id, scopes=("read",))):
        client, codes = connect(broker.port, key, password=key)
        assert codes and codes[0] != 0
        client.loop_stop()


def test_a_subscription_receives_single_and_multi_value_messages(
    bridge: MosquittoBridge, broker: Mosquitto, platform: Platform, account: Account, streams: dict[str, int]
) -> None:
    key = pubsub(platform, account)
    listener, _ = connect(broker.port, key, "listener", password=key)
    got: list[tuple[str, dict[str, object]]] = []
    listener.on_message = lambda c, u, m: got.append((m.topic, json.loads(m.payload)))
    subscribe(listener, "#", qos=1)
    publisher, _ = connect(broker.port, key, "publisher", password=key)
    single = {"timestamp": TS, "value": 14.47}
    multi = {"timestamp": TS + 1, "value": {"my/topic/suffix1": 14.47, "my/topic/suffix2": 34}}
    publisher.publish("my-topic-prefix/my/topic/suffix", json.dumps(single), qos=1).wait_for_publish(10)
    publisher.publish("my-topic-prefix", json.dumps(multi), qos=1).wait_for_publish(10)
    eventually(lambda: len(got) == 2, what="both messages at the listener")
    assert got == [("my-topic-prefix/my/topic/suffix", single), ("my-topic-prefix", multi)]
    eventually(
        lambda: stored(platform, streams["my/topic/suffix2"]) == [(TS + 1, 34.0)],
        what="the multi-value message stored",
    )
    assert stored(platform, streams["my/topic/suffix1"]) == [(TS + 1, 14.47)]
    publisher.disconnect()
    listener.disconnect()


def test_points_stored_by_http_reach_subscribers(
    bridge: MosquittoBridge,
    broker: Mosquitto,
    server: Server,
    platform: Platform,
    account: Account,
    streams: dict[str, int],
) -> None:
    key = pubsub(platform, account)
    listener, _ = connect(broker.port, key, "listener", password=key)
    got: list[tuple[str, bytes]] = []
    listener.on_message = lambda c, u, m: got.append((m.topic, m.payload))
    subscribe(listener, "my-topic-prefix/#", qos=0)
    platform.writer.write([(streams["my/topic/suffix3"], TS, 4.87)])
    eventually(
        lambda: got == [("my-topic-prefix/my/topic/suffix3", b'{"timestamp": 1521797973469, "value": 4.87}')],
        what="the point at the listener",
    )
    listener.disconnect()


def test_messages_of_datasets_a_token_may_not_read_never_reach_it(
    bridge: MosquittoBridge, broker: Mosquitto, platform: Platform, account: Account, streams: dict[str, int]
) -> None:
    stranger = make_account(platform, email="stranger@example.org")
    own = datastreams(platform, site_id=stranger.site_id, prefix="theirs", streams={"x": Datatype.DOUBLE})
    theirs = pubsub(platform, stranger)
    listener, _ = connect(broker.port, theirs, "stranger", password=theirs)
    got: list[str] = []
    listener.on_message = lambda c, u, m: got.append(m.topic)
    subscribe(listener, "#", qos=1)
    mine = pubsub(platform, account)
    publisher, _ = connect(broker.port, mine, "owner", password=mine)
    publisher.publish(
        "my-topic-prefix/my/topic/suffix", json.dumps({"timestamp": TS, "value": 1.0}), qos=1
    ).wait_for_publish(10)
    eventually(lambda: stored(platform, streams["my/topic/suffix"]) == [(TS, 1.0)], what="the message stored")
    # A point stored later, which the stranger may read, comes through after any copy of the owner's.
    platform.writer.write([(own["x"].id, TS, 2.0)])
    eventually(lambda: bool(got), what="the stranger's own point at its listener")
    assert got == ["theirs/x"]
    publisher.disconnect()
    listener.disconnect()


def test_a_forbidden_publish_is_never_stored_and_mqtt5_clients_hear_not_authorized(
    bridge: MosquittoBridge, broker: Mosquitto, platform: Platform, account: Account, streams: dict[str, int]
) -> None:
    stranger = make_account(platform, email="stranger@example.org")
    theirs = pubsub(platform, stranger)
    reasons: list[int] = []
    intruder = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="intruder", protocol=mqtt.MQTTv5)
    intruder.username_pw_set(theirs, theirs)
    intruder.on_publish = lambda c, u, mid, rc, props=None: reasons.append(rc.value)
    intruder.connect("127.0.0.1", broker.port)
    intruder.loop_start()
    intruder.publish(
        "my-topic-prefix/my/topic/suffix", json.dumps({"timestamp": TS, "value": 666.0}), qos=1
    ).wait_for_publish(10)
    assert reasons == [0x87]  # not authorized; Mosquitto keeps the client connected
    mine = pubsub(platform, account)
    owner, _ = connect(broker.port, mine, "owner", password=mine)
    owner.publish(
        "my-topic-prefix/my/topic/suffix", json.dumps({"timestamp": TS + 1, "value": 1.0}), qos=1
    ).wait_for_publish(10)
    eventually(
        lambda: stored(platform, streams["my/topic/suffix"]) == [(TS + 1, 1.0)], what="the message stored"
    )
    intruder.disconnect()
    intruder.loop_stop()
    owner.disconnect()


def test_a_revoked_token_loses_its_connection_and_cannot_come_back(
    bridge: MosquittoBridge, broker: Mosquitto, server: Server, platform: Platform, account: Account
) -> None:
    key = pubsub(platform, account)
    client, codes = connect(broker.port, key, password=key)
    assert codes == [0]
    with platform.db.reader.connect() as conn:
        (cred,) = [c for c in accounts.list_credentials(conn) if c.hint == key[:4] and c.kind == "api_key"]
    revoked = server.client().delete(
        f"/api/meterhub/v1/tokens/{cred.id}", auth=("owner@example.org", "correct horse")
    )
    assert revoked.status_code == 204
    eventually(lambda: not client.is_connected(), 5, what="the revoked token's client disconnected")
    client.loop_stop()
    again, codes = connect(broker.port, key, password=key)
    assert codes and codes[0] != 0
    again.loop_stop()


def test_an_expired_token_loses_its_connection(
    bridge: MosquittoBridge, broker: Mosquitto, platform: Platform, account: Account
) -> None:
    with platform.db.writer.begin() as conn:
        _, key = keys.issue_key(
            conn,
            user_id=account.user_id,
            site_id=None,
            scopes=("mqtt-pubsub",),
            expires_ms=accounts.now_ms() + 1500,
        )
        bridge.accounts.issued(conn, key)
    client, codes = connect(broker.port, key, password=key)
    assert codes == [0]
    eventually(lambda: not client.is_connected(), 5, what="the client disconnected")
    client.loop_stop()


def test_a_token_revoked_while_meterhub_was_away_is_dropped_when_it_starts_and_the_log_says_why(
    broker: Mosquitto, platform: Platform, account: Account, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="meterhub")
    with DynamicSecurity(BrokerUrl.parse(broker.admin_url)) as admin, platform.db.writer.begin() as conn:
        key_id, key = keys.issue_key(conn, user_id=account.user_id, site_id=None, scopes=("mqtt-pubsub",))
        BrokerAccounts(platform.db, admin).issued(conn, key)
    with platform.db.writer.begin() as conn:
        accounts.revoke_credential(conn, credential_id=key_id)
    worker = MosquittoBridge(platform, BrokerUrl.parse(broker.admin_url), client_id="meterhub-ingest")
    worker.start()
    try:
        assert f"key {key_id} is revoked: Mosquitto drops its client" in caplog.text
        client, codes = connect(broker.port, key, password=key)
        assert codes and codes[0] != 0
        client.loop_stop()
        assert key not in caplog.text
    finally:
        worker.stop()


def test_bad_messages_are_counted_never_stored_and_the_broker_keeps_serving(
    bridge: MosquittoBridge,
    broker: Mosquitto,
    platform: Platform,
    account: Account,
    streams: dict[str, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="meterhub")
    key = pubsub(platform, account)
    client, _ = connect(broker.port, key, password=key)
    for topic, payload, _problem in BAD_MESSAGES:
        client.publish(topic, payload, qos=1).wait_for_publish(10)
    # MQTT forbids wildcards in a publish: Mosquitto closes that connection, nothing reaches meterhub.
    for topic in WILDCARD_TOPICS:
        assert raw_publish(broker.port, key, topic, b'{"timestamp": 1521797973469, "value": 1}') == b""
    eventually(
        lambda: sum(e.count for e in platform.message_errors.values()) == len(BAD_MESSAGES),
        what="every bad message counted",
    )
    (errors,) = platform.message_errors.values()
    assert client.is_connected()
    assert all(stored(platform, sid) == [] for sid in streams.values())
    client.publish(
        "my-topic-prefix/my/topic/suffix", json.dumps({"timestamp": TS, "value": 14.47}), qos=1
    ).wait_for_publish(10)
    eventually(
        lambda: stored(platform, streams["my/topic/suffix"]) == [(TS, 14.47)], what="the good message stored"
    )
    assert errors.count == len(BAD_MESSAGES)
    # The log tells of each kind of problem once a minute: not JSON, not a message, a bad value, too
    # large, no such datastream, seconds, a timestamp that is no number, outside the time window.
    told = [r.getMessage() for r in caplog.records if "was not stored" in r.getMessage()]
    assert len(told) == 8
    assert key not in caplog.text
    client.disconnect()


def test_the_qos1_loop_of_section_3_6_stores_exactly_10000_points(
    bridge: MosquittoBridge, broker: Mosquitto, platform: Platform, account: Account, streams: dict[str, int]
) -> None:
    # Mosquitto acknowledges on receipt, quicker than a millisecond: many of the loop's messages
    # share a stamp, and each later one is stored at the next free millisecond.
    key = pubsub(platform, account)
    documents_loop(broker.port, key, "my-topic-prefix/my/topic/suffix", 10000, password=key)
    eventually(
        lambda: len(stored(platform, streams["my/topic/suffix"])) >= 10000, 30, what="10,000 messages stored"
    )
    assert [v for _, v in stored(platform, streams["my/topic/suffix"])] == list(range(10000))
    assert platform.message_errors == {}


def ingest_worker(platform: Platform, broker: Mosquitto) -> subprocess.Popen[str]:
    """`meterhub mqtt-ingest` in a process of its own, started (its session subscribed)."""
    settings = platform.settings
    env = {
        **os.environ,
        "METERHUB_DATA_DIR": str(settings.data_dir),
        "METERHUB_DATABASE_URL": settings.resolved_database_url,
        "METERHUB_MQTT_URL": broker.admin_url,
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "meterhub", "mqtt-ingest"], env=env, stdout=subprocess.PIPE, text=True
    )
    assert worker.stdout is not None and "ingest worker" in worker.stdout.readline()
    worker.stdout.close()  # it says nothing more there
    return worker


def test_kill_9_mid_stream_loses_no_acknowledged_message_and_stores_none_twice(
    broker: Mosquitto, platform: Platform, account: Account, streams: dict[str, int]
) -> None:
    worker = ingest_worker(platform, broker)
    with DynamicSecurity(BrokerUrl.parse(broker.admin_url)) as admin, platform.db.writer.begin() as conn:
        _, key = keys.issue_key(conn, user_id=account.user_id, site_id=None, scopes=("mqtt-pubsub",))
        BrokerAccounts(platform.db, admin).issued(conn, key)
    acked: list[int] = []
    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="stream")
    publisher.username_pw_set(key, key)
    publisher.max_inflight_messages_set(20)
    publisher.on_publish = lambda c, u, mid, rc, props=None: acked.append(mid)
    publisher.connect("127.0.0.1", broker.port)
    publisher.loop_start()
    total, sid = 20_000, streams["my/topic/suffix"]
    for i in range(total):
        publisher.publish(
            "my-topic-prefix/my/topic/suffix", json.dumps({"timestamp": TS + i, "value": i}), qos=1
        )
        if i == 2_000:  # meterhub is taking messages: kill it without warning
            eventually(lambda: len(stored(platform, sid)) > 500, what="half of the messages stored")
            worker.kill()
            worker.wait()
            at_kill = len(stored(platform, sid))
    eventually(
        lambda: len(acked) == total, 30, what="every message acknowledged by Mosquitto"
    )  # the broker has them all, meterhub is away
    assert len(stored(platform, sid)) == at_kill
    worker = ingest_worker(platform, broker)
    try:
        eventually(lambda: len(stored(platform, sid)) >= total, 60, what="every message stored")
        assert stored(platform, sid) == [(TS + i, float(i)) for i in range(total)]
        assert platform.message_errors == {}
    finally:
        worker.terminate()
        worker.wait(10)
        publisher.disconnect()
        publisher.loop_stop()


def test_a_token_the_broker_cannot_take_is_not_issued(
    bridge: MosquittoBridge, broker: Mosquitto, server: Server, platform: Platform, account: Account
) -> None:
    owner = ("owner@example.org", "correct horse")
    broker.process.terminate()
    broker.process.wait(10)
    eventually(lambda: not bridge.accounts.admin.connected, 5, what="the bridge's admin connection to end")
    made = server.client().post(
        "/api/meterhub/v1/tokens", json={"name": "sensor", "permissions": ["mqtt-pubsub"]}, auth=owner
    )
    assert made.status_code == 503 and "not reachable" in made.json()["detail"]
    listed = server.client().get("/api/meterhub/v1/tokens", auth=owner).json()
    assert [t["permissions"] for t in listed] == [["read", "write"]]  # the account's key alone


def test_qos_0_and_2_are_stored_too(
    bridge: MosquittoBridge, broker: Mosquitto, platform: Platform, account: Account, streams: dict[str, int]
) -> None:
    key = pubsub(platform, account)
    client, _ = connect(broker.port, key, password=key)
    for qos, ts in ((0, TS), (2, TS + 1)):
        client.publish(
            "my-topic-prefix/my/topic/suffix", json.dumps({"timestamp": ts, "value": qos}), qos=qos
        )
    eventually(
        lambda: stored(platform, streams["my/topic/suffix"]) == [(TS, 0.0), (TS + 1, 2.0)],
        what="both messages stored",
    )
    client.disconnect()


def test_a_message_the_database_fails_to_take_is_written_again_not_lost(
    bridge: MosquittoBridge,
    broker: Mosquitto,
    platform: Platform,
    account: Account,
    streams: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real, failures = platform.writer.submit, [RuntimeError("the database restarts")]

    def failing_once(
        rows: list[PointRow], extra: None = None, *, feed: bool = True, move: bool = False
    ) -> Future[BatchOutcome]:
        if not failures:
            return real(rows, extra, feed=feed, move=move)
        failed: Future[BatchOutcome] = Future()
        failed.set_exception(failures.pop())
        return failed

    monkeypatch.setattr(platform.writer, "submit", failing_once)
    key = pubsub(platform, account)
    client, _ = connect(broker.port, key, password=key)
    client.publish("my-topic-prefix/my/topic/suffix", json.dumps({"timestamp": TS, "value": 1.5}), qos=1)
    eventually(
        lambda: stored(platform, streams["my/topic/suffix"]) == [(TS, 1.5)], 5, what="the message stored"
    )
    assert failures == [] and platform.message_errors == {}
    client.disconnect()
