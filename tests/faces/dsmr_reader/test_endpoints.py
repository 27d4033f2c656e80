"""Every v2 endpoint answers with the real service's fields, formats and pagination."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tests.conftest import Account, Server, telegram
from tests.faces.dsmr_reader.test_statistics import add_contract

V1 = "/api/v1/datalogger/dsmrreading"
V2 = "/api/v2/datalogger/dsmrreading"


def post_reading(client, at: datetime, t1: str, t2: str = "0", **extra: str) -> None:  # type: ignore[no-untyped-def]
    data = {
        "timestamp": at.isoformat(),
        "electricity_delivered_1": t1,
        "electricity_delivered_2": t2,
        "electricity_returned_1": "0",
        "electricity_returned_2": "0",
        "electricity_currently_delivered": "1.234",
        "electricity_currently_returned": "0",
        **extra,
    }
    response = client.post(V2, data=data)
    assert response.status_code == 201, response.text


def test_meter_statistics_from_a_telegram_and_patch(server: Server, account: Account) -> None:
    client = server.client(account.key)
    assert client.post(V1, data={"telegram": telegram("dsmrreader_kaifa_dsmr42.txt")}).status_code == 201
    stats = client.get("/api/v2/datalogger/meter-statistics").json()
    assert stats["dsmr_version"] == "42" and stats["electricity_tariff"] == 2
    assert stats["power_failure_count"] == 6 and stats["long_power_failure_count"] == 3
    assert stats["timestamp"] == "2016-03-03T16:43:47+01:00" and stats["latest_telegram"].startswith(
        "/KFM5KAIFA"
    )
    assert list(stats) == [
        "id",
        "timestamp",
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
        "rejected_telegrams",
        "latest_telegram",
    ]
    patched = client.patch(
        "/api/v2/datalogger/meter-statistics", data={"electricity_tariff": "1", "dsmr_version": "50"}
    )
    assert (
        patched.status_code == 200
        and patched.json()["electricity_tariff"] == 1
        and patched.json()["dsmr_version"] == "50"
    )
    bad = client.patch("/api/v2/datalogger/meter-statistics", data={"power_failure_count": "many"})
    assert bad.status_code == 400 and "power_failure_count" in bad.json()


def test_meter_statistics_are_upstreams_singleton_and_a_blank_telegram_is_null_only_in_a_form(
    server: Server, account: Account
) -> None:
    client = server.client(account.key)
    assert client.post(V1, data={"telegram": telegram("dsmrreader_kaifa_dsmr42.txt")}).status_code == 201
    url = "/api/v2/datalogger/meter-statistics"
    # django-solo's one row: id 1, whichever site the key belongs to.
    assert client.get(url).json()["id"] == 1
    # A form cannot send null, so DRF reads an empty field as null...
    cleared = client.patch(url, data={"latest_telegram": "", "dsmr_version": ""})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["latest_telegram"] is None and cleared.json()["dsmr_version"] is None
    # ...and leaves the timestamp, which may not be null, as it was.
    assert client.patch(url, data={"timestamp": ""}).json()["timestamp"] == "2016-03-03T16:43:47+01:00"
    # JSON can, so its "" is a blank string, which the field refuses.
    blank = client.patch(url, json={"latest_telegram": ""})
    assert blank.status_code == 400 and blank.json() == {"latest_telegram": ["This field may not be blank."]}
    assert client.patch(url, json={"latest_telegram": None}).json()["latest_telegram"] is None
    assert client.patch(url, json={"latest_telegram": " /X \r\n"}).json()["latest_telegram"] == "/X"
    # Upstream's timestamp and rejected_telegrams may not be null at all.
    for name in ("timestamp", "rejected_telegrams"):
        refused = client.patch(url, json={name: None})
        assert refused.status_code == 400 and refused.json() == {name: ["This field may not be null."]}
        assert client.patch(url, data={name: ""}).status_code == 200, name
    assert client.get(url).json()["rejected_telegrams"] == 0


def test_reading_fields_in_model_order_and_pagination_links(server: Server, account: Account) -> None:
    client = server.client(account.key)
    start = datetime(2026, 2, 1, 12, tzinfo=UTC)
    for i in range(30):
        post_reading(
            client,
            start + timedelta(seconds=10 * i),
            f"{100 + i / 1000:.3f}",
            phase_voltage_l1="231.4",
            phase_power_current_l1="3",
        )
    first = client.get(V2).json()
    assert first["count"] == 30 and len(first["results"]) == 25 and first["previous"] is None
    assert first["next"].endswith("/api/v2/datalogger/dsmrreading?limit=25&offset=25")
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 5 and second["next"] is None
    assert second["previous"].endswith("/api/v2/datalogger/dsmrreading?limit=25")
    r = first["results"][0]
    assert list(r) == [
        "id",
        "timestamp",
        "electricity_delivered_1",
        "electricity_returned_1",
        "electricity_delivered_2",
        "electricity_returned_2",
        "electricity_currently_delivered",
        "electricity_currently_returned",
        "phase_currently_delivered_l1",
        "phase_currently_delivered_l2",
        "phase_currently_delivered_l3",
        "extra_device_timestamp",
        "extra_device_delivered",
        "phase_currently_returned_l1",
        "phase_currently_returned_l2",
        "phase_currently_returned_l3",
        "phase_voltage_l1",
        "phase_voltage_l2",
        "phase_voltage_l3",
        "phase_power_current_l1",
        "phase_power_current_l2",
        "phase_power_current_l3",
    ]
    assert r["timestamp"] == "2026-02-01T13:00:00+01:00" and r["phase_voltage_l1"] == "231.4"
    assert r["phase_power_current_l1"] == 3 and r["electricity_delivered_1"] == "100.000"
    newest = client.get(V2, params={"ordering": "-timestamp", "limit": 1}).json()
    assert newest["results"][0]["electricity_delivered_1"] == "100.029"
    assert newest["next"].endswith("limit=1&offset=1&ordering=-timestamp")
    minutes = client.get("/api/v2/consumption/electricity").json()
    assert minutes["count"] == 5  # 30 readings 10 s apart from 12:00:00 UTC span five minutes
    assert minutes["results"][0]["read_at"] == "2026-02-01T13:01:00+01:00"
    assert (
        minutes["results"][0]["delivered_1"] == "100.005"
        and minutes["results"][0]["currently_delivered"] == "1.234"
    )


def test_gas_of_a_dsmr4_meter_is_filed_an_hour_back(server: Server, account: Account) -> None:
    client = server.client(account.key)
    assert (
        client.post(V1, data={"telegram": telegram("dsmrreader_landisgyr350_dsmr40.txt")}).status_code == 201
    )
    gas = client.get("/api/v2/consumption/gas").json()
    assert gas["count"] == 1
    row = gas["results"][0]
    reading = client.get(V2).json()["results"][0]
    assert reading["extra_device_timestamp"] is not None
    at = datetime.fromisoformat(reading["extra_device_timestamp"])
    assert datetime.fromisoformat(row["read_at"]) == at - timedelta(hours=1)
    assert row["delivered"] == reading["extra_device_delivered"] and row["currently_delivered"] == "0.000"
    live = client.get("/api/v2/consumption/gas-live").json()
    assert live["currently_delivered"] == 0.0 and "cost_per_interval" not in live


def test_today_live_and_peaks(server: Server, account: Account) -> None:
    client = server.client(account.key)
    empty = client.get("/api/v2/consumption/today")
    assert empty.status_code == 200 and empty.json().startswith("No electricity readings found for: ")
    assert client.get("/api/v2/consumption/electricity-live").json() == {}
    add_contract(server, account)
    now = datetime.now(UTC).replace(microsecond=0)
    post_reading(client, now - timedelta(minutes=2), "500.000", "20.000")
    post_reading(client, now - timedelta(minutes=1), "500.000", "20.400")
    with server.platform.db.writer.begin() as conn:
        from meterhub.store import meter_statistics

        meter_statistics.patch(conn, site_id=account.site_id, values={"electricity_tariff": 2})
    today = client.get("/api/v2/consumption/today").json()
    assert today["electricity2"] in (0.4, 0.0)  # 0 when the two readings straddle local midnight
    assert today["energy_supplier_price_electricity_delivered_2"] == 0.251235 or today["day"] < "2026-01-01"
    assert set(today) >= {
        "day",
        "electricity_merged",
        "electricity_returned_merged",
        "fixed_cost",
        "total_cost",
    }
    live = client.get("/api/v2/consumption/electricity-live").json()
    assert live["currently_delivered"] == 1234 and live["currently_returned"] == 0
    assert live["tariff_name"] == "High tariff"
    assert live["cost_per_hour"] == str((Decimal("1.234") * Decimal("0.251235")).quantize(Decimal("0.01")))
    # The quarter is still under way: no peak yet (test_quarter_hour_peaks.py).
    assert client.get("/api/v2/consumption/quarter-hour-peak-electricity").json()["count"] == 0


def test_prices_version_and_monitoring(server: Server, account: Account) -> None:
    client = server.client(account.key)
    add_contract(server, account)
    prices = client.get("/api/v2/consumption/energy-supplier-prices").json()
    assert prices["count"] == 1
    assert prices["results"][0] == {
        "id": 1 if prices["results"][0]["id"] == 1 else prices["results"][0]["id"],
        "start": "2026-01-01",
        "end": "2026-12-31",
        "description": "fixed 2026",
        "electricity_delivered_1_price": "0.211235",
        "electricity_delivered_2_price": "0.251235",
        "gas_price": "1.200000",
        "electricity_returned_1_price": "0.070000",
        "electricity_returned_2_price": "0.070000",
        "fixed_daily_cost": "0.845000",
    }
    assert client.get("/api/v2/consumption/energy-supplier-prices?start__gte=2027-01-01").json()["count"] == 0
    assert client.get("/api/v2/application/version").json() == {"version": "5.11.0"}
    # The sources and the descriptions' first words are upstream's, for scripts that match them.
    waiting = client.get("/api/v2/application/monitoring").json()
    assert waiting["problems"] == 1 and waiting["details"][0]["source"] == "dsmr_datalogger.apps"
    assert waiting["details"][0]["description"] == "Waiting for the first reading ever"
    three_hours_ago = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    post_reading(client, three_hours_ago, "1.000")
    silent = client.get("/api/v2/application/monitoring").json()
    assert silent["problems"] == 1 and silent["details"][0]["source"] == "dsmr_datalogger.apps"
    assert silent["details"][0]["description"].startswith("No recent readings received")
    since = datetime.fromisoformat(silent["details"][0]["since"])
    assert since == three_hours_ago
    post_reading(client, datetime.now(UTC), "1.001")
    assert client.get("/api/v2/application/monitoring").json() == {"problems": 0, "details": []}


def test_bad_filters_answer_like_django_filter(server: Server, account: Account) -> None:
    client = server.client(account.key)
    response = client.get(V2, params={"timestamp__gte": "last week"})
    assert response.status_code == 400 and response.json() == {"timestamp__gte": ["Enter a valid date/time."]}
    response = client.get("/api/v2/statistics/day", params={"day__lte": "2026-13-01"})
    assert response.status_code == 400 and response.json() == {"day__lte": ["Enter a valid date."]}
    # Like DRF, a nonsense limit or ordering falls back to the default.
    assert client.get(V2, params={"limit": "x", "ordering": "nonsense"}).status_code == 200
