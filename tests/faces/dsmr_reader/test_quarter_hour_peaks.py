"""Quarter-hour peaks as DSMR-reader 5.11 computes them (dsmr_consumption/services.py
run_quarter_hour_peaks), translated from its tests (dsmr_consumption/tests/services/
test_quarter_hour_peaks.py): a quarter's readings run from its start to its end, both included; its
peak is the import registers' growth from the first to the last, per hour of the time between them;
a quarter counts once a reading at or after its end exists, and only with two readings or more."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx

from tests.conftest import Account, Server
from tests.faces.dsmr_reader.test_endpoints import post_reading

PEAKS = "/api/v2/consumption/quarter-hour-peak-electricity"
LOCAL = ZoneInfo("Europe/Amsterdam")  # upstream's tests make their times aware in its TIME_ZONE
READING1 = datetime(2022, 1, 1, 14, 15, 1, tzinfo=LOCAL)
READING2 = datetime(2022, 1, 1, 14, 29, 40, tzinfo=LOCAL)


def create_readings(client: httpx.Client, *, post_reading_after_end: bool = True) -> None:
    post_reading(client, READING1, "100", "150")
    post_reading(client, READING2, "150", "250", electricity_returned_1="50", electricity_returned_2="100")
    if post_reading_after_end:
        post_reading(client, READING2 + timedelta(minutes=15), "150", "250")


def test_okay(server: Server, account: Account) -> None:
    client = server.client(account.key)
    post_reading(client, READING1, "100", "150")
    post_reading(client, READING2, "150", "250", electricity_returned_1="50", electricity_returned_2="100")
    assert client.get(PEAKS).json()["count"] == 0  # still lacking a reading after the quarter's end
    post_reading(client, READING2 + timedelta(minutes=15), "150", "250")
    peaks = client.get(PEAKS).json()
    assert peaks["count"] == 1
    (peak,) = peaks["results"]
    assert list(peak) == ["id", "read_at_start", "read_at_end", "average_delivered"]
    assert peak["read_at_start"] == "2022-01-01T14:15:01+01:00"
    assert peak["read_at_end"] == "2022-01-01T14:29:40+01:00"  # 15 minutes less 21 seconds
    # 150 kWh in 879 seconds, per hour (return does not count): 150 x ~4.0956.
    assert peak["average_delivered"] == "614.334"


def test_too_few_readings(server: Server, account: Account) -> None:
    client = server.client(account.key)
    post_reading(client, READING1, "100", "150")
    post_reading(client, READING1 + timedelta(minutes=15), "100", "150")  # not in the same quarter
    assert client.get(PEAKS).json()["count"] == 0


def test_a_reading_on_the_quarters_end_is_its_last(server: Server, account: Account) -> None:
    client = server.client(account.key)
    post_reading(client, READING1, "100", "150")
    post_reading(client, datetime(2022, 1, 1, 14, 30, tzinfo=LOCAL), "100.5", "150")
    (peak,) = client.get(PEAKS).json()["results"]
    assert peak["read_at_end"] == "2022-01-01T14:30:00+01:00"
    assert peak["average_delivered"] == "2.002"  # 0.5 kWh in 899 s


def test_retroactive(server: Server, account: Account) -> None:
    """Five hours of readings every five minutes, posted newest first: 20 quarters, whatever the order."""
    client = server.client(account.key)
    now = datetime(2022, 1, 1, 0, 0, tzinfo=LOCAL)
    for interval in range(0, 300, 5):
        grown = Decimal("0.04") * (300 - interval)  # 0.2 kWh per five minutes on each register
        post_reading(client, now - timedelta(minutes=interval), f"{100 + grown}", f"{150 + grown}")
    peaks = client.get(PEAKS, params={"limit": 100}).json()
    assert peaks["count"] == 20
    # 1.2 kWh from a quarter's first reading to the one on its end, 15 minutes later: 4.8 kW.
    assert {p["average_delivered"] for p in peaks["results"]} == {"4.800"}


def test_ordering_by_average_delivered(server: Server, account: Account) -> None:
    client = server.client(account.key)
    create_readings(client)
    post_reading(client, READING2 + timedelta(minutes=15, seconds=30), "151", "250")
    post_reading(client, READING2 + timedelta(minutes=30), "151", "250")
    ordered = client.get(PEAKS, params={"ordering": "-average_delivered"}).json()["results"]
    assert [p["average_delivered"] for p in ordered] == sorted(
        (p["average_delivered"] for p in ordered), key=float, reverse=True
    )
