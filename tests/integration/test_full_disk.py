"""A full disk: writes answer 503 with Retry-After in each face's shape, reads go on, and writes
work again once there is room, without a restart.

SQLite's disk is made full for real: the database may not grow past the pages it has
(PRAGMA max_page_count). PostgreSQL answers as on a full disk, SQLSTATE 53100 (disk_full), from
triggers on every table, through the same driver and the same translation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text

from meterhub.core.datatypes import Datatype
from meterhub.platform import Platform
from meterhub.store.tables import metadata
from tests.conftest import Account, Server, _free_port
from tests.factories import datastreams, token
from tests.mqtt.clients import TS, raw_publish, single_value, stored
from tests.mqtt.test_embedded_broker import running_broker

V2 = "/api/v2/datalogger/dsmrreading"
API = "/api/meterhub/v1"
NO_LIMIT = 2**31  # pages: SQLite caps it at what its build allows


class Disk:
    """The database's disk, which a test can fill and free again."""

    def __init__(self, platform: Platform) -> None:
        self._platform = platform
        self._full = False
        if platform.db.dialect == "sqlite":
            for engine in {platform.db.reader, platform.db.writer}:
                event.listen(engine, "begin", self._pages)

    def fill(self) -> None:
        self._full = True
        if self._platform.db.dialect == "postgresql":
            with self._platform.db.writer.begin() as conn:
                conn.execute(
                    text(
                        "CREATE OR REPLACE FUNCTION disk_full() RETURNS trigger AS $$ BEGIN "
                        "RAISE EXCEPTION 'could not extend file: No space left on device' "
                        "USING ERRCODE = 'disk_full'; END $$ LANGUAGE plpgsql"
                    )
                )
                for table in metadata.sorted_tables:
                    conn.execute(
                        text(
                            f"CREATE TRIGGER disk_full BEFORE INSERT OR UPDATE ON {table.name} "
                            "FOR EACH ROW EXECUTE FUNCTION disk_full()"
                        )
                    )

    def free(self) -> None:
        if self._full and self._platform.db.dialect == "postgresql":
            with self._platform.db.writer.begin() as conn:
                conn.execute(text("DROP FUNCTION disk_full() CASCADE"))
        self._full = False

    def _pages(self, conn: Any) -> None:
        # Per connection, at each transaction: the database may grow (freed) or not past the pages
        # it has now (full).
        raw = conn.connection.driver_connection
        pages = raw.execute("PRAGMA page_count").fetchone()[0] if self._full else NO_LIMIT
        raw.execute(f"PRAGMA max_page_count={pages}")


@pytest.fixture
def disk(platform: Platform) -> Iterator[Disk]:
    found = Disk(platform)
    yield found
    found.free()


def until_full(write: Callable[[int], httpx.Response]) -> httpx.Response:
    """The first answer that is not a success, writing (new data each time) until the disk says so."""
    for i in range(2000):
        answer = write(i)
        if answer.status_code >= 300:
            return answer
    raise AssertionError("the disk never filled")


def reading(client: httpx.Client, i: int) -> httpx.Response:
    at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=i)
    return client.post(
        V2,
        data={
            "timestamp": at.isoformat(),
            "electricity_delivered_1": str(1000 + i),
            "electricity_delivered_2": "0",
            "electricity_returned_1": "0",
            "electricity_returned_2": "0",
            "electricity_currently_delivered": "1.234",
            "electricity_currently_returned": "0",
        },
    )


def test_dsmr_reader_writes_answer_503_with_retry_after_and_reads_go_on(
    server: Server, account: Account, disk: Disk
) -> None:
    client = server.client(account.key)
    assert reading(client, 0).status_code == 201
    disk.fill()
    full = until_full(lambda i: reading(client, i + 1))
    assert full.status_code == 503 and int(full.headers["retry-after"]) > 0
    assert full.json() == {"detail": "the disk is full; nothing was stored"}
    v1 = client.post("/api/v1/datalogger/dsmrreading", data={"telegram": "x"})
    assert v1.status_code in (400, 503)  # an unreadable telegram is refused before anything is written
    listed = client.get(V2)
    assert listed.status_code == 200 and listed.json()["count"] >= 1
    disk.free()
    assert reading(client, 5000).status_code == 201
    assert client.get(V2).json()["count"] == listed.json()["count"] + 1


def test_management_and_energydata_writes_answer_503_in_their_shapes(
    server: Server, platform: Platform, account: Account, disk: Disk
) -> None:
    owner = server.client()  # an admin key: a password costs a hash per request, and it takes hundreds
    owner.headers["Authorization"] = "Bearer " + token(platform, user_id=account.user_id, scopes=("admin",))
    importer = server.client()
    importer.headers["Authorization"] = "Bearer " + token(
        platform, user_id=account.user_id, scopes=("batch-import",)
    )
    disk.fill()
    full = until_full(
        lambda i: owner.post(f"{API}/datasets", json={"site_id": account.site_id, "topic_prefix": f"d{i}"})
    )
    assert full.status_code == 503 and int(full.headers["retry-after"]) > 0
    assert full.json() == {"detail": "the disk is full; nothing was stored"}
    full = until_full(lambda i: importer.post("/api/v1/import", params={"importname": f"i{i}"}))
    assert full.status_code == 503 and int(full.headers["retry-after"]) > 0
    assert full.json() == {"message": "the disk is full; nothing was stored"}
    assert owner.get(f"{API}/datasets").status_code == 200
    disk.free()
    made = owner.post(f"{API}/datasets", json={"site_id": account.site_id, "topic_prefix": "after"})
    assert made.status_code == 201
    assert owner.get(f"{API}/datasets/{made.json()['id']}").json()["topic_prefix"] == "after"


def test_an_mqtt_message_that_cannot_be_stored_is_counted_and_not_acknowledged(
    platform: Platform, account: Account, disk: Disk
) -> None:
    (stream,) = datastreams(
        platform, site_id=account.site_id, prefix="my-topic-prefix", streams={"s": Datatype.DOUBLE}
    ).values()
    key = token(platform, user_id=account.user_id, scopes=("mqtt-pubsub",))
    port = _free_port()

    def publish(i: int) -> bytes:
        try:
            return raw_publish(port, key, "my-topic-prefix/s", single_value(i, TS + i))
        except TimeoutError:
            return b"no PUBACK"

    with running_broker(platform, port=port):
        assert publish(0)[:1] == b"\x40"  # PUBACK
        disk.fill()
        for i in range(1, 2000):
            if (answer := publish(i)) != b"\x40\x02\x00\x01":
                break
        assert answer == b"no PUBACK"
        (errors,) = platform.message_errors.values()
        assert errors.count == 1 and "disk is full" in errors.last
        disk.free()
        assert publish(5000)[:1] == b"\x40"
    assert (TS + 5000, 5000) in stored(platform, stream.id)
