"""Statistics and costs through the v2 API: per hour and day, in order or not, with contracts."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from typing import Any

from meterhub.core.costs import Prices
from meterhub.store import tariffs
from tests.conftest import Account, Server

TZ = "Europe/Amsterdam"
V2 = "/api/v2/datalogger/dsmrreading"


def readings(day: date, *, every_min: int = 5) -> list[dict[str, str]]:
    """A day of v2 readings (local times), tariff 1 at night and tariff 2 by day."""
    out, t1, t2, r1 = [], Decimal("1000.000"), Decimal("2000.000"), Decimal("10.000")
    for minute in range(0, 24 * 60, every_min):
        hour = minute // 60
        if 7 <= hour < 23:
            t2 += Decimal("0.021")
        else:
            t1 += Decimal("0.013")
        if 11 <= hour < 14:
            r1 += Decimal("0.030")
        out.append(
            {
                "timestamp": f"{day.isoformat()}T{hour:02d}:{minute % 60:02d}:00",
                "electricity_delivered_1": str(t1),
                "electricity_delivered_2": str(t2),
                "electricity_returned_1": str(r1),
                "electricity_returned_2": "0",
                "electricity_currently_delivered": "0.250",
                "electricity_currently_returned": "0",
            }
        )
    return out


def post_all(server: Server, account: Account, items: list[dict[str, str]]) -> None:
    client = server.client(account.key)
    for item in items:
        assert client.post(V2, data=item).status_code in (201, 400)


def add_contract(server: Server, account: Account) -> None:
    with server.platform.db.writer.begin() as conn:
        tariffs.add(
            conn,
            site_id=account.site_id,
            start=date(2026, 1, 1),
            end=date(2026, 12, 31),
            description="fixed 2026",
            prices=Prices(
                import_t1=Decimal("0.211235"),
                import_t2=Decimal("0.251235"),
                export_t1=Decimal("0.070000"),
                export_t2=Decimal("0.070000"),
                gas=Decimal("1.200000"),
                fixed_daily=Decimal("0.845000"),
            ),
        )


def stats(server: Server, account: Account, path: str) -> Any:
    return server.client(account.key).get(path).json()


def test_random_order_with_retries_gives_the_same_statistics_and_costs(
    server: Server, account: Account
) -> None:
    add_contract(server, account)
    day = date(2026, 3, 10)
    items = readings(day) + readings(date(2026, 3, 11))[:1]
    shuffled = items + random.Random(7).sample(items, 60)
    random.Random(8).shuffle(shuffled)
    post_all(server, account, shuffled)
    days = stats(server, account, "/api/v2/statistics/day?day__gte=2026-03-10&day__lte=2026-03-10")
    hours = stats(
        server,
        account,
        "/api/v2/statistics/hour?hour_start__gte=2026-03-10 00:00:00&hour_start__lte=2026-03-10 23:00:00&limit=100",
    )
    (d,) = days["results"]
    # 8 night hours x 12 readings x 13 Wh and 16 day hours x 12 x 21 Wh; the first reading of
    # the day closes the interval since the day before, which is not there.
    assert (
        d["electricity1"] == "1.235"
        and d["electricity2"] == "4.032"
        and d["electricity1_returned"] == "1.080"
    )
    assert d["electricity1_cost"] == "0.19"  # 1.235 x 0.211235 - 1.080 x 0.07 = 0.185...
    assert d["electricity2_cost"] == "1.01"  # 4.032 x 0.251235 = 1.01297...
    assert d["fixed_cost"] == "0.85" and d["total_cost"] == "2.05"  # 0.19 + 1.01 + 0.845 = 2.045 → 2.05
    assert (
        d["electricity1_reading"] == "1000.013"
        and d["electricity_reading_timestamp"] == "2026-03-10T00:00:00+01:00"
    )
    assert hours["count"] == 24
    assert sum(Decimal(h["electricity2"]) for h in hours["results"]) == Decimal("4.032")
    assert hours["results"][0]["hour_start"] == "2026-03-10T00:00:00+01:00"
    assert hours["results"][0]["gas"] == "0.000"

    # Posting the same day once, in order, into a second site gives identical figures.
    from tests.conftest import make_account

    other = make_account(server.platform, email="second@example.org")
    add_contract(server, other)
    post_all(server, other, items)
    assert stats(server, other, "/api/v2/statistics/day?day__gte=2026-03-10&day__lte=2026-03-10")["results"][
        0
    ] | {"id": 0} == d | {"id": 0}
    again = stats(
        server,
        other,
        "/api/v2/statistics/hour?hour_start__gte=2026-03-10 00:00:00&hour_start__lte=2026-03-10 23:00:00&limit=100",
    )
    assert again["results"] == hours["results"]


def test_a_dst_day_has_25_hours(server: Server, account: Account) -> None:
    client = server.client(account.key)
    # 2026-10-25 in Amsterdam: 02:00–03:00 happens twice; post UTC instants every 30 minutes.
    t1 = Decimal("100.000")
    for half_hour in range(0, 50):
        minutes = half_hour * 30
        t1 += Decimal("0.100")
        ts = f"2026-10-24T{22 + minutes // 60 if minutes < 120 else 0:02d}"
        from datetime import UTC, datetime, timedelta

        at = datetime(2026, 10, 24, 22, tzinfo=UTC) + timedelta(minutes=minutes)
        ts = at.isoformat()
        response = client.post(
            V2,
            data={
                "timestamp": ts,
                "electricity_delivered_1": str(t1),
                "electricity_delivered_2": "0",
                "electricity_returned_1": "0",
                "electricity_returned_2": "0",
                "electricity_currently_delivered": "0.2",
                "electricity_currently_returned": "0",
            },
        )
        assert response.status_code == 201, response.text
    hours = client.get(
        "/api/v2/statistics/hour?hour_start__gte=2026-10-25&hour_start__lte=2026-10-25 23:59:59&limit=50"
    ).json()
    assert hours["count"] == 25
    starts = [h["hour_start"] for h in hours["results"]]
    assert "2026-10-25T02:00:00+02:00" in starts and "2026-10-25T02:00:00+01:00" in starts


def test_importing_a_historic_day(server: Server, account: Account) -> None:
    client = server.client(account.key)
    day = {
        "day": "2015-06-01",
        "electricity1": "7.289",
        "electricity2": "0",
        "electricity1_returned": "0",
        "electricity2_returned": "0",
        "electricity1_cost": "1.30",
        "electricity2_cost": "0",
        "total_cost": "3.14",
        "gas": "3.047",
        "gas_cost": "1.84",
        "lowest_temperature": "0.6",
        "highest_temperature": "7.9",
        "average_temperature": "4.3",
    }
    created = client.post("/api/v2/statistics/day", data=day)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["day"] == "2015-06-01" and body["total_cost"] == "3.14" and body["electricity1"] == "7.289"
    assert body["average_temperature"] == "4.3" and body["fixed_cost"] == "0.00"
    again = client.post("/api/v2/statistics/day", data=day)
    # DRF's unique message, from the model's verbose names, word for word as upstream answers it.
    assert again.status_code == 400 and again.json() == {
        "day": ["Day statistics (automatically generated data) with this Date already exists."]
    }
    listed = client.get("/api/v2/statistics/day").json()
    assert listed["count"] == 1 and listed["results"][0] == body
    missing = client.post("/api/v2/statistics/day", data={"day": "2015-06-02"})
    assert missing.status_code == 400 and "electricity1" in missing.json() and "total_cost" in missing.json()
    for outside in ("1996-06-01", "0001-01-01", "9999-12-31"):
        refused = client.post("/api/v2/statistics/day", data={**day, "day": outside})
        assert refused.status_code == 400 and "cannot be stored" in refused.json()["day"][0], outside
