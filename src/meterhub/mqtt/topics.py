"""What both broker modes ask of topics: which datastream one names, who may use it, and where a
refused message is counted."""

from __future__ import annotations

import logging
import time
from typing import TypeVar

import orjson
from sqlalchemy import Connection

from meterhub.auth.access import Access, Principal, allowed
from meterhub.core.datatypes import Datatype, to_text
from meterhub.core.entities import Dataset, MessageErrors
from meterhub.ingest.csv_import import Column
from meterhub.ingest.mqtt_messages import MessageError
from meterhub.ingest.write_path import PointRow
from meterhub.platform import Platform
from meterhub.store import datasets

log = logging.getLogger(__name__)

PUBSUB = "mqtt-pubsub"
T = TypeVar("T")
# Lookups of datastreams and datasets by topic are remembered this long: one added meanwhile is
# found at once (misses are not remembered); writes to one deleted elsewhere are refused by the writer.
KEPT_S = 10.0


class Topics:
    """Topic lookups and access checks over one platform's database."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self._columns: dict[str, Column] = {}
        self._datasets: dict[str, Dataset] = {}
        self._since = time.monotonic()
        self._streams: dict[int, tuple[str, Datatype, int]] = {}

    def column(self, topic: str) -> Column | None:
        """The datastream a full topic (`prefix/suffix`) names."""
        found = self._remembered(self._columns).get(topic)
        if found is None:
            with self.platform.db.reader.connect() as conn:
                stream = datasets.streams_by_topic(conn, [topic]).get(topic)
            if stream is None:
                return None
            found = self._columns[topic] = Column(stream.id, stream.datatype, stream.decimals)
        return found

    def dataset(self, topic: str) -> Dataset | None:
        """The dataset whose prefix the topic starts with."""
        prefix = topic.partition("/")[0]
        found = self._remembered(self._datasets).get(prefix)
        if found is None:
            with self.platform.db.reader.connect() as conn:
                found = datasets.dataset_by_prefix(conn, prefix)
            if found is None:
                return None
            self._datasets[prefix] = found
        return found

    def _remembered(self, lookups: dict[str, T]) -> dict[str, T]:
        if time.monotonic() - self._since > KEPT_S:
            self._columns.clear()
            self._datasets.clear()
            self._since = time.monotonic()
        return lookups

    def of_stream(self, stream_id: int) -> str:
        """The topic of a datastream."""
        return self._stream(stream_id)[0]

    def message(self, row: PointRow) -> bytes:
        """A stored point as a single-value message of section 3.4, for subscribers."""
        sid, ts, value = row
        _, datatype, decimals = self._stream(sid)
        shown = (
            orjson.dumps(value).decode()
            if datatype is Datatype.STRING
            else to_text(value, datatype, decimals)
        )
        return f'{{"timestamp": {ts}, "value": {shown}}}'.encode()

    def _stream(self, stream_id: int) -> tuple[str, Datatype, int]:
        found = self._streams.get(stream_id)
        if found is None:
            with self.platform.db.reader.connect() as conn:
                stream = datasets.get_stream(conn, stream_id)
            found = self._streams[stream_id] = (stream.topic, stream.datatype, stream.decimals)
        return found

    def may(self, who: Principal, topic: str, needed: Access) -> bool:
        """Whether the token may publish (WRITE) to the topic or receive (READ) from it."""
        dataset = self.dataset(topic)
        return dataset is not None and _allowed(who, dataset, needed)

    def refusal(self, who: Principal, topic: str) -> str:
        """Why the token may not publish to the topic, for the log."""
        dataset = self.dataset(topic)
        if dataset is None:
            return f"no dataset has the topic prefix {topic.partition('/')[0]!r}"
        return f"key {who.credential_id} may not write to dataset {dataset.id} ({dataset.topic_prefix!r})"

    def count_error(self, topic: str, error: MessageError) -> None:
        """Remember a refused message for its dataset (the management API shows them), and tell the
        log (once a minute for each dataset and kind of problem: a client may send thousands)."""
        dataset = self.dataset(topic)
        if dataset is None:
            return
        self.platform.message_errors.setdefault(dataset.id, MessageErrors()).add(topic, error)
        self.platform.limited_log.log(
            log,
            logging.WARNING,
            ("mqtt", dataset.id, error.reason),
            "an MQTT message to %r of dataset %s was not stored (%s): %s",
            topic,
            dataset.id,
            error.reason,
            error,
        )


def granted_prefixes(conn: Connection, who: Principal, needed: Access) -> list[str]:
    """The topic prefixes of every dataset the token may use at that level, for brokers that keep
    their own access lists."""
    sites = None if who.is_admin else list(who.sites)
    return [d.topic_prefix for d in datasets.list_datasets(conn, sites) if _allowed(who, d, needed)]


def _allowed(who: Principal, dataset: Dataset, needed: Access) -> bool:
    return allowed(who, site_id=dataset.site_id, needed=needed, dataset_id=dataset.id, licensed=True)
