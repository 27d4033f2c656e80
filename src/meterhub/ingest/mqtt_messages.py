"""MQTT messages as section 3.4 of the energydata.dk document defines them, turned into point rows.

A single-value message goes to `<dataset prefix>/<datastream suffix>`:
`{"timestamp": <epoch ms>, "value": <string | double | integer>}`. A multi-value message goes to
`<dataset prefix>` alone, its value an object of suffix -> value, all stored with one timestamp.
A message is stored whole or not at all; the error says why, for the dataset's error count.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from meterhub.core.datatypes import BadValue, from_json
from meterhub.core.errors import Invalid, MeterhubError, StorageFull
from meterhub.core.window import TimeWindow
from meterhub.ingest.csv_import import Column
from meterhub.ingest.write_path import LATER_MS, PointRow

# Full topic (`prefix/suffix`) -> the datastream it names, or None.
Resolver = Callable[[str], Column | None]

MAX_PAYLOAD = 256 * 1024
# Below this a timestamp is taken for seconds sent by mistake: as milliseconds it would fall before
# 3 March 1973, while seconds up to the year 5138 stay under it.
EARLIEST_MS = 100_000_000_000


class MessageError(Invalid):
    """A message that cannot be stored; the text says what is wrong with it, the reason what kind
    of problem it is in a few words (the log tells of a flood of one kind once a minute)."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def point_rows(topic: str, payload: bytes | bytearray, resolve: Resolver, window: TimeWindow) -> list[PointRow]:
    """The message's points; MessageError when any part of it cannot be stored (its timestamp
    outside the window included)."""
    if len(payload) > MAX_PAYLOAD:
        raise MessageError(
            f"the message is {len(payload)} bytes; at most {MAX_PAYLOAD} are read", reason="too large"
        )
    try:
        message = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise MessageError(f"the payload is not JSON ({exc})", reason="not JSON") from None
    if not isinstance(message, dict) or "timestamp" not in message or "value" not in message:
        raise MessageError(
            'the payload must be a JSON object {"timestamp": <epoch ms>, "value": …}', reason="not a message"
        )
    ts = _timestamp(message["timestamp"], window)
    value = message["value"]
    if isinstance(value, dict):
        if not value:
            raise MessageError("a multi-value message needs at least one suffix: value", reason="no values")
        return [_row(f"{topic}/{suffix}", ts, v, resolve) for suffix, v in value.items()]
    return [_row(topic, ts, value, resolve)]


def taken(ts: int) -> MessageError:
    """What to say of a message refused because its millisecond, and each of the LATER_MS after
    it, holds other values (brokers store a message at the next free millisecond when its own is
    taken: section 3.6's loop stamps `int(time.time() * 1000)`, two messages to a millisecond)."""
    return MessageError(
        f"other values are stored at {ts} ms and at every millisecond of the {LATER_MS // 1000} s after it",
        reason="time taken",
    )


def as_message_error(exc: MeterhubError) -> MessageError:
    """The write path's refusal of a message, as that message's error."""
    if isinstance(exc, MessageError):
        return exc
    return MessageError(
        str(exc), reason="disk full" if isinstance(exc, StorageFull) else "refused by the writer"
    )


def _row(topic: str, ts: int, value: Any, resolve: Resolver) -> PointRow:
    column = resolve(topic)
    if column is None:
        raise MessageError(f"no datastream has the topic {topic!r}", reason="unknown datastream")
    try:
        return column.stream_id, ts, from_json(value, column.datatype, column.decimals)
    except BadValue as exc:
        raise MessageError(
            f"{topic}: {exc} ({column.datatype.public} datastream {column.stream_id})", reason="bad value"
        ) from None


def _timestamp(given: Any, window: TimeWindow) -> int:
    if isinstance(given, float) and given.is_integer():
        given = int(given)
    if isinstance(given, bool) or not isinstance(given, int) or not 0 <= given < 2**53:
        raise MessageError(
            f"timestamp {given!r} is not milliseconds since 1970-01-01 (an integer)", reason="bad timestamp"
        )
    if given < EARLIEST_MS:
        raise MessageError(
            f"timestamp {given} looks like seconds (as milliseconds it is before 1973); send milliseconds "
            "since 1970-01-01",
            reason="timestamp in seconds",
        )
    if (problem := window.problem(given)) is not None:
        raise MessageError(f"timestamp {given}: {problem}", reason="outside the time window")
    return given
