"""DSMR-reader 5.11 `dsmr_api/tests/v2/test_dsmrreading.py`, class `TestDsmrreading`, translated
(fixture `test_dsmrreading.json`)."""

from __future__ import annotations

from typing import Any

from tests.conftest import Account, Server
from tests.faces.dsmr_reader.test_endpoints import V2
from tests.faces.dsmr_reader.upstream import ids, load_readings, request

FIXTURE = "test_dsmrreading"
ID = ids(FIXTURE)


def test_get(server: Server, account: Account) -> None:
    client = server.client(account.key)
    load_readings(client, FIXTURE)

    resultset = request(client, V2)
    assert resultset["count"] == 3
    assert resultset["results"][0]["id"] == ID[1]
    assert resultset["results"][1]["id"] == ID[2]
    assert resultset["results"][2]["id"] == ID[3]

    # Limit.
    resultset = request(client, V2, limit=1)
    assert resultset["count"] == 3
    assert len(resultset["results"]) == 1

    # Sort.
    resultset = request(client, V2, ordering="-timestamp")
    assert resultset["count"] == 3
    assert resultset["results"][0]["id"] == ID[3]
    assert resultset["results"][1]["id"] == ID[2]
    assert resultset["results"][2]["id"] == ID[1]

    # Search
    resultset = request(client, V2, timestamp__gte="2016-07-01 21:00:00")  # Z+02:00
    assert resultset["count"] == 2
    assert resultset["results"][0]["id"] == ID[2]
    assert resultset["results"][1]["id"] == ID[3]

    resultset = request(client, V2, timestamp__lte="2016-07-01 21:00:00")  # Z+02:00
    assert resultset["count"] == 2
    assert resultset["results"][0]["id"] == ID[1]
    assert resultset["results"][1]["id"] == ID[2]


def test_post(server: Server, account: Account) -> None:
    """Upstream also checks the `dsmr_reading_created` signal fires: Django internals, not translated."""
    client = server.client(account.key)
    load_readings(client, FIXTURE)
    telegram: dict[str, Any] = {
        "electricity_currently_delivered": 1.500,
        "electricity_currently_returned": 0.025,
        "electricity_delivered_1": 2000,
        "electricity_delivered_2": 3000,
        "electricity_returned_1": 0,
        "electricity_returned_2": 0,
        "timestamp": "2017-01-01T00:00:00+01:00",
    }
    assert request(client, V2)["count"] == 3

    resultset = request(client, V2, expected_code=201, method="post", **telegram)

    assert float(resultset["electricity_currently_delivered"]) == 1.5
    assert float(resultset["electricity_currently_returned"]) == 0.025
    assert float(resultset["electricity_delivered_1"]) == 2000
    assert float(resultset["electricity_delivered_2"]) == 3000
    assert float(resultset["electricity_returned_1"]) == 0
    assert float(resultset["electricity_returned_2"]) == 0
    assert resultset["timestamp"] == "2017-01-01T00:00:00+01:00"
    assert resultset["phase_currently_delivered_l1"] is None
    assert resultset["phase_currently_delivered_l2"] is None
    assert resultset["phase_currently_delivered_l3"] is None
    assert resultset["phase_currently_returned_l1"] is None
    assert resultset["phase_currently_returned_l2"] is None
    assert resultset["phase_currently_returned_l3"] is None
    assert resultset["extra_device_timestamp"] is None
    assert resultset["extra_device_delivered"] is None
    assert request(client, V2)["count"] == 4

    # Again, with UTC.
    telegram["timestamp"] = "2017-01-01T00:00:00Z"
    resultset = request(client, V2, expected_code=201, method="post", **telegram)
    assert resultset["timestamp"] == "2017-01-01T01:00:00+01:00"
    assert request(client, V2)["count"] == 5

    # Now with optional data.
    telegram["timestamp"] = "2017-01-02T00:00:00Z"
    telegram["extra_device_timestamp"] = "2017-01-02T01:00:00Z"
    telegram["extra_device_delivered"] = 1234
    telegram["phase_currently_delivered_l1"] = 0.5
    telegram["phase_currently_delivered_l2"] = 0.75
    telegram["phase_currently_delivered_l3"] = 0.25
    telegram["phase_currently_returned_l1"] = 1.5
    telegram["phase_currently_returned_l2"] = 1.75
    telegram["phase_currently_returned_l3"] = 1.25
    resultset = request(client, V2, expected_code=201, method="post", **telegram)
    assert resultset["timestamp"] == "2017-01-02T01:00:00+01:00"
    assert resultset["extra_device_timestamp"] == "2017-01-02T02:00:00+01:00"
    assert float(resultset["extra_device_delivered"]) == 1234
    assert float(resultset["phase_currently_delivered_l1"]) == 0.5
    assert float(resultset["phase_currently_delivered_l2"]) == 0.75
    assert float(resultset["phase_currently_delivered_l3"]) == 0.25
    assert float(resultset["phase_currently_returned_l1"]) == 1.5
    assert float(resultset["phase_currently_returned_l2"]) == 1.75
    assert float(resultset["phase_currently_returned_l3"]) == 1.25
    assert request(client, V2)["count"] == 6
