"""The DSMR-reader API document's own examples, run unchanged against a running meterhub."""

from __future__ import annotations

import re

import pytest
import requests

from tests.conftest import FIXTURES, Account, Server, telegram

DOC = (FIXTURES / "documents" / "dsmr-reader-api.txt").read_text()


def document_telegram() -> str:
    """The Kaifa telegram exactly as the document prints it (equipment id masked)."""
    block = DOC[DOC.index("telegram_string = ''.join([") : DOC.index("])", DOC.index("telegram_string"))]
    parts = re.findall(r'^\s+"(.*)",$', block, re.M)
    return "".join(p.encode().decode("unicode_escape") for p in parts)


def test_the_printed_telegram_is_refused_with_both_crcs_named(server: Server, account: Account) -> None:
    # The document's telegram had its equipment id masked after the CRC was computed.
    response = requests.post(
        f"{server.url}/api/v1/datalogger/dsmrreading",
        headers={"X-AUTHKEY": account.key},
        data={"telegram": document_telegram()},
    )
    assert response.status_code == 400
    assert "74B0" in response.text and "A97E" in response.text
    assert server.client(account.key).get("/api/v2/datalogger/dsmrreading").json()["count"] == 0


def test_the_unmasked_telegram_is_stored_and_read_back(server: Server, account: Account) -> None:
    response = requests.post(
        f"{server.url}/api/v1/datalogger/dsmrreading",
        headers={"X-AUTHKEY": account.key},
        data={"telegram": telegram("dsmrreader_kaifa_dsmr42_api_v1.txt")},
    )
    assert response.status_code == 201 and response.text == ""
    latest = requests.get(
        f"{server.url}/api/v2/datalogger/dsmrreading?ordering=-timestamp&limit=1",
        headers={"X-AUTHKEY": account.key},
    ).json()
    reading = latest["results"][0]
    assert latest["count"] == 1
    assert reading["timestamp"] == "2016-03-03T16:43:47+01:00"  # 15:43:47 UTC in Europe/Amsterdam
    assert reading["electricity_delivered_1"] == "1073.079"
    assert reading["electricity_delivered_2"] == "1263.199"
    assert reading["electricity_currently_delivered"] == "0.143"


def test_the_curl_example_with_token_header(server: Server, account: Account) -> None:
    response = requests.post(
        f"{server.url}/api/v1/datalogger/dsmrreading",
        headers={"Authorization": f"Token {account.key}"},
        data={"telegram": telegram("dsmrreader_kaifa_dsmr42_api_v1.txt")},
    )
    assert response.status_code == 201
    assert server.client(account.key).get("/api/v2/datalogger/dsmrreading").json()["count"] == 1


def test_the_v2_post_example_returns_the_documented_shape(server: Server, account: Account) -> None:
    response = requests.post(
        f"{server.url}/api/v2/datalogger/dsmrreading",
        headers={"X-AUTHKEY": account.key},
        data={
            "electricity_currently_delivered": 1.500,
            "electricity_currently_returned": 0.025,
            "electricity_delivered_1": 2000,
            "electricity_delivered_2": 3000,
            "electricity_returned_1": 0,
            "electricity_returned_2": 0,
            "timestamp": "2017-04-15T00:00:00+02",
        },
    )
    assert response.status_code == 201, response.text
    created = response.json()
    documented = {
        "timestamp": "2017-04-15T00:00:00+02:00",
        "electricity_delivered_1": "2000.000",
        "electricity_returned_1": "0.000",
        "electricity_delivered_2": "3000.000",
        "electricity_returned_2": "0.000",
        "electricity_currently_delivered": "1.500",
        "electricity_currently_returned": "0.025",
        "phase_currently_delivered_l1": None,
        "phase_currently_delivered_l2": None,
        "phase_currently_delivered_l3": None,
        "extra_device_timestamp": None,
        "extra_device_delivered": None,
    }
    assert {k: created[k] for k in documented} == documented
    assert isinstance(created["id"], int)


def test_the_datalogger_scripts_send_telegram_gets_201(
    server: Server, account: Account, capsys: pytest.CaptureFixture[str]
) -> None:
    script = DOC[DOC.index("from time import sleep") : DOC.index("if __name__ == '__main__':")]
    namespace: dict[str, object] = {}
    exec(compile(script, "dsmr_datalogger_api_client.py", "exec"), namespace)
    send = namespace["send_telegram"]
    url = f"{server.url}/api/v1/datalogger/dsmrreading"
    send(telegram("dsmrreader_kaifa_dsmr42_api_v1.txt"), url, account.key)  # type: ignore[operator]
    assert "API error" not in capsys.readouterr().out
    assert server.client(account.key).get("/api/v2/datalogger/dsmrreading").json()["count"] == 1
    send("garbage", url, account.key)  # type: ignore[operator]
    assert "API error: Failed to parse telegram" in capsys.readouterr().out


def test_fetch_readings_by_month_example(server: Server, account: Account) -> None:
    requests.post(
        f"{server.url}/api/v2/datalogger/dsmrreading",
        headers={"X-AUTHKEY": account.key},
        data={
            "electricity_currently_delivered": 0.075,
            "electricity_currently_returned": 0,
            "electricity_delivered_1": 1596.234,
            "electricity_delivered_2": 1484.761,
            "electricity_returned_1": 0,
            "electricity_returned_2": 0,
            "timestamp": "2017-01-31T23:00:03Z",
        },
    )
    response = requests.get(
        f"{server.url}/api/v2/datalogger/dsmrreading?timestamp__gte=2017-02-01%2000:00:00&timestamp__lte=2017-03-01%2000:00:00",
        headers={"X-AUTHKEY": account.key},
    )
    assert response.status_code == 200
    body = response.json()
    # 2017-01-31T23:00:03Z is 2017-02-01 00:00:03 in Amsterdam: naive filters are local time.
    assert body["count"] == 1 and body["previous"] is None and body["next"] is None
    assert body["results"][0]["electricity_delivered_1"] == "1596.234"


def test_day_statistics_example_shape(server: Server, account: Account) -> None:
    response = requests.get(
        f"{server.url}/api/v2/statistics/day?day__gte=2017-02-01&day__lte=2017-03-01",
        headers={"X-AUTHKEY": account.key},
    )
    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}
