"""Every captured DSMR-reader telegram, posted through API v1, reads back as DSMR-reader stores it."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from meterhub.demo.sample import sample_telegram
from tests.conftest import FIXTURES, Account, Server, telegram
from tests.factories import with_gas

EXPECTED = json.loads((FIXTURES / "telegrams" / "expected.json").read_text())
# DSMR-reader leaves dsmr_version empty for Fluvius meters; meterhub keeps what the meter says.
KEPT_ON_PURPOSE = {"meter_statistics.dsmr_version"}


def reading_cases() -> list[tuple[str, dict[str, Any]]]:
    cases = []
    for name, facts in EXPECTED.items():
        if not name.startswith("dsmrreader_"):
            continue
        for test, values in facts.get("asserts", {}).items():
            if test.endswith("test_reading_values") or test.endswith("test_track_meter_statistics"):
                cases.append((name, values))
    return cases


def same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict) and "decimal" in expected:
        return actual is not None and Decimal(expected["decimal"]) == Decimal(str(actual))
    if isinstance(expected, dict) and "datetime" in expected:
        return actual is not None and datetime.fromisoformat(expected["datetime"]) == datetime.fromisoformat(
            actual
        )
    return bool(expected == actual)


@pytest.mark.parametrize(("name", "values"), reading_cases(), ids=[c[0] for c in reading_cases()])
def test_telegram_reads_back_as_dsmr_reader_stores_it(
    server: Server, account: Account, name: str, values: dict[str, Any]
) -> None:
    client = server.client(account.key)
    response = client.post("/api/v1/datalogger/dsmrreading", data={"telegram": telegram(name)})
    assert response.status_code == 201, response.text
    reading = client.get("/api/v2/datalogger/dsmrreading").json()["results"][0]
    stats = client.get("/api/v2/datalogger/meter-statistics").json()
    wrong = {}
    for field, expected in values.items():
        if field == "timestamp" and "0-0:1.0.0(" not in telegram(name):
            continue  # no meter clock: the reading is stamped on arrival (upstream's test froze time)
        if field in KEPT_ON_PURPOSE and "Fluvius" in EXPECTED[name]["protocol"]:
            continue
        actual = stats[field.split(".", 1)[1]] if field.startswith("meter_statistics.") else reading[field]
        if not same(expected, actual):
            wrong[field] = (expected, actual)
    assert not wrong


@pytest.mark.parametrize(
    "name",
    [
        "dsmrreader_kaifa_dsmr42_bad_crc.txt",
        "dsmrreader_landisgyr_dsmr40_checksum_invalid.txt",
        "dsmrreader_landisgyr_dsmr40_future_timestamp.txt",
    ],
)
def test_refused_telegrams_are_counted(server: Server, account: Account, name: str) -> None:
    client = server.client(account.key)
    response = client.post("/api/v1/datalogger/dsmrreading", data={"telegram": telegram(name)})
    if "future" in name:
        # Its meter time lies in 2017, not in the future any more: DSMR-reader's test froze the clock.
        assert response.status_code == 201
        return
    assert response.status_code == 400 and "CRC" in response.text
    assert client.get("/api/v2/datalogger/meter-statistics").json()["rejected_telegrams"] == 1
    assert client.get("/api/v2/datalogger/dsmrreading").json()["count"] == 0


@pytest.mark.parametrize(
    ("changed", "hint"),
    [
        (
            lambda text: text.replace("\r\n", "\n"),
            "line endings were changed on the way (LF instead of CRLF)",
        ),
        (lambda text: text.replace("\r\n", " "), "The telegram has no line breaks"),
    ],
    ids=["lf-endings", "joined-lines"],
)
def test_a_telegram_whose_line_ends_changed_on_the_way_is_told_what_happened(
    server: Server, account: Account, changed: Callable[[str], str], hint: str
) -> None:
    sent = changed(telegram("dsmrreader_netbeheer_example_dsmr50.txt"))
    response = server.client(account.key).post("/api/v1/datalogger/dsmrreading", data={"telegram": sent})
    assert response.status_code == 400 and hint in response.text


def test_a_refused_telegram_is_logged_with_its_site_and_why_once_a_minute(
    server: Server, account: Account, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="meterhub")
    sent = telegram("dsmrreader_netbeheer_example_dsmr50.txt").replace("\r\n", "\n")
    client = server.client(account.key)
    for _ in range(3):
        assert client.post("/api/v1/datalogger/dsmrreading", data={"telegram": sent}).status_code == 400
    assert client.get("/api/v2/datalogger/meter-statistics").json()["rejected_telegrams"] == 3
    assert client.post("/api/v1/datalogger/dsmrreading", data={"reading": sent}).status_code == 400
    told = [r.getMessage() for r in caplog.records if "telegram" in r.getMessage()]
    assert [line.split(": ", 1)[0] for line in told] == [
        f"a telegram for site {account.site_id} was refused (LF line endings)",
        f"a telegram for site {account.site_id} was refused (no telegram field)",
    ]
    assert told[0].endswith(
        "(LF instead of CRLF): send the telegram exactly as the meter wrote it, with \\r\\n"
    )
    assert "1-0:1.8.1" not in caplog.text and account.key not in caplog.text


def test_a_telegram_clashing_with_a_stored_gas_reading_keeps_its_electricity(
    server: Server, account: Account
) -> None:
    """Upstream's datalogger drops a telegram it is refused: a clash with stored values loses nothing
    else of the telegram. The first gas value of that moment stays; the clash is counted and shown."""
    client = server.client(account.key)
    now = datetime.now(UTC).replace(microsecond=0)
    first = with_gas(sample_telegram(now - timedelta(seconds=10)), "101209112500W", "12785.123")
    second = with_gas(sample_telegram(now), "101209112500W", "12785.999")  # the same gas moment
    for posted in (first, second):
        assert client.post("/api/v1/datalogger/dsmrreading", data={"telegram": posted}).status_code == 201
    readings = client.get("/api/v2/datalogger/dsmrreading", params={"ordering": "timestamp"}).json()
    assert readings["count"] == 2  # the second telegram's electricity is stored
    gas = client.get("/api/v2/consumption/gas").json()["results"]
    assert [g["delivered"] for g in gas] == ["12785.123"]  # the first value kept
    problems = client.get("/api/v2/application/monitoring").json()
    assert problems["problems"] == 1 and "1 telegram(s) held values that differ" in str(problems["details"])
