"""DSMR-reader 5.11 `dsmr_api/tests/v2/test_statistics.py`, classes `TestDay` (fixture
`test_day_statistics.json`) and `TestHour` (fixture `test_hour_statistics.json`), translated.

Days go in as a user imports them, through the v2 POST of day statistics. meterhub has no POST for
hours: they are computed from readings, so each fixture hour is a pair of readings in its first and
last second whose registers grew by the hour's figures.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import httpx

from tests.conftest import Account, Server
from tests.faces.dsmr_reader.test_endpoints import V2
from tests.faces.dsmr_reader.upstream import fixture, ids, post, request

DAYS = "/api/v2/statistics/day"
HOURS = "/api/v2/statistics/hour"
DAY_ID = ids("test_day_statistics")
HOUR_ID = ids("test_hour_statistics")
REGISTERS = ("electricity1", "electricity2", "electricity1_returned", "electricity2_returned", "gas")


def load_days(client: httpx.Client) -> None:
    for row in fixture("test_day_statistics"):
        post(client, DAYS, row["fields"])


def load_hours(client: httpx.Client) -> None:
    """Readings at each fixture hour's first and last second, the registers grown by its figures
    between. (A reading on the hour's end would be the next hour's first, and list that hour too.)"""
    registers = dict.fromkeys(REGISTERS, Decimal(0))
    for row in fixture("test_hour_statistics"):
        start = datetime.fromisoformat(row["fields"]["hour_start"])
        _post_registers(client, start, registers)
        registers = {k: v + Decimal(row["fields"][k]) for k, v in registers.items()}
        _post_registers(client, start + timedelta(hours=1, seconds=-1), registers)


def _post_registers(client: httpx.Client, at: datetime, registers: dict[str, Decimal]) -> None:
    post(
        client,
        V2,
        {
            "timestamp": at.isoformat(),
            "electricity_delivered_1": registers["electricity1"],
            "electricity_delivered_2": registers["electricity2"],
            "electricity_returned_1": registers["electricity1_returned"],
            "electricity_returned_2": registers["electricity2_returned"],
            "electricity_currently_delivered": "0",
            "electricity_currently_returned": "0",
            "extra_device_timestamp": at.isoformat(),
            "extra_device_delivered": registers["gas"],
        },
    )


def test_day_get(server: Server, account: Account) -> None:
    client = server.client(account.key)
    load_days(client)

    resultset = request(client, DAYS)
    assert resultset["count"] == 7
    assert resultset["results"][0]["id"] == DAY_ID[756]
    assert resultset["results"][1]["id"] == DAY_ID[757]
    assert resultset["results"][5]["id"] == DAY_ID[761]
    assert resultset["results"][6]["id"] == DAY_ID[762]

    # Limit.
    resultset = request(client, DAYS, limit=5)
    assert resultset["count"] == 7
    assert len(resultset["results"]) == 5

    # Sort.
    resultset = request(client, DAYS, ordering="-day")
    assert resultset["count"] == 7
    assert resultset["results"][0]["id"] == DAY_ID[762]
    assert resultset["results"][1]["id"] == DAY_ID[761]
    assert resultset["results"][5]["id"] == DAY_ID[757]
    assert resultset["results"][6]["id"] == DAY_ID[756]

    # Search
    resultset = request(client, DAYS, day__gte="2015-12-14")  # Z+01:00
    assert resultset["count"] == 4
    assert resultset["results"][0]["id"] == DAY_ID[759]
    assert resultset["results"][1]["id"] == DAY_ID[760]
    assert resultset["results"][2]["id"] == DAY_ID[761]
    assert resultset["results"][3]["id"] == DAY_ID[762]

    resultset = request(client, DAYS, day__lte="2015-12-14")
    assert resultset["count"] == 4
    assert resultset["results"][0]["id"] == DAY_ID[756]
    assert resultset["results"][1]["id"] == DAY_ID[757]


def test_day_post(server: Server, account: Account) -> None:
    client = server.client(account.key)
    load_days(client)
    data = {
        "day": "2020-12-16",
        "total_cost": 18.50,
        "electricity1": 5,
        "electricity2": 3,
        "electricity1_returned": 1,
        "electricity2_returned": 2,
        "electricity1_cost": 4,
        "electricity2_cost": 3.5,
        "gas": 6,
        "gas_cost": 10,
        "fixed_cost": 1,
    }
    assert request(client, DAYS)["count"] == 7

    resultset = request(client, DAYS, expected_code=201, method="post", **data)

    assert resultset["day"] == "2020-12-16"
    assert float(resultset["total_cost"]) == 18.5
    assert float(resultset["electricity1"]) == 5
    assert float(resultset["electricity2"]) == 3
    assert float(resultset["electricity1_returned"]) == 1
    assert float(resultset["electricity2_returned"]) == 2
    assert float(resultset["electricity1_cost"]) == 4
    assert float(resultset["electricity2_cost"]) == 3.5
    assert float(resultset["gas"]) == 6
    assert float(resultset["gas_cost"]) == 10
    assert float(resultset["fixed_cost"]) == 1
    assert resultset["lowest_temperature"] is None
    assert resultset["highest_temperature"] is None
    assert resultset["average_temperature"] is None
    assert request(client, DAYS)["count"] == 8


def test_hour_get(server: Server, account: Account) -> None:
    client = server.client(account.key)
    load_hours(client)

    resultset = request(client, HOURS)
    assert resultset["count"] == 13
    assert resultset["results"][0]["id"] == HOUR_ID[14551]
    assert resultset["results"][1]["id"] == HOUR_ID[14552]
    assert resultset["results"][11]["id"] == HOUR_ID[14562]
    assert resultset["results"][12]["id"] == HOUR_ID[14563]

    # Limit.
    resultset = request(client, HOURS, limit=10)
    assert resultset["count"] == 13
    assert len(resultset["results"]) == 10

    # Sort.
    resultset = request(client, HOURS, ordering="-hour_start")
    assert resultset["count"] == 13
    assert resultset["results"][0]["id"] == HOUR_ID[14563]
    assert resultset["results"][1]["id"] == HOUR_ID[14562]
    assert resultset["results"][11]["id"] == HOUR_ID[14552]
    assert resultset["results"][12]["id"] == HOUR_ID[14551]

    # Search
    resultset = request(client, HOURS, hour_start__gte="2015-12-13 00:00:00")  # Z+01:00
    assert resultset["count"] == 11
    assert resultset["results"][0]["id"] == HOUR_ID[14553]
    assert resultset["results"][1]["id"] == HOUR_ID[14554]
    assert resultset["results"][2]["id"] == HOUR_ID[14555]
    assert resultset["results"][3]["id"] == HOUR_ID[14556]

    resultset = request(client, HOURS, hour_start__lte="2015-12-13 00:00:00")
    assert resultset["count"] == 3
    assert resultset["results"][0]["id"] == HOUR_ID[14551]
    assert resultset["results"][1]["id"] == HOUR_ID[14552]

    # Not asserted upstream, but what the readings were made for: each hour's figures as the fixture's.
    figures = [{k: r[k] for k in REGISTERS} for r in request(client, HOURS, limit=100)["results"]]
    assert figures == [{k: row["fields"][k] for k in REGISTERS} for row in fixture("test_hour_statistics")]
