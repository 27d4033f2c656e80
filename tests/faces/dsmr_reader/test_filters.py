"""The local times of the DST changes, which DRF refuses rather than guess (DSMR-reader 5.11:
Django 3.2 with pytz)."""

from __future__ import annotations

from tests.conftest import Account, Server
from tests.faces.dsmr_reader.test_endpoints import V2

# 2026 in Europe/Amsterdam: 02:00–03:00 does not exist on 29 March and happens twice on 25 October.
MISSING, TWICE = "2026-03-29 02:30:00", "2026-10-25 02:30:00"


POST_REFUSED = 'Invalid datetime for the timezone "Europe/Amsterdam".'  # DRF's enforce_timezone


DAY = {
    "day": "2015-06-01",
    **{
        name: "0"
        for name in ("electricity1", "electricity2", "electricity1_returned", "electricity2_returned")
    },
    **{name: "0" for name in ("electricity1_cost", "electricity2_cost", "total_cost")},
}


def test_posted_times_refuse_the_local_times_of_the_dst_changes(server: Server, account: Account) -> None:
    client = server.client(account.key)
    reading = {
        "electricity_delivered_1": "100.000",
        "electricity_delivered_2": "0",
        "electricity_returned_1": "0",
        "electricity_returned_2": "0",
        "electricity_currently_delivered": "0.2",
        "electricity_currently_returned": "0",
    }
    for value in (MISSING, TWICE):
        local = value.replace(" ", "T")
        response = client.post(V2, data={**reading, "timestamp": local, "extra_device_timestamp": local})
        assert response.status_code == 400
        assert response.json() == {"timestamp": [POST_REFUSED], "extra_device_timestamp": [POST_REFUSED]}
        patched = client.patch("/api/v2/datalogger/meter-statistics", data={"timestamp": local})
        assert patched.status_code == 400 and patched.json() == {"timestamp": [POST_REFUSED]}
        day = {**DAY, "electricity_reading_timestamp": local, "gas_reading_timestamp": local}
        imported = client.post("/api/v2/statistics/day", data=day)
        assert imported.status_code == 400 and imported.json() == {
            "electricity_reading_timestamp": [POST_REFUSED],
            "gas_reading_timestamp": [POST_REFUSED],
        }
    response = client.post(V2, data={**reading, "timestamp": "2026-10-25T02:30:00+01:00"})
    assert response.status_code == 201 and response.json()["timestamp"] == "2026-10-25T02:30:00+01:00"
