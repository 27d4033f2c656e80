"""Bad input battery: every malformed telegram or reading gets a 4xx with a hint, nothing is stored,
and the server keeps serving."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from meterhub.ingest.crc import crc16_arc
from tests.conftest import Account, Server, make_account, telegram

V1 = "/api/v1/datalogger/dsmrreading"
V2 = "/api/v2/datalogger/dsmrreading"
GOOD = telegram("dsmrreader_netbeheer_example_dsmr50.txt")


def with_crc(body: str) -> str:
    """A telegram body (from `/` to `!`) with its correct CRC."""
    return body + f"{crc16_arc(body.encode('latin-1')):04X}\r\n"


def telegram_at(moment: datetime) -> str:
    """The good telegram, its meter clock showing that moment (as Dutch time, as meters write it)."""
    local = moment.astimezone(ZoneInfo("Europe/Amsterdam"))
    ts = local.strftime("%y%m%d%H%M%S") + ("S" if local.dst() else "W")
    lines = [line if not line.startswith("0-0:1.0.0(") else f"0-0:1.0.0({ts})" for line in GOOD.split("\r\n")]
    body = "\r\n".join(lines)
    return with_crc(body[: body.index("!") + 1])


def bad_telegrams() -> list[tuple[str, str | bytes]]:
    """(name, form value) pairs: each must be refused."""
    cases: list[tuple[str, str | bytes]] = []
    cut = [int(len(GOOD) * i / 40) for i in range(1, 40)]
    cases += [(f"truncated at {n}", GOOD[:n]) for n in cut]
    start = GOOD.index("1-0:1.8.1")
    for i, pos in enumerate(range(start, start + 300, 15)):
        flipped = GOOD[:pos] + ("7" if GOOD[pos] != "7" else "3") + GOOD[pos + 1 :]
        cases.append((f"digit changed at {pos} ({i})", flipped))
    cases += [
        ("garbage", "hello world"),
        ("header only", "/ISK5\\2M550T-1012\r\n\r\n!"),
        ("no header", GOOD[GOOD.index("\n") + 1 :]),
        ("no exclamation mark", GOOD.replace("!", "")),
        ("CRC of letters", GOOD[: GOOD.index("!") + 1] + "ZZZZ\r\n"),
        ("checksum 0000", GOOD[: GOOD.index("!") + 1] + "0000\r\n"),
        (
            "letters in a value",
            with_crc(GOOD.replace("1-0:1.8.1(123456.", "1-0:1.8.1(1234x6.")[: GOOD.index("!") + 1]),
        ),
        ("huge line", with_crc(GOOD[:20] + "9" * 200_000 + GOOD[20 : GOOD.index("!") + 1])),
        ("future timestamp", telegram_at(datetime.now(UTC) + timedelta(days=3))),
        # (the cases are made when the tests are collected, minutes before they run)
        ("clock a day and an hour ahead", telegram_at(datetime.now(UTC) + timedelta(hours=25))),
        ("clock in 1996 (flat battery)", telegram_at(datetime(1996, 3, 1, tzinfo=UTC))),
        ("clock on 1999-12-31", telegram_at(datetime(1999, 12, 31, 22, tzinfo=UTC))),
        ("binary junk", bytes(range(256)) * 4),
        ("non-UTF-8 in values", GOOD.encode("latin-1").replace(b"1-0:1.8.1(", b"1-0:1.8.1(\xff\xfe")),
        ("json instead", json.dumps({"telegram": GOOD})),
    ]
    return cases


CASES = bad_telegrams()


def points(server: Server) -> int:
    with server.platform.db.reader.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM points")).scalar_one())


def test_battery_has_over_a_hundred_cases() -> None:
    assert len(CASES) + len(BAD_READINGS) >= 100


def test_every_malformed_telegram_gets_a_400_hint_and_stores_nothing(
    server: Server, account: Account
) -> None:
    client = server.client(account.key)
    for name, value in CASES:
        response = client.post(V1, data={"telegram": value})
        assert response.status_code == 400, (name, response.status_code, response.text)
        assert response.text.startswith("Failed to parse telegram: ") and len(response.text) > 40, name
    assert points(server) == 0
    stats = client.get("/api/v2/datalogger/meter-statistics").json()
    assert stats["rejected_telegrams"] == len(CASES)
    assert client.post(V1, data={"telegram": GOOD}).status_code == 201
    assert points(server) > 0


def test_missing_empty_or_oversized_bodies(server: Server, account: Account) -> None:
    client = server.client(account.key)
    for form in ({}, {"telegram": ""}, {"telegram": "\x00" * 50}, {"other": GOOD}):
        response = client.post(V1, data=form)
        assert response.status_code == 400 and response.text.startswith("Invalid data: "), form
    huge = client.post(
        V1,
        content=b"telegram=" + b"9" * 10_000_000,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert huge.status_code == 413 and "limit" in huge.text
    multipart = client.post(V1, files={"telegram": ("t.txt", b"9" * 10_000_000)})
    assert multipart.status_code == 413
    assert points(server) == 0
    assert client.post(V1, data={"telegram": "\x00\x00" + GOOD + "\x00"}).status_code == 201
    assert points(server) > 0


def test_someone_elses_key_cannot_write_here(server: Server, account: Account) -> None:
    stranger = make_account(server.platform, email="stranger@example.org")
    assert server.client(stranger.key).post(V1, data={"telegram": GOOD}).status_code == 201
    assert server.client(account.key).get(V2).json()["count"] == 0
    assert server.client(stranger.key).get(V2).json()["count"] == 1  # stored on the stranger's site


VALID = {
    "timestamp": "2017-04-15T00:00:00+02",
    "electricity_currently_delivered": "1.5",
    "electricity_currently_returned": "0.025",
    "electricity_delivered_1": "2000",
    "electricity_delivered_2": "3000",
    "electricity_returned_1": "0",
    "electricity_returned_2": "0",
}


def _without(name: str) -> dict[str, object]:
    return {k: v for k, v in VALID.items() if k != name}


BAD_READINGS: list[tuple[str, dict[str, object], str]] = (
    [(f"missing {name}", _without(name), name) for name in VALID]
    + [(f"{name} not a number", {**VALID, name: "abc"}, name) for name in VALID if name != "timestamp"]
    + [
        (f"{name} too many decimals", {**VALID, name: "1.0001"}, name)
        for name in VALID
        if name != "timestamp"
    ]
    + [(f"{name} too large", {**VALID, name: "12345678"}, name) for name in VALID if name != "timestamp"]
    + [
        ("timestamp garbage", {**VALID, "timestamp": "yesterday"}, "timestamp"),
        ("timestamp 25th month", {**VALID, "timestamp": "2017-25-15T00:00:00Z"}, "timestamp"),
        ("timestamp far future", {**VALID, "timestamp": "2099-01-01T00:00:00Z"}, "timestamp"),
        ("timestamp before 2000", {**VALID, "timestamp": "1996-01-01T00:00:00Z"}, "timestamp"),
        ("timestamp in year 1", {**VALID, "timestamp": "0001-01-01T00:00:00"}, "timestamp"),
        ("timestamp in year 1000", {**VALID, "timestamp": "1000-06-01T00:00:00Z"}, "timestamp"),
        ("timestamp in year 9999", {**VALID, "timestamp": "9999-12-31T23:59:59Z"}, "timestamp"),
        (
            "gas time before 2000",
            {**VALID, "extra_device_timestamp": "1999-04-15T00:00:00Z", "extra_device_delivered": "1.0"},
            "extra_device_timestamp",
        ),
        ("phase current above 999", {**VALID, "phase_power_current_l1": "1000"}, "phase_power_current_l1"),
        ("phase current negative", {**VALID, "phase_power_current_l1": "-1"}, "phase_power_current_l1"),
        ("phase current decimal", {**VALID, "phase_power_current_l1": "1.5"}, "phase_power_current_l1"),
        ("voltage too precise", {**VALID, "phase_voltage_l1": "230.05"}, "phase_voltage_l1"),
        (
            "gas not a number",
            {**VALID, "extra_device_timestamp": "2017-04-15T00:00:00Z", "extra_device_delivered": "x"},
            "extra_device_delivered",
        ),
        (
            "gas time garbage",
            {**VALID, "extra_device_timestamp": "noon", "extra_device_delivered": "1.0"},
            "extra_device_timestamp",
        ),
        ("NaN", {**VALID, "electricity_delivered_1": "NaN"}, "electricity_delivered_1"),
        ("Infinity", {**VALID, "electricity_delivered_1": "Infinity"}, "electricity_delivered_1"),
    ]
)


@pytest.mark.parametrize("as_json", [False, True], ids=["form", "json"])
def test_every_bad_reading_gets_a_400_naming_the_field(
    server: Server, account: Account, as_json: bool
) -> None:
    client = server.client(account.key)
    for name, data, field in BAD_READINGS:
        response = client.post(V2, json=data) if as_json else client.post(V2, data=data)
        assert response.status_code == 400, (name, response.text)
        assert field in response.json() and response.json()[field][0], name
    for body in (b"[1, 2]", b'{"timestamp": ', b"\xff\xfe\x00"):
        response = client.post(V2, content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 400 and "detail" in response.json()
    assert client.post(V2, json={**VALID, "electricity_delivered_1": True}).status_code == 400
    assert points(server) == 0
    assert client.post(V2, json=VALID).status_code == 201
    assert points(server) > 0


def test_a_meter_clock_outside_the_window_is_named_in_the_hint(server: Server, account: Account) -> None:
    client = server.client(account.key)
    old = client.post(V1, data={"telegram": telegram_at(datetime(1996, 3, 1, 12, tzinfo=UTC))})
    assert old.status_code == 400
    assert "meter's clock is wrong: 1996-03-01 12:00:00 UTC is before 2000-01-01 00:00:00 UTC" in old.text
    ahead = client.post(V1, data={"telegram": telegram_at(datetime.now(UTC) + timedelta(days=3))})
    assert ahead.status_code == 400 and "more than 24 hours after the server's clock" in ahead.text
    reading = client.post(V2, json={**VALID, "timestamp": "1996-01-01T00:00:00Z"})
    assert reading.status_code == 400
    assert reading.json()["timestamp"] == [
        "This moment cannot be stored: 1996-01-01 00:00:00 UTC is before 2000-01-01 00:00:00 UTC, the "
        "earliest time meterhub stores; set the clock of the device that sent it right (an earlier limit is "
        "set with METERHUB_EARLIEST_TIMESTAMP)."
    ]
    assert points(server) == 0
