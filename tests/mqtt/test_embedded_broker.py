"""Section 3 of the energydata.dk document on the embedded broker, with paho-mqtt as the client."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from meterhub.auth import keys
from meterhub.core.datatypes import Datatype
from meterhub.mqtt import embedded
from meterhub.mqtt.embedded import EmbeddedBroker
from meterhub.platform import Platform
from meterhub.store import accounts, datasets
from tests.conftest import Account, Server, _free_port, make_account
from tests.factories import datastreams, token
from tests.mqtt.clients import (
    BAD_MESSAGES,
    TS,
    WILDCARD_TOPICS,
    connect,
    documents_loop,
    raw_publish,
    single_value,
    stored,
    subscribe,
)
from tests.waiting import eventually, until


@dataclass
class Running:
    port: int
    broker: EmbeddedBroker


@contextmanager
def running_broker(platform: Platform, **listeners: Any) -> Iterator[EmbeddedBroker]:
    """The embedded broker on loopback, on an event loop of its own."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> EmbeddedBroker:
        broker = EmbeddedBroker(platform, host="127.0.0.1", **listeners)
        await broker.start()
        return broker

    broker = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    try:
        yield broker
    finally:
        asyncio.run_coroutine_threadsafe(broker.shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture
def broker(platform: Platform) -> Iterator[Running]:
    """The embedded broker on a free loopback port."""
    port = _free_port()
    with running_broker(platform, port=port) as started:
        yield Running(port, started)


@pytest.fixture
def streams(platform: Platform, account: Account) -> dict[str, int]:
    """The document's topics: my-topic-prefix/my/topic/suffix, …suffix1 … suffix4."""
    suffixes = {"my/topic/suffix": Datatype.DOUBLE}
    suffixes |= {f"my/topic/suffix{i}": Datatype.DOUBLE for i in range(1, 5)}
    found = datastreams(platform, site_id=account.site_id, prefix="my-topic-prefix", streams=suffixes)
    return {suffix: s.id for suffix, s in found.items()}


def test_a_single_value_is_stored_before_its_puback(
    broker: Running, platform: Platform, account: Account, streams: dict[str, int]
) -> None:
    client, codes = connect(broker.port, token(platform, user_id=account.user_id, scopes=("mqtt-pubsub",)))
    assert codes == [0]
    info = client.publish(
        "my-topic-prefix/my/topic/suffix", json.dumps({"timestamp": TS, "value": 14.47}), qos=1
    )
    info.wait_for_publish(timeout=10)
    assert stored(platform, streams["my/topic/suffix"]) == [(TS, 14.47)]  # already, at the PUBACK
    client.disconnect()


def test_a_multi_value_message_stores_each_value_at_its_timestamp(
    broker: Running, platform: Platform, account: Account, streams: dict[str, int]
) -> None:
    client, _ = connect(broker.port, token(platform, user_id=account.user_id, scopes=("mqtt-pubsub",)))
    values = {f"my/topic/suffix{i}": v for i, v in ((1, 14.47), (2, 34), (3, 4.87), (4, 1))}
    client.publish("my-topic-prefix", json.dumps({"timestamp": TS, "value": values}), qos=1).wait_for_publish(
        10
    )
    for suffix, value in values.items():
        assert stored(platform, streams[suffix]) == [(TS, float(value))]
    client.disconnect()


def test_unknown_tokens_and_tokens_without_the_permission_are_refused(
    broker: Running, platform: Platform, account: Account
) -> None:
    for key in ("nope", token(platform, user_id=account.user_id, scopes=("read",))):
        client, codes = connect(broker.port, key)
        assert codes and codes[0] != 0
        client.loop_stop()


@pytest.mark.parametrize("protocol", [mqtt.MQTTv5, mqtt.MQTTv31])
def test_other_mqtt_versions_hear_that_the_embedded_broker_speaks_3_1_1(
    broker: Running,
    platform: Platform,
    account: Account,
    protocol: mqtt.MQTTProtocolVersion,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """amqtt speaks MQTT 3.1.1 only: an MQTT 5 or 3.1 client is refused at CONNECT, before it can
    publish anything, with the code that says so in its own version (so no PUBACK reason codes on
    the embedded broker), and the broker goes on serving 3.1.1 clients."""
    key = token(platform, user_id=account.user_id, scopes=("mqtt-pubsub",))
    client, codes = connect(broker.port, key, protocol=protocol)
    client.loop_stop()
    assert codes == [0x84]  # "unsupported protocol version" (paho reads 3.1's return code 1 so too)
    (told,) = [
        r.getMessage() for r in caplog.records if "refused: it speaks protocol level" in r.getMessage()
    ]
    assert "connect with 3.1.1, or use an external Mosquitto (METERHUB_MQTT_URL)" in told
    client, codes = connect(broker.port, key)
    assert codes == [0]
    client.disconnect()


def test_a_refused_login_is_logged_with_its_client_id_and_why_never_with_the_token(
    broker: Running, platform: Platform, account: Account, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="meterhub")
    with platform.db.writer.begin() as conn:
        revoked_id, revoked = keys.issue_key(
            conn, user_id=account.user_id, site_id=None, scopes=("mqtt-pubsub",)
        )
        accounts.revoke_credential(conn, credential_id=revoked_id)
        expired_id, expired = keys.issue_key(
            conn, user_id=account.user_id, site_id=None, scopes=("mqtt-pubsub",), expires_ms=1
        )
    without = token(platform, user_id=account.user_id, scopes=("read",))
    tries = [("nope", "m-1"), ("nope", "m-1"), (revoked, "m-2"), (expired, "m-3"), (without, "m-4")]
    for key, client_id in tries:  # the second try of the unknown key: held back, a minute not being up
        client, codes = connect(broker.port, key, client_id)
        assert codes and codes[0] != 0
        client.loop_stop()
    willing = token(platform, user_id=account.user_id, scopes=("mqtt-pubsub",))
    client, codes = connect(broker.port, willing, "m-5", will=("nobodys/x", b"gone"))
    assert codes and codes[0] != 0
    client.loop_stop()
    told = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert [line.split(" refused: ")[1] for line in told] == [
        "an unknown key",
        f"key {revoked_id} is revoked",
        f"key {expired_id} has expired",
        f"key {revoked_id + 2} lacks the mqtt-pubsub permission",
        "its last will goes to 'nobodys/x': no dataset has the topic prefix 'nobodys'",
    ]
    assert all(f"MQTT login of client 'm-{i}' from 127.0.0.1:" in told[i - 1] for i in range(1, 6))
    assert not any(key in caplog.text for key in (revoked, expired, without, willing))


def test_a_publish_where_the_token_may_not_is_logged_with_why(
    broker: Running,
    platform: Platform,
    account: Account,
    streams: dict[str, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="meterhub")
    stranger = make_account(platform, email="stranger@example.org")
    theirs = token(platform, user_id=stranger.user_id, scopes=("mqtt-pubsub",))
    for topic, why in (
        ("my-topic-prefix/my/topic/suffix", "may not write to dataset"),
        ("nobodys-prefix/x", "no dataset has the topic prefix 'nobodys-prefix'"),
    ):
        intruder, _ = connect(broker.port, theirs, "intruder")
        gone = threading.Event()
        intruder.on_disconnect = lambda *args, gone=gone: gone.set()
        intruder.publish(topic, single_value(1.5), qos=1)
        assert gone.wait(5)
        intruder.loop_stop()
        (line,) = [r.getMessage() for r in caplog.records if repr(topic) in r.getMessage()]
        assert "MQTT client '" in line and "/intruder'" in line and why in line and "disconnected" in line
    assert theirs not in caplog.text


def test_a_client_id_belongs_to_its_token(
    broker: Running, platform: Platform, account: Account, streams: dict[str, int]
) -> None:
    mine = token(platform, user_id=account.user_id, scopes=("mqtt-pubsub",))
    stranger = make_account(platform, email="stranger@example.org")
    theirs = token(platform, user_id=stranger.user_id, scopes=("mqtt-pubsub",))
    victim, _ = connect(broker.port, mine, "meter-1")
    got: list[bytes] = []
    victim.on_message = lambda c, u, m: got.append(m.payload)
    subscribe(victim, "my-topic-prefix/#", qos=1)
    # Neither a refused token nor another user's token naming the same client id ends its session.
    for key in ("nope", theirs):
        other, codes = connect(broker.port, key, "meter-1")
        assert codes and (codes[0] == 0) == (key == theirs)
        other.disconnect()
        other.loop_stop()
    # Once the broker is through with the other two, the victim's session is the one left and still
    # takes messages (paho would reconnect a closed victim, but without its subscription).
    eventually(lambda: len(broker.broker.sessions) == 1, 5, what="the other two sessions gone")
    sender, _ = connect(broker.port, mine, "sender")
    message = json.dumps({"timestamp": TS, "value": 1.5})
    sender.publish("my-topic-prefix/my/topic/suffix", message, qos=1).wait_for_publish(10)
    eventually(lambda: bool(got), 5, what="the sender's message at the victim")
    assert got == [message.encode()]
    assert victim.is_connected()
    # The same token with the same client id takes the session over, as MQTT has it.
    ended = threading.Event()
    victim.on_disconnect = lambda *args: ended.set()
    again, codes = connect(broker.port, mine, "meter-1")
    assert codes == [0] and ended.wait(5)
    victim.loop_stop()
    for client in (again, sender):
        client.disconnect()
        client.loop_stop()
    eventually(lambda: not broker.broker.sessions, 5, what="the broker's sessions to end")
    assert broker.broker.sessions == {}  # clean and refused sessions leave nothing behind


def test_a_last_will_on_a_topic_the_token_may_not_publish_to_is_refused_at_connect(
    broker: Running, platform: Platform, account: Account, streams: dict[str, int]
) -> None:
    stranger = make_account(platform, email="stranger@example.org")
    datastreams(platform, site_id=stranger.site_id, prefix="theirs", streams={"x": Datatype.DOUBLE})
    key = token(platform, user_id=account.user_id, scopes=("mqtt-pubsub",))
    for will, allowed in (("theirs/x", False), ("my-topic-prefix/my/topic/suffix", True)):
        client, codes = connect(broker.port, key, "testament", will=(will, single_value(1.0)))
        assert codes and (codes[0] == 0) == allowed
        client.disconnect()
        client.loop_stop()


def test_a_forbidden_publish_disconnects_that_client_only_and_stores_nothing(
    broker: Running, platform: Platform, account: Account, streams: dict[str, int]
) -> None:
    stranger = make_account(platform, email="stranger@example.org")
    theirs = datastreams(platform, site_id=stranger.site_id, prefix="theirs", streams={"x": Datatype.DOUBLE})[
        "x"
    ]
    key = token(platform, user_id=account.user_id, scopes=("mqtt-pubsub",))
    bystander, _ = connect(broker.port, key, "bystander")
    intruder, _ = connect(broker.port, key, "intruder")
    gone = threading.Event()
    intruder.on_disconnect = lambda *args: gone.set()
    info = intruder.publish("theirs/x", json.dumps({"timestamp": TS, "value": 1.0}), qos=1)
    assert gone.wait(5)
    assert not info.is_published()
    assert stored(platform, theirs.id) == []
    bystander.publish(
        "my-topic-prefix/my/topic/suffix", json.dumps({"timestamp": TS, "value": 2.0}), qos=1
    ).wait_for_publish(10)
    assert stored(platform, streams["my/topic/suffix"]) == [(TS, 2.0)]
    bystander.disconnect()
    intruder.loop_stop()


def test_an_invalid_message_is_counted_not_stored_and_the_client_stays(
    broker: Running, server: Server, platform: Platform, account: Account, streams: dict[str, int]
) -> None:
    client, _ = connect(broker.port, token(platform, user_id=account.user_id, scopes=("mqtt-pubsub",)))
    client.publish(
        "my-topic-prefix/my/topic/suffix", b'{"timestamp": 1521797973469, "value": "warm"}', qos=1
    ).wait_for_publish(10)
    client.publish(
        "my-topic-prefix/nothing", b'{"timestamp": 1521797973469, "value": 1}', qos=1
    ).wait_for_publish(10)
    assert client.is_connected()
    (errors,) = platform.message_errors.values()
    assert errors.count == 2 and "no datastream" in errors.last
    listed = server.client().get("/api/meterhub/v1/datasets", auth=("owner@example.org", "correct horse"))
    (shown,) = [d for d in listed.json() if d["topic_prefix"] == "my-topic-prefix"]
    assert (
        shown["message_errors"]["count"] == 2 and "my-topic-prefix/nothing" in shown["message_errors"]["last"]
    )
    assert stored(platform, streams["my/topic/suffix"]) == []
    client.disconnect()


def test_a_flood_of_invalid_messages_is_one_log_line_for_each_kind_of_problem(
    broker: Running,
    platform: Platform,
    account: Account,
    streams: dict[str, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="meterhub")
    key = token(platform, user_id=account.user_id, scopes=("mqtt-pubsub",))
    client, _ = connect(broker.port, key)
    for i in range(200):
        message = single_value(1.5, ts=1521797973 + i)  # seconds, sent as milliseconds
        client.publish("my-topic-prefix/my/topic/suffix", message, qos=1).wait_for_publish(10)
    client.publish("my-topic-prefix/my/topic/suffix", b"14.47", qos=1).wait_for_publish(10)
    (errors,) = platform.message_errors.values()
    assert errors.count == 201
    told = [r.getMessage() for r in caplog.records if "was not stored" in r.getMessage()]
    assert len(told) == 2
    assert "'my-topic-prefix/my/topic/suffix'" in told[0] and "(timestamp in seconds)" in told[0]
    assert "looks like seconds" in told[0] and "(not a message)" in told[1]
    assert key not in caplog.text
    client.disconnect()


def test_subscribers_get_messages_of_datasets_they_may_read(
    broker: Running, platform: Platform, account: Account, streams: dict[str, int]
) -> None:
    key = token(platform, user_id=account.user_id, scopes=("mqtt-pubsub",))
    listener, _ = connect(broker.port, key, "listener")
    got: list[tuple[str, dict[str, object]]] = []
    listener.on_message = lambda c, u, m: got.append((m.topic, json.loads(m.payload)))
    subscribe(listener, "#", qos=1)
    sender, _ = connect(broker.port, key, "sender")
    single = {"timestamp": TS, "value": 14.47}
    multi = {"timestamp": TS + 1, "value": {"my/topic/suffix1": 14.47, "my/topic/suffix2": 34}}
    marker = {"timestamp": TS + 2, "value": 0.5}
    for topic, message in (("my-topic-prefix/my/topic/suffix", single), ("my-topic-prefix", multi)):
        sender.publish(topic, json.dumps(message), qos=1).wait_for_publish(10)
    # A second copy (through the live feed as well) would come before a later message.
    sender.publish("my-topic-prefix/my/topic/suffix", json.dumps(marker), qos=1).wait_for_publish(10)
    eventually(lambda: len(got) >= 3, 5, what="both messages and the marker at the listener")
    assert got == [
        ("my-topic-prefix/my/topic/suffix", single),
        ("my-topic-prefix", multi),
        ("my-topic-prefix/my/topic/suffix", marker),
    ]
    assert stored(platform, streams["my/topic/suffix2"]) == [(TS + 1, 34.0)]
    listener.disconnect()
    sender.disconnect()


def test_a_retained_message_reaches_only_subscribers_who_may_read_it(
    broker: Running, platform: Platform, account: Account, streams: dict[str, int]
) -> None:
    mine = token(platform, user_id=account.user_id, scopes=("mqtt-pubsub",))
    stranger = make_account(platform, email="stranger@example.org")
    theirs = token(platform, user_id=stranger.user_id, scopes=("mqtt-pubsub",))
    datastreams(platform, site_id=stranger.site_id, prefix="theirs", streams={"x": Datatype.DOUBLE})
    sender, _ = connect(broker.port, mine, "sender")
    message = json.dumps({"timestamp": TS, "value": 14.47})
    sender.publish("my-topic-prefix/my/topic/suffix", message, qos=1, retain=True).wait_for_publish(10)
    assert stored(platform, streams["my/topic/suffix"]) == [(TS, 14.47)]
    got: dict[str, list[bytes]] = {mine: [], theirs: []}
    for key in (mine, theirs):
        listener, _ = connect(broker.port, key, f"listener-{key[:6]}")
        listener.on_message = lambda c, u, m, key=key: got[key].append(m.payload)
        subscribe(listener, "#", qos=1)
    # The retained messages go out as the subscriptions are made: before a message published later,
    # which each listener may read (one on its own user's dataset).
    markers = {mine: single_value(1.0, ts=TS + 1), theirs: single_value(2.0)}
    stranger_sender, _ = connect(broker.port, theirs, "stranger-sender")
    sender.publish("my-topic-prefix/my/topic/suffix", markers[mine], qos=1).wait_for_publish(10)
    stranger_sender.publish("theirs/x", markers[theirs], qos=1).wait_for_publish(10)
    eventually(lambda: all(markers[k] in got[k] for k in got), 5, what="each listener's marker")
    assert got == {mine: [message.encode(), markers[mine]], theirs: [markers[theirs]]}
    sender.disconnect()
    stranger_sender.disconnect()


def test_points_stored_by_http_or_import_reach_subscribers_too(
    broker: Running, platform: Platform, account: Account, streams: dict[str, int]
) -> None:
    listener, _ = connect(broker.port, token(platform, user_id=account.user_id, scopes=("mqtt-pubsub",)))
    got: list[tuple[str, dict[str, object]]] = []
    listener.on_message = lambda c, u, m: got.append((m.topic, json.loads(m.payload)))
    subscribe(listener, "my-topic-prefix/my/topic/+", qos=0)
    platform.writer.write(
        [(streams["my/topic/suffix1"], TS, 21.5), (streams["my/topic/suffix2"], TS, -1.33e-16)]
    )
    eventually(lambda: len(got) >= 2, 5, what="both points at the listener")
    assert sorted(got) == [
        ("my-topic-prefix/my/topic/suffix1", {"timestamp": TS, "value": 21.5}),
        ("my-topic-prefix/my/topic/suffix2", {"timestamp": TS, "value": -1.33e-16}),
    ]
    listener.disconnect()


def test_a_subscriber_that_stops_reading_holds_up_no_one_and_only_misses_messages(
    broker: Running,
    platform: Platform,
    account: Account,
    streams: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(embedded, "SUBSCRIBER_QUEUE", 50)
    key = token(platform, user_id=account.user_id, scopes=("mqtt-pubsub",))
    stuck, _ = connect(broker.port, key, "stuck")
    subscribe(stuck, "#", qos=1)
    stuck.loop_stop()  # connected, subscribed, and no longer reading: no delivery is acknowledged
    sender, _ = connect(broker.port, key, "sender")
    for i in range(300):
        message = json.dumps({"timestamp": TS + i, "value": i})
        sender.publish("my-topic-prefix/my/topic/suffix", message, qos=1).wait_for_publish(timeout=10)
    assert len(stored(platform, streams["my/topic/suffix"])) == 300
    assert broker.broker.dropped >= 200  # what the stuck subscriber could not take is not queued for it
    with caplog.at_level("WARNING", logger=embedded.__name__):
        eventually(lambda: "not delivered" in caplog.text, 3, what="the log line on undelivered messages")
    assert "stored but not delivered" in caplog.text
    sender.disconnect()
    stuck.socket().close()


def test_a_persistent_subscriber_gets_what_arrived_while_it_was_away(
    broker: Running, platform: Platform, account: Account, streams: dict[str, int]
) -> None:
    key = token(platform, user_id=account.user_id, scopes=("mqtt-pubsub",))
    got: list[dict[str, object]] = []

    def listener() -> mqtt.Client:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="away", clean_session=False)
        client.username_pw_set(key)
        client.on_message = lambda c, u, m: got.append(json.loads(m.payload))
        subscribed = threading.Event()
        client.on_subscribe = lambda *args: subscribed.set()
        client.on_connect = lambda c, *args: c.subscribe("my-topic-prefix/#", qos=1)
        client.connect("127.0.0.1", broker.port)
        client.loop_start()
        assert subscribed.wait(5)
        return client

    away = listener()
    away.disconnect()
    away.loop_stop()
    sender, _ = connect(broker.port, key, "sender")
    for i in range(3):
        message = json.dumps({"timestamp": TS + i, "value": i})
        sender.publish("my-topic-prefix/my/topic/suffix", message, qos=1).wait_for_publish(10)
    back = listener()
    eventually(lambda: len(got) >= 3, 5, what="the three messages kept while away")
    assert sorted(m["timestamp"] for m in got) == [TS, TS + 1, TS + 2]  # type: ignore[type-var]
    back.disconnect()
    back.loop_stop()
    sender.disconnect()


def test_the_qos1_loop_of_section_3_6_stores_every_message(
    broker: Running, platform: Platform, account: Account, streams: dict[str, int]
) -> None:
    # Stamped by the clock, two of its messages share a millisecond whenever the PUBACK comes back
    # within one: the later is stored at the next free millisecond, so that every message is kept.
    key = token(platform, user_id=account.user_id, scopes=("mqtt-pubsub",))
    documents_loop(broker.port, key, "my-topic-prefix/my/topic/suffix", 10000)
    assert [v for _, v in stored(platform, streams["my/topic/suffix"])] == list(range(10000))
    assert platform.message_errors == {}


def test_a_revoked_token_loses_its_connection_and_cannot_come_back(
    broker: Running, platform: Platform, account: Account, streams: dict[str, int]
) -> None:
    key = token(platform, user_id=account.user_id, scopes=("mqtt-pubsub",))
    client, codes = connect(broker.port, key)
    assert codes == [0]
    gone = threading.Event()
    client.on_disconnect = lambda *args: gone.set()
    with platform.db.writer.begin() as conn:
        (credential,) = [c for c in accounts.list_credentials(conn) if c.scopes == {"mqtt-pubsub"}]
        accounts.revoke_credential(conn, credential_id=credential.id)
    assert gone.wait(5)
    client.loop_stop()
    again, codes = connect(broker.port, key, "again")
    assert codes and codes[0] != 0
    again.loop_stop()


def test_a_client_that_outruns_the_broker_loses_what_exceeds_its_queue_and_no_one_waits(
    broker: Running, platform: Platform, account: Account, streams: dict[str, int]
) -> None:
    key = token(platform, user_id=account.user_id, scopes=("mqtt-pubsub",))
    flooder, _ = connect(broker.port, key, "flooder")
    calm, _ = connect(broker.port, key, "calm")
    # Hold the writer (a commit that waits for the gate), so that the flood piles up in front of it.
    gate = threading.Event()
    held = platform.writer.submit([], extra=lambda conn: gate.wait(30) and None)
    for i in range(3000):
        flooder.publish(
            "my-topic-prefix/my/topic/suffix1", json.dumps({"timestamp": TS + i, "value": i}), qos=0
        )

    def dropped() -> int:
        return sum(e.count for e in platform.message_errors.values())

    eventually(lambda: dropped() >= 2000, 30, what="the whole flood arrived: 1,000 waiting, the rest dropped")
    gate.set()
    held.result(30)
    calm.publish(
        "my-topic-prefix/my/topic/suffix2", json.dumps({"timestamp": TS, "value": 1}), qos=1
    ).wait_for_publish(30)
    kept_and_dropped = until(
        lambda: (len(stored(platform, streams["my/topic/suffix1"])), dropped()),
        lambda counts: sum(counts) >= 3000,
        30,
        what="each of the flood's 3,000 messages stored or dropped",
        every=0.05,
    )
    assert kept_and_dropped == (1000, 2000)  # the queue's 1,000 stored, the rest dropped and counted
    assert stored(platform, streams["my/topic/suffix2"]) == [(TS, 1.0)]
    assert flooder.is_connected()
    flooder.disconnect()
    calm.disconnect()


def test_a_tls_listener_when_a_certificate_is_configured(
    platform: Platform, account: Account, streams: dict[str, int], tmp_path: Path
) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    plain, tls = _free_port(), _free_port()
    with running_broker(platform, port=plain, tls_port=tls, certfile=str(cert), keyfile=str(key)):
        client = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id="tls")
        client.username_pw_set(token(platform, user_id=account.user_id, scopes=("mqtt-pubsub",)))
        client.tls_set(ca_certs=str(cert))  # as the document's example: client.tls_set()
        client.connect("127.0.0.1", tls, 60)
        client.loop_start()
        message = json.dumps({"timestamp": TS, "value": 14.47})
        client.publish("my-topic-prefix/my/topic/suffix", message, qos=1).wait_for_publish(10)
        assert stored(platform, streams["my/topic/suffix"]) == [(TS, 14.47)]
        client.disconnect()
        client.loop_stop()


def test_the_documents_loop_on_a_bare_prefix_topic(
    broker: Running, platform: Platform, account: Account
) -> None:
    # Section 3.6 publishes single values to `my-topic`: the dataset's stream with an empty suffix.
    bare = datastreams(platform, site_id=account.site_id, prefix="my-topic", streams={"": Datatype.INTEGER})[
        ""
    ]
    assert bare.topic == "my-topic"
    documents_loop(
        broker.port, token(platform, user_id=account.user_id, scopes=("mqtt-pubsub",)), "my-topic", 100
    )
    with platform.db.reader.connect() as conn:
        values = [
            v
            for (v,) in conn.exec_driver_sql(f"SELECT v FROM points WHERE stream_id = {bare.id} ORDER BY ts")
        ]
    assert values == list(range(100))


def test_bad_messages_are_counted_never_stored_and_the_broker_keeps_serving(
    broker: Running, platform: Platform, account: Account, streams: dict[str, int]
) -> None:
    key = token(platform, user_id=account.user_id, scopes=("mqtt-pubsub",))
    client, _ = connect(broker.port, key)
    for topic, payload, _problem in BAD_MESSAGES:
        client.publish(topic, payload, qos=1).wait_for_publish(10)
    # MQTT forbids wildcards in a publish (3.3.2-2): the broker counts it and closes that connection.
    for topic in WILDCARD_TOPICS:
        assert raw_publish(broker.port, key, topic, b'{"timestamp": 1521797973469, "value": 1}') == b""
    (errors,) = platform.message_errors.values()
    assert errors.count == len(BAD_MESSAGES) + len(WILDCARD_TOPICS) and "wildcards" in errors.last
    assert client.is_connected()
    assert all(stored(platform, sid) == [] for sid in streams.values())
    client.publish(
        "my-topic-prefix/my/topic/suffix", json.dumps({"timestamp": TS, "value": 14.47}), qos=1
    ).wait_for_publish(10)
    assert stored(platform, streams["my/topic/suffix"]) == [(TS, 14.47)]
    client.disconnect()


def test_qos_0_and_2_are_stored_too(
    broker: Running, platform: Platform, account: Account, streams: dict[str, int]
) -> None:
    client, _ = connect(broker.port, token(platform, user_id=account.user_id, scopes=("mqtt-pubsub",)))
    client.publish(
        "my-topic-prefix/my/topic/suffix", json.dumps({"timestamp": TS, "value": 2.0}), qos=2
    ).wait_for_publish(10)
    assert stored(platform, streams["my/topic/suffix"]) == [(TS, 2.0)]  # at the end of QoS 2's handshake
    client.publish("my-topic-prefix/my/topic/suffix", json.dumps({"timestamp": TS + 1, "value": 0.0}), qos=0)
    eventually(
        lambda: len(stored(platform, streams["my/topic/suffix"])) >= 2, 5, what="the QoS 0 message stored"
    )
    assert stored(platform, streams["my/topic/suffix"]) == [(TS, 2.0), (TS + 1, 0.0)]
    client.disconnect()


def test_a_change_of_a_tokens_datasets_reaches_its_live_connections_within_a_second(
    broker: Running, platform: Platform, account: Account, streams: dict[str, int]
) -> None:
    weather = datastreams(platform, site_id=account.site_id, prefix="weather", streams={"t": Datatype.DOUBLE})
    with platform.db.reader.connect() as conn:
        (document,) = [d.id for d in datasets.list_datasets(conn) if d.topic_prefix == "my-topic-prefix"]
    key = token(platform, user_id=account.user_id, scopes=("mqtt-pubsub",), licensed=(document,))
    listener, _ = connect(broker.port, key, "listener")
    got: list[str] = []
    listener.on_message = lambda c, u, m: got.append(m.topic)
    subscribe(listener, "#", qos=1)
    sender, _ = connect(broker.port, key, "sender")
    gone = threading.Event()
    sender.on_disconnect = lambda *args: gone.set()
    sender.publish("my-topic-prefix/my/topic/suffix", single_value(1.5), qos=1).wait_for_publish(10)
    eventually(
        lambda: got == ["my-topic-prefix/my/topic/suffix"], 5, what="the first message at the listener"
    )

    with platform.db.writer.begin() as conn:  # as PATCH /tokens/{id} {"datasets": [weather]} does
        (credential,) = [c for c in accounts.list_credentials(conn) if c.scopes == {"mqtt-pubsub"}]
        accounts.license_datasets(conn, credential_id=credential.id, dataset_ids=[weather["t"].dataset_id])
    # The broker reads the token again every REVOKE_CHECK_S: both connections have the new rights.
    before = {c: s.meterhub_principal for c, (s, _) in broker.broker.sessions.items()}
    eventually(
        lambda: all(s.meterhub_principal != before[c] for c, (s, _) in broker.broker.sessions.items()),
        embedded.REVOKE_CHECK_S + 5,
        what="the new licence on the token's connections",
    )
    sender.publish("weather/t", single_value(2.5), qos=1).wait_for_publish(10)  # the new licence
    eventually(
        lambda: got[-1:] == ["weather/t"], 5, what="the message on the newly licensed dataset at the listener"
    )
    everything = token(platform, user_id=account.user_id, scopes=("mqtt-pubsub",))
    owner, _ = connect(broker.port, everything, "owner")
    owner.publish("my-topic-prefix/my/topic/suffix", single_value(3.5, ts=TS + 1), qos=1).wait_for_publish(10)
    sender.publish("my-topic-prefix/my/topic/suffix", single_value(4.5, ts=TS + 2), qos=1)
    assert gone.wait(5)  # a publish to a dataset it may no longer write ends its connection
    # Were the owner's message on the document's dataset delivered, it would come before this one.
    owner.publish("weather/t", single_value(5.5, ts=TS + 3), qos=1).wait_for_publish(10)
    eventually(lambda: got.count("weather/t") == 2, 5, what="the owner's later message at the listener")
    assert got == ["my-topic-prefix/my/topic/suffix", "weather/t", "weather/t"]  # no longer the document's
    assert stored(platform, streams["my/topic/suffix"]) == [(TS, 1.5), (TS + 1, 3.5)]
    for client in (listener, owner):
        client.disconnect()
    sender.loop_stop()
