"""A reading row shows what its telegram said: upstream stores each telegram's own M-Bus reading
(`extra_device_timestamp`, `extra_device_delivered`) on its DsmrReading row, whatever the clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from meterhub.demo.sample import meter_time, sample_telegram
from meterhub.store import meters
from tests.conftest import Account, Server, telegram
from tests.factories import with_gas, without_gas


def _extra_device(reading: dict[str, Any]) -> tuple[datetime | None, str | None]:
    stamp = reading["extra_device_timestamp"]
    return (datetime.fromisoformat(stamp) if stamp else None), reading["extra_device_delivered"]


def test_a_reading_shows_its_own_telegrams_gas_even_stamped_after_it(
    server: Server, account: Account
) -> None:
    """The gas meter's clock runs ahead of the electricity meter's; a telegram without gas lines has none."""
    client = server.client(account.key)
    now = datetime.now(UTC).replace(microsecond=0)
    gas_at = now - timedelta(seconds=30)  # later than the first telegram's own time
    sent = [
        with_gas(sample_telegram(now - timedelta(seconds=60)), meter_time(gas_at), "00100.000"),
        with_gas(sample_telegram(now - timedelta(seconds=50)), meter_time(gas_at), "00100.000"),
        without_gas(sample_telegram(now - timedelta(seconds=40))),
        with_gas(
            sample_telegram(now - timedelta(seconds=20)), meter_time(now - timedelta(seconds=5)), "00100.250"
        ),
    ]
    for text in sent:
        assert client.post("/api/v1/datalogger/dsmrreading", data={"telegram": text}).status_code == 201
    found = client.get("/api/v2/datalogger/dsmrreading").json()["results"]
    assert [_extra_device(r) for r in found] == [
        (gas_at, "100.000"),
        (gas_at, "100.000"),
        (None, None),
        (now - timedelta(seconds=5), "100.250"),
    ]


def test_a_posted_reading_shows_its_own_gas_too(server: Server, account: Account) -> None:
    client = server.client(account.key)
    now = datetime.now(UTC).replace(microsecond=0)
    electricity = {
        "electricity_delivered_1": "1.000",
        "electricity_returned_1": "0",
        "electricity_delivered_2": "2.000",
        "electricity_returned_2": "0",
        "electricity_currently_delivered": "0.100",
        "electricity_currently_returned": "0",
    }
    gas = {
        "extra_device_timestamp": (now - timedelta(seconds=10)).isoformat(),
        "extra_device_delivered": "5.5",
    }
    posted = [
        {**electricity, "timestamp": (now - timedelta(seconds=30)).isoformat(), **gas},  # gas stamped later
        {**electricity, "timestamp": (now - timedelta(seconds=20)).isoformat()},
    ]
    answers = [client.post("/api/v2/datalogger/dsmrreading", json=body) for body in posted]
    assert [a.status_code for a in answers] == [201, 201]
    found = client.get("/api/v2/datalogger/dsmrreading").json()["results"]
    expected = [(now - timedelta(seconds=10), "5.500"), (None, None)]
    assert [_extra_device(a.json()) for a in answers] == [_extra_device(r) for r in found] == expected


def test_a_dsmr4_gas_stamp_days_from_the_telegram_is_kept_as_given(server: Server, account: Account) -> None:
    """The Kaifa telegram of 2016-11-13 carries a gas reading stamped 2016-11-29: upstream stores both."""
    client = server.client(account.key)
    sent = telegram("dsmrparser_v4_2_kaifa.txt")
    assert client.post("/api/v1/datalogger/dsmrreading", data={"telegram": sent}).status_code == 201
    [reading] = client.get("/api/v2/datalogger/dsmrreading").json()["results"]
    assert reading["timestamp"] == "2016-11-13T20:57:57+01:00"
    assert (reading["extra_device_timestamp"], reading["extra_device_delivered"]) == (
        "2016-11-29T20:00:00+01:00",
        "981.443",
    )


def test_a_heat_meters_telegram_is_a_reading_with_its_heat(server: Server, account: Account) -> None:
    """A Warmtelink sends a telegram with a heat reading (GJ) and no electricity. Upstream maps any M-Bus
    channel's `0-n:24.2.1` to the extra device, so its row shows the heat there; electricity is empty."""
    client = server.client(account.key)
    sent = telegram("dsmrparser_v5_warmtelink_unpadded_crc.txt")
    assert client.post("/api/v1/datalogger/dsmrreading", data={"telegram": sent}).status_code == 201
    readings = client.get("/api/v2/datalogger/dsmrreading").json()
    assert readings["count"] == 1
    [reading] = readings["results"]
    assert reading["timestamp"] == reading["extra_device_timestamp"] == "2026-02-15T20:05:23+01:00"
    assert reading["extra_device_delivered"] == "240.860"
    assert {k for k, v in reading.items() if v is not None} == {
        "id",
        "timestamp",
        "extra_device_timestamp",
        "extra_device_delivered",
    }
    with server.platform.db.reader.connect() as conn:
        [heat] = meters.site_streams(conn, account.site_id, ("heat_gj",))
        assert meters.stream_counts(conn, [heat.stream_id])[heat.stream_id][0] == 1
    # Heat is not gas: nothing of it counts as gas usage.
    assert client.get("/api/v2/consumption/gas").json()["count"] == 0
