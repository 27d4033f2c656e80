"""DSMR-reader 5.11 `dsmr_api/tests/v2/test_meterstatistics.py`, class `TestMeterStatistics`,
translated (fixture `test_dsmrreading.json`). Upstream sets and reads the MeterStatistics row in the
database; here it is set with the API's PATCH and read with its GET."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from tests.conftest import Account, Server
from tests.faces.dsmr_reader.upstream import LOCAL, load_readings

PATH = "/api/v2/datalogger/meter-statistics"
COUNTERS = (
    "dsmr_version",
    "electricity_tariff",
    "power_failure_count",
    "long_power_failure_count",
    "voltage_sag_count_l1",
    "voltage_sag_count_l2",
    "voltage_sag_count_l3",
    "voltage_swell_count_l1",
    "voltage_swell_count_l2",
    "voltage_swell_count_l3",
)


def _patch(client: httpx.Client, **data: Any) -> Any:
    response = client.patch(PATH, json=data)
    assert response.status_code == 200, response.text
    return response.json()


def test_get(server: Server, account: Account, now: Callable[[datetime], None]) -> None:
    now(datetime(2020, 1, 1, tzinfo=LOCAL))
    client = server.client(account.key)
    load_readings(client, "test_dsmrreading")
    _patch(
        client,
        timestamp=datetime(2020, 1, 1, tzinfo=LOCAL).isoformat(),  # timezone.now()
        dsmr_version="50",
        electricity_tariff=1,
        power_failure_count=123,
        long_power_failure_count=456,
        voltage_sag_count_l1=11,
        voltage_sag_count_l2=22,
        voltage_sag_count_l3=33,
        voltage_swell_count_l1=44,
        voltage_swell_count_l2=55,
        voltage_swell_count_l3=66,
    )

    result = client.get(PATH).json()

    assert result["id"] == 1
    assert result["timestamp"] == "2020-01-01T00:00:00+01:00"
    assert result["dsmr_version"] == "50"
    assert result["electricity_tariff"] == 1
    assert result["latest_telegram"] is None
    assert result["power_failure_count"] == 123
    assert result["long_power_failure_count"] == 456
    assert result["voltage_sag_count_l1"] == 11
    assert result["voltage_sag_count_l2"] == 22
    assert result["voltage_sag_count_l3"] == 33
    assert result["voltage_swell_count_l1"] == 44
    assert result["voltage_swell_count_l2"] == 55
    assert result["voltage_swell_count_l3"] == 66


def test_patch(server: Server, account: Account, now: Callable[[datetime], None]) -> None:
    now(datetime(2020, 1, 1, tzinfo=LOCAL))
    client = server.client(account.key)
    expected: dict[str, Any] = dict.fromkeys(COUNTERS)

    # Check default (empty) state.
    instance = client.get(PATH).json()
    assert {k: instance[k] for k in COUNTERS} == expected

    # Partial update.
    _patch(
        client,
        timestamp="2020-01-15T12:34:56+01:00",
        dsmr_version="50",
        electricity_tariff=1,
        power_failure_count=123,
        long_power_failure_count=456,
    )
    expected.update(
        dsmr_version="50", electricity_tariff=1, power_failure_count=123, long_power_failure_count=456
    )

    # Check partial updated state.
    instance = client.get(PATH).json()
    assert {k: instance[k] for k in COUNTERS} == expected
    # Upstream reads the row's UTC value, "2020-01-15 11:34:56+00:00"; the API shows it in its zone.
    assert instance["timestamp"] == "2020-01-15T12:34:56+01:00"

    _patch(
        client,
        dsmr_version="42",
        electricity_tariff=2,
        power_failure_count=77777,
        long_power_failure_count=8888,
        voltage_sag_count_l1=11,
        voltage_sag_count_l2=22,
        voltage_sag_count_l3=33,
        voltage_swell_count_l1=44,
        voltage_swell_count_l2=55,
        voltage_swell_count_l3=66,
    )
    expected = dict(
        dsmr_version="42",
        electricity_tariff=2,
        power_failure_count=77777,
        long_power_failure_count=8888,
        voltage_sag_count_l1=11,
        voltage_sag_count_l2=22,
        voltage_sag_count_l3=33,
        voltage_swell_count_l1=44,
        voltage_swell_count_l2=55,
        voltage_swell_count_l3=66,
    )

    # Check final updated state.
    instance = client.get(PATH).json()
    assert {k: instance[k] for k in COUNTERS} == expected
