"""MQTT clients as energydata.dk's users run them (paho-mqtt), and the bad messages they may send."""

from __future__ import annotations

import json
import socket
import struct
import time

import paho.mqtt.client as mqtt
from paho.mqtt.reasoncodes import ReasonCode

from meterhub.platform import Platform
from tests.waiting import eventually

TS = 1521797973469


def connect(
    port: int,
    key: str,
    client_id: str = "meterhub-test",
    *,
    password: str | None = None,
    will: tuple[str, bytes] | None = None,
    protocol: mqtt.MQTTProtocolVersion = mqtt.MQTTv311,
) -> tuple[mqtt.Client, list[int]]:
    """A connected paho client (loop running) and where its CONNACK reason code lands; `will`: a
    last will (topic, payload) at QoS 1."""
    client = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol
    )
    client.username_pw_set(key, password)
    if will is not None:
        client.will_set(*will, qos=1)
    codes: list[int] = []
    client.on_connect = lambda c, userdata, flags, rc, props=None: codes.append(rc.value)
    client.connect("127.0.0.1", port, 60)
    client.loop_start()
    eventually(lambda: codes, 5, what=f"the CONNACK of MQTT client {client_id!r}")
    return client, codes


def subscribe(client: mqtt.Client, topic: str, qos: int = 1, seconds: float = 5) -> list[int]:
    """Subscribe and wait for the broker's SUBACK (until then a message published may pass the
    subscriber by); the granted reason codes. Replaces the client's on_subscribe."""
    acknowledged: dict[int, list[int]] = {}

    def on_subscribe(c: mqtt.Client, userdata: object, mid: int, codes: list[ReasonCode], *_: object) -> None:
        acknowledged[mid] = [code.value for code in codes]

    client.on_subscribe = on_subscribe
    result, mid = client.subscribe(topic, qos=qos)
    assert result == mqtt.MQTT_ERR_SUCCESS and mid is not None, mqtt.error_string(result)
    eventually(lambda: mid in acknowledged, seconds, what=f"the SUBACK of the subscription to {topic!r}")
    return acknowledged[mid]


def documents_loop(port: int, token: str, topic: str, n: int, *, password: str | None = None) -> None:
    """Section 3.6's loop as the document writes it (host, port, token and topic changed): QoS 1,
    each message stamped `int(time.time() * 1000)` and waiting for its acknowledgement."""
    client = mqtt.Client(client_id="documents-loop", callback_api_version=mqtt.CallbackAPIVersion.VERSION2)
    client.username_pw_set(token, password)
    client.connect("127.0.0.1", port, 60)
    client.loop_start()
    for i in range(0, n):
        timestamp = int(time.time() * 1000)
        message = json.dumps({"timestamp": timestamp, "value": i})
        message_info = client.publish(topic, message, qos=1)
        message_info.wait_for_publish(timeout=10)
        if not message_info.is_published():
            raise AssertionError(f"message {i} was not acknowledged within 10 s")
    client.disconnect()
    client.loop_stop()


def stored(platform: Platform, stream_id: int) -> list[tuple[int, object]]:
    """The stream's points, oldest first."""
    with platform.db.reader.connect() as conn:
        return [
            tuple(r)
            for r in conn.exec_driver_sql(
                f"SELECT ts, v FROM points_real WHERE stream_id = {stream_id} ORDER BY ts"
            )
        ]  # type: ignore[misc]


def raw_publish(port: int, key: str, topic: str, payload: bytes) -> bytes:
    """Publish at QoS 1 over a bare socket (paho refuses wildcard topics before sending them); what
    came back: a PUBACK, or b"" when the broker closed the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        user = key.encode()
        connect_body = b"\x00\x04MQTT\x04\xc2\x00\x3c" + _text(b"raw-publisher") + _text(user) + _text(user)
        sock.sendall(b"\x10" + _length(len(connect_body)) + connect_body)
        if sock.recv(4)[:1] != b"\x20":
            raise AssertionError("no CONNACK")
        body = _text(topic.encode()) + b"\x00\x01" + payload
        sock.sendall(b"\x32" + _length(len(body)) + body)
        try:
            return sock.recv(4)
        except ConnectionResetError:
            return b""


def _text(raw: bytes) -> bytes:
    return struct.pack("!H", len(raw)) + raw


def _length(n: int) -> bytes:
    out = b""
    while True:
        n, digit = divmod(n, 128)
        out += bytes([digit | (128 if n else 0)])
        if not n:
            return out


def single_value(value: object, ts: object = TS) -> bytes:
    return json.dumps({"timestamp": ts, "value": value}).encode()


# Messages no broker may store (topic, payload, what the error says), on the document's topics.
BAD_MESSAGES = [
    ("my-topic-prefix/my/topic/suffix", b'{"timestamp": 1521797973469, "value": ', "not JSON"),
    ("my-topic-prefix/my/topic/suffix", b"14.47", "JSON object"),
    ("my-topic-prefix/my/topic/suffix", single_value("warm"), "not a number"),
    ("my-topic-prefix/my/topic/suffix", single_value([1, 2]), "not a number"),
    ("my-topic-prefix/my/topic/suffix", single_value("x" * 1_000_000), "at most"),
    ("my-topic-prefix/nothing", single_value(1.5), "no datastream"),
    ("my-topic-prefix", single_value({"my/topic/suffix1": 1, "nothing": 2}), "no datastream"),
    ("my-topic-prefix/my/topic/suffix", single_value(1.5, ts=1521797973), "looks like seconds"),
    ("my-topic-prefix/my/topic/suffix", single_value(1.5, ts="2018-03-23T09:39:33Z"), "timestamp"),
    ("my-topic-prefix/my/topic/suffix", single_value(1.5, ts=946_684_799_999), "before 2000-01-01"),
    ("my-topic-prefix/my/topic/suffix", single_value(1.5, ts=253_402_300_800_000), "more than 24 hours"),
    ("my-topic-prefix/my/topic/suffix", single_value(1.5, ts=2**53 - 1), "more than 24 hours"),
    (
        "my-topic-prefix/my/topic/suffix",
        single_value(1.5, ts=int(time.time() * 1000) + 25 * 3_600_000),
        "more than 24 hours",
    ),
]
WILDCARD_TOPICS = ["my-topic-prefix/my/topic/+", "my-topic-prefix/#"]
