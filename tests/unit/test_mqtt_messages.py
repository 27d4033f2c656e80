"""Section 3.4 of the energydata.dk document: the two message formats, with its own examples."""

from __future__ import annotations

import json

import pytest

from meterhub.core.datatypes import Datatype
from meterhub.core.window import DEFAULT_WINDOW
from meterhub.ingest.csv_import import Column
from meterhub.ingest.mqtt_messages import MessageError, point_rows

STREAMS = {
    "my-topic-prefix/my/topic/suffix": Column(1, Datatype.DOUBLE, 0),
    "my-topic-prefix/my/topic/suffix1": Column(11, Datatype.DOUBLE, 0),
    "my-topic-prefix/my/topic/suffix2": Column(12, Datatype.INTEGER, 0),
    "my-topic-prefix/my/topic/suffix3": Column(13, Datatype.DOUBLE, 0),
    "my-topic-prefix/my/topic/suffix4": Column(14, Datatype.INTEGER, 0),
    "my-topic-prefix/my/topic/suffixn": Column(15, Datatype.INTEGER, 0),
    "my-topic-prefix/name": Column(20, Datatype.STRING, 0),
}


def rows(topic: str, message: object) -> list[tuple[int, int, object]]:
    return point_rows(topic, json.dumps(message).encode(), STREAMS.get, DEFAULT_WINDOW)


def test_the_single_value_example() -> None:
    assert rows("my-topic-prefix/my/topic/suffix", {"timestamp": 1521797973469, "value": 14.47}) == [
        (1, 1521797973469, 14.47)
    ]


def test_the_mosquitto_pub_example_sends_the_double_as_a_string() -> None:
    message = {"value": "0.16300000250339508", "timestamp": 1521797973052}
    assert rows("my-topic-prefix/my/topic/suffix", message) == [(1, 1521797973052, 0.16300000250339508)]


def test_the_multi_value_example_stores_every_value_at_one_timestamp() -> None:
    message = {
        "timestamp": 1521797973469,
        "value": {
            "my/topic/suffix1": 14.47,
            "my/topic/suffix2": 34,
            "my/topic/suffix3": 4.87,
            "my/topic/suffix4": 1,
            "my/topic/suffixn": 300,
        },
    }
    assert rows("my-topic-prefix", message) == [
        (11, 1521797973469, 14.47),
        (12, 1521797973469, 34),
        (13, 1521797973469, 4.87),
        (14, 1521797973469, 1),
        (15, 1521797973469, 300),
    ]


@pytest.mark.parametrize(
    ("topic", "payload", "problem"),
    [
        ("my-topic-prefix/my/topic/suffix", b"14.47", "JSON object"),
        ("my-topic-prefix/my/topic/suffix", b"{not json", "not JSON"),
        ("my-topic-prefix/my/topic/suffix", b'{"value": 1}', "JSON object"),
        ("my-topic-prefix/my/topic/suffix", b'{"timestamp": "now", "value": 1}', "timestamp"),
        ("my-topic-prefix/my/topic/suffix", b'{"timestamp": true, "value": 1}', "timestamp"),
        ("my-topic-prefix/my/topic/suffix", b'{"timestamp": 1.5, "value": 1}', "timestamp"),
        ("my-topic-prefix/my/topic/suffix", b'{"timestamp": 1521797973, "value": 1}', "looks like seconds"),
        ("my-topic-prefix/my/topic/suffix", b'{"timestamp": 1521797973469, "value": "warm"}', "not a number"),
        ("my-topic-prefix/my/topic/suffix2", b'{"timestamp": 1521797973469, "value": "x"}', "not an integer"),
        ("my-topic-prefix/name", b'{"timestamp": 1521797973469, "value": 3}', "not a string"),
        ("my-topic-prefix/name", b'{"timestamp": 1521797973469, "value": "a\\u0000b"}', "NUL"),
        ("my-topic-prefix/unknown", b'{"timestamp": 1521797973469, "value": 3}', "no datastream"),
        (
            "my-topic-prefix",
            b'{"timestamp": 1521797973469, "value": {"my/topic/suffix2": 1, "nope": 2}}',
            "no datastream",
        ),
        ("my-topic-prefix", b'{"timestamp": 1521797973469, "value": {}}', "at least one"),
        ("my-topic-prefix/my/topic/suffix", b" " * 300_000, "at most"),
        ("my-topic-prefix/my/topic/suffix", b'{"timestamp": 946684799999, "value": 1}', "before 2000-01-01"),
        ("my-topic-prefix/my/topic/suffix", b'{"timestamp": 4102444800000, "value": 1}', "more than 24 hours"),
        ("my-topic-prefix/my/topic/suffix", b'{"timestamp": 253402300800000, "value": 1}', "more than 24"),
    ],
)
def test_a_bad_message_is_refused_whole_saying_why(topic: str, payload: bytes, problem: str) -> None:
    with pytest.raises(MessageError, match=problem):
        point_rows(topic, payload, STREAMS.get, DEFAULT_WINDOW)
