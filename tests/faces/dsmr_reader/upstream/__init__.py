"""DSMR-reader 5.11's own API tests (`dsmr_api/tests/`), translated: each module is one upstream file,
each test one upstream case, asserting what upstream asserts.

Upstream loads Django fixtures (`dsmr_api/fixtures/dsmr_api/*.json`, copied byte for byte into
`tests/fixtures/dsmr-reader-tests/`); here their rows go in as a user gets them into meterhub:
readings through the v2 POST, days through the v2 POST of day statistics, gas positions and energy
contracts through the platform's ingest and store functions. Upstream's ids are its rows' primary
keys; meterhub's are derived from the row's time (a reading's epoch milliseconds, a minute's end in
minutes, an hour's start in hours, a day's ordinal), so the tests look a fixture row's id up by its
upstream `pk` (`ids`) and assert the same order and selection.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from meterhub.core.costs import Prices
from meterhub.core.roles import MeterType
from meterhub.ingest import meters
from meterhub.ingest.telegram import MeterSample
from meterhub.store import tariffs
from tests.conftest import FIXTURES, Account, Server
from tests.faces.dsmr_reader.test_endpoints import V2

# Upstream's TIME_ZONE: its tests' timezone.make_aware() and naive filter values are in it.
LOCAL = ZoneInfo("Europe/Amsterdam")
_READING_FIELDS_IGNORED = {"processed"}  # upstream's bookkeeping, not part of the API


def fixture(name: str) -> list[dict[str, Any]]:
    """An upstream fixture's rows (`dsmr_api/fixtures/dsmr_api/<name>.json`)."""
    rows: list[dict[str, Any]] = json.loads((FIXTURES / "dsmr-reader-tests" / f"{name}.json").read_text())
    return rows


def _ms(moment: str) -> int:
    return int(datetime.fromisoformat(moment).timestamp() * 1000)


def ids(name: str) -> dict[int, int]:
    """Upstream pk -> the id meterhub gives the same row (time-derived, see the module docstring)."""
    out = {}
    for row in fixture(name):
        f = row["fields"]
        if "timestamp" in f:  # a DsmrReading: its epoch milliseconds
            out[row["pk"]] = _ms(f["timestamp"])
        elif "hour_start" in f:
            out[row["pk"]] = _ms(f["hour_start"]) // 3_600_000
        elif "day" in f:
            out[row["pk"]] = date.fromisoformat(f["day"]).toordinal()
        elif "delivered" in f:  # a GasConsumption: the gas meter's stamp in seconds
            out[row["pk"]] = _ms(f["read_at"]) // 1000
        elif "read_at_start" in f:  # a quarter-hour peak: its quarter's start in quarters
            out[row["pk"]] = _ms(f["read_at_start"]) // 900_000
        else:  # an ElectricityConsumption: its minute's end in minutes
            out[row["pk"]] = _ms(f["read_at"]) // 60_000
    return out


def request(
    client: httpx.Client, path: str, expected_code: int = 200, method: str = "get", **data: Any
) -> Any:
    """Upstream's `APIv2TestCase._request`: the answer's JSON after checking its status; a POST's data
    is a JSON body (upstream's `content_type="application/json"`), a GET's the query."""
    response = client.post(path, json=data) if method == "post" else client.get(path, params=data)
    assert response.status_code == expected_code, response.text
    return response.json()


def post(client: httpx.Client, path: str, data: dict[str, Any]) -> None:
    response = client.post(path, data=data)
    assert response.status_code == 201, response.text


def load_readings(client: httpx.Client, name: str) -> None:
    """A DsmrReading fixture, each row posted as a v2 reading."""
    for row in fixture(name):
        post(client, V2, {k: v for k, v in row["fields"].items() if k not in _READING_FIELDS_IGNORED})


def load_electricity_consumption(client: httpx.Client, name: str) -> None:
    """An ElectricityConsumption fixture: upstream groups readings per minute and labels the minute
    with its end, so each row is a reading posted at the start of the minute its `read_at` ends."""
    for row in fixture(name):
        f = row["fields"]
        at = datetime.fromisoformat(f["read_at"]) - timedelta(minutes=1)
        post(
            client,
            V2,
            {
                "timestamp": at.isoformat(),
                "electricity_delivered_1": f["delivered_1"],
                "electricity_delivered_2": f["delivered_2"],
                "electricity_returned_1": f["returned_1"],
                "electricity_returned_2": f["returned_2"],
                "electricity_currently_delivered": f["currently_delivered"],
                "electricity_currently_returned": f["currently_returned"],
            },
        )


def store_gas(server: Server, account: Account, read_at: str, delivered: str) -> None:
    """A gas meter's position at `read_at`, stored as a telegram's M-Bus reading is (upstream's
    GasConsumption row; without electricity, which upstream's gas fixtures do not have)."""
    p = server.platform
    at = datetime.fromisoformat(read_at).astimezone(UTC)
    gas = MeterSample(None, MeterType.GAS, None, at, {"gas_m3": Decimal(delivered)})
    electricity = MeterSample(None, MeterType.ELECTRICITY, None, at, {})
    p.writer.write(
        meters.reading_rows(
            p.registry, site_id=account.site_id, electricity=electricity, devices=[gas], protocol="api"
        )
    )


def load_gas_consumption(server: Server, account: Account, name: str) -> None:
    """A GasConsumption fixture, row by row."""
    for row in fixture(name):
        store_gas(server, account, row["fields"]["read_at"], row["fields"]["delivered"])


def add_prices(server: Server, account: Account, start: date, end: date, **prices: str) -> None:
    """An energy contract as `meterhub tariff add` stores it (upstream's EnergySupplierPrice)."""
    with server.platform.db.writer.begin() as conn:
        tariffs.add(
            conn,
            site_id=account.site_id,
            start=start,
            end=end,
            description=prices.pop("description", ""),
            prices=Prices(**{k: Decimal(v) for k, v in prices.items()}),
        )


def load_prices(server: Server, account: Account, name: str) -> None:
    """An EnergySupplierPrice fixture, upstream's field names to meterhub's contract prices."""
    for row in fixture(name):
        f = row["fields"]
        add_prices(
            server,
            account,
            date.fromisoformat(f["start"]),
            date.fromisoformat(f["end"]),
            description=f["description"],
            import_t1=f["electricity_delivered_1_price"],
            import_t2=f["electricity_delivered_2_price"],
            export_t1=f["electricity_returned_1_price"],
            export_t2=f["electricity_returned_2_price"],
            gas=f["gas_price"],
            fixed_daily=f["fixed_daily_cost"],
        )
