"""Upstream's exact filters (`Meta.fields` of its FilterSets), date-times read as Django and DRF
read them, and the local times of the DST changes, which they refuse rather than guess
(DSMR-reader 5.11: Django 3.2 with pytz, DRF 3.14, django-filter 21.1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from meterhub.faces.dsmr_reader.forms import DATE_FORMAT, DATETIME_FORMAT
from tests.conftest import Account, Server, telegram
from tests.faces.dsmr_reader.test_endpoints import V1, V2, post_reading

# 2026 in Europe/Amsterdam: 02:00–03:00 does not exist on 29 March and happens twice on 25 October.
MISSING, TWICE = "2026-03-29 02:30:00", "2026-10-25 02:30:00"


def filter_refused(value: str) -> str:
    """Django's from_current_timezone message, which django-filter's form fields pass on."""
    return f"{value} couldn’t be interpreted in time zone Europe/Amsterdam; it may be ambiguous or it may not exist."


POST_REFUSED = 'Invalid datetime for the timezone "Europe/Amsterdam".'  # DRF's enforce_timezone


def results(client: httpx.Client, path: str, **params: str) -> list[Any]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == len(body["results"])
    return list(body["results"])


def assert_exact(client: httpx.Client, path: str, field: str, *, matching_none: str) -> None:
    """`?field=<a listed value>` gives exactly that row, `?field=<matching_none>` an empty list."""
    every = results(client, path)
    assert len(every) >= 2
    row = every[1]
    assert results(client, path, **{field: row[field]}) == [row]
    assert results(client, path, **{field: matching_none}) == []


def post_quarter_of_readings(client: httpx.Client, start: datetime) -> None:
    """A reading every 5 minutes for 75 minutes, with gas."""
    for i in range(16):
        at = start + timedelta(minutes=5 * i)
        post_reading(
            client,
            at,
            f"{100 + i / 100:.3f}",
            extra_device_timestamp=at.isoformat(),
            extra_device_delivered=f"{50 + i / 1000:.3f}",
        )


START = datetime(2026, 2, 1, 12, tzinfo=UTC)  # 13:00 in Amsterdam


def test_readings_by_exact_timestamp(server: Server, account: Account) -> None:
    client = server.client(account.key)
    post_quarter_of_readings(client, START)
    assert_exact(client, V2, "timestamp", matching_none="2026-02-01 13:02:00")
    # Upstream's documented form: the site's local time without an offset.
    found = results(client, V2, timestamp="2026-02-01 13:05:00")
    assert [r["timestamp"] for r in found] == ["2026-02-01T13:05:00+01:00"]
    # Times are stored to the millisecond: one a fraction past it is none of them.
    fraction = "2026-02-01 13:05:00.0004"
    assert results(client, V2, timestamp=fraction) == []
    assert results(client, V2, timestamp__gte=fraction)[0]["timestamp"] == "2026-02-01T13:10:00+01:00"
    assert results(client, V2, timestamp__lte=fraction)[-1]["timestamp"] == "2026-02-01T13:05:00+01:00"
    # Applied together with the range filters, as django-filter does.
    assert results(client, V2, timestamp="2026-02-01 13:05:00", timestamp__gte="2026-02-01 13:10") == []


def test_electricity_by_exact_read_at(server: Server, account: Account) -> None:
    client = server.client(account.key)
    post_quarter_of_readings(client, START)
    # Minutes are labelled with their end: between two labels there is no minute.
    assert_exact(client, "/api/v2/consumption/electricity", "read_at", matching_none="2026-02-01 13:05:30")


def test_gas_by_exact_read_at(server: Server, account: Account) -> None:
    client = server.client(account.key)
    post_quarter_of_readings(client, START)
    assert_exact(client, "/api/v2/consumption/gas", "read_at", matching_none="2026-02-01 13:06:00")


def test_gas_of_a_dsmr4_meter_is_filtered_by_the_hour_it_is_filed_under(
    server: Server, account: Account
) -> None:
    client = server.client(account.key)
    sent = client.post(V1, data={"telegram": telegram("dsmrreader_landisgyr350_dsmr40.txt")})
    assert sent.status_code == 201
    path = "/api/v2/consumption/gas"
    (row,) = results(client, path)
    for params in (
        {"read_at": row["read_at"]},
        {"read_at__lte": row["read_at"]},
        {"read_at__gte": row["read_at"]},
    ):
        assert results(client, path, **params) == [row], params
    # The meter's own stamp, an hour later, is not the read_at upstream files it under.
    stamped = (datetime.fromisoformat(row["read_at"]) + timedelta(hours=1)).isoformat()
    assert results(client, path, read_at=stamped) == []


def test_hours_by_exact_hour_start(server: Server, account: Account) -> None:
    client = server.client(account.key)
    post_quarter_of_readings(client, START)
    assert_exact(client, "/api/v2/statistics/hour", "hour_start", matching_none="2026-02-01 13:30:00")


def test_days_by_exact_day(server: Server, account: Account) -> None:
    client = server.client(account.key)
    post_quarter_of_readings(client, START)
    post_quarter_of_readings(client, START + timedelta(days=1))
    assert_exact(client, "/api/v2/statistics/day", "day", matching_none="2026-01-31")


def test_routes_without_exact_filters_ignore_them(server: Server, account: Account) -> None:
    client = server.client(account.key)
    post_quarter_of_readings(client, START)
    path = "/api/v2/consumption/quarter-hour-peak-electricity"
    every = results(client, path)
    assert every and results(client, path, read_at_start="2000-01-01 00:00:00") == every


def test_bad_exact_values_answer_like_django_filter(server: Server, account: Account) -> None:
    client = server.client(account.key)
    # IsoDateTimeField takes only Django's parse_datetime form, so not a date alone (the range
    # filters, Django's DateTimeField, do take one).
    for value in ("2026-02-01", "yesterday", "2026-02-30 12:00:00"):
        response = client.get(V2, params={"timestamp": value})
        assert response.status_code == 400 and response.json() == {"timestamp": ["Enter a valid date/time."]}
    assert client.get(V2, params={"timestamp__gte": "2026-02-01"}).status_code == 200
    response = client.get("/api/v2/statistics/day", params={"day": "2026-02-30"})
    assert response.status_code == 400 and response.json() == {"day": ["Enter a valid date."]}


def test_range_filters_read_values_as_django_forms_do(server: Server, account: Account) -> None:
    client = server.client(account.key)
    post_quarter_of_readings(client, START)
    post_quarter_of_readings(client, START + timedelta(days=1))
    # Django's DateTimeField and DateField also try the English input formats, month first.
    later = results(client, V2, timestamp__gte="02/01/2026 14:10", limit="100")
    assert [r["timestamp"] for r in later[:1]] == ["2026-02-01T14:10:00+01:00"] and len(later) == 18
    assert [d["day"] for d in results(client, "/api/v2/statistics/day", day__gte="02/02/26")] == [
        "2026-02-02"
    ]
    # Python's other ISO 8601 spellings are not among them.
    for path, name, value, message in (
        (V2, "timestamp__gte", "20260201T131000", "Enter a valid date/time."),
        ("/api/v2/statistics/day", "day__lte", "20260201", "Enter a valid date."),
    ):
        response = client.get(path, params={name: value})
        assert response.status_code == 400 and response.json() == {name: [message]}


def test_the_schema_declares_the_exact_filters(server: Server) -> None:
    # As upstream's document does: django-filter names a Meta.fields filter by its field, a string
    # like every filter, and does not mark it deprecated (only the views' descriptions say so).
    paths = server.client().get("/api/v2/schema", params={"format": "openapi-json"}).json()["paths"]

    def parameters(path: str) -> dict[str, Any]:
        return {p["name"]: p for p in paths[path]["get"]["parameters"]}

    for path, field in (
        (V2, "timestamp"),
        ("/api/v2/consumption/electricity", "read_at"),
        ("/api/v2/consumption/gas", "read_at"),
        ("/api/v2/statistics/hour", "hour_start"),
        ("/api/v2/statistics/day", "day"),
    ):
        declared = parameters(path)[field]
        assert (declared["description"], declared["schema"]) == (field, {"type": "string"})
        assert "deprecated" not in declared
    assert "read_at_start" not in parameters("/api/v2/consumption/quarter-hour-peak-electricity")


def test_filters_refuse_the_local_times_of_the_dst_changes(server: Server, account: Account) -> None:
    client = server.client(account.key)
    for path, name in (
        (V2, "timestamp"),
        (V2, "timestamp__gte"),
        ("/api/v2/consumption/electricity", "read_at__lte"),
        ("/api/v2/statistics/hour", "hour_start"),
        ("/api/v2/consumption/quarter-hour-peak-electricity", "read_at_start__gte"),
    ):
        for value in (MISSING, TWICE):
            response = client.get(path, params={name: value})
            assert response.status_code == 400 and response.json() == {name: [filter_refused(value)]}
    response = client.get(V2, params={"timestamp": "2026-10-25T02:30:00.5"})
    assert response.json() == {"timestamp": [filter_refused("2026-10-25 02:30:00.500000")]}
    # With an offset the time is not ambiguous; the hour either side of the change is not either.
    for value in ("2026-10-25T02:30:00+01:00", "2026-10-25T02:30:00Z", "2026-10-25 03:00:00"):
        assert results(client, V2, timestamp=value) == []


READING = {  # a v2 reading without its timestamp
    "electricity_delivered_1": "100.000",
    "electricity_delivered_2": "0",
    "electricity_returned_1": "0",
    "electricity_returned_2": "0",
    "electricity_currently_delivered": "0.2",
    "electricity_currently_returned": "0",
}
DAY = {
    "day": "2015-06-01",
    **{
        name: "0"
        for name in ("electricity1", "electricity2", "electricity1_returned", "electricity2_returned")
    },
    **{name: "0" for name in ("electricity1_cost", "electricity2_cost", "total_cost")},
}


def test_posted_times_are_read_as_drf_reads_them(server: Server, account: Account) -> None:
    client = server.client(account.key)
    # DRF's DateTimeField takes only Django's parse_datetime form: not a date alone, nor ISO 8601's
    # other spellings; single digits it does take.
    for value in ("2026-02-01", "2026-02-01T13", "20260201T130000"):
        response = client.post(V2, data={**READING, "timestamp": value})
        assert response.status_code == 400 and response.json() == {"timestamp": [DATETIME_FORMAT]}, value
    created = client.post(V2, data={**READING, "timestamp": "2026-2-1 3:05+01"})
    assert created.status_code == 201 and created.json()["timestamp"] == "2026-02-01T03:05:00+01:00"
    # DateField likewise takes only Django's parse_date form.
    for day in ("20150601", "2015-W23-1", "06/01/2015"):
        response = client.post("/api/v2/statistics/day", data={**DAY, "day": day})
        assert response.status_code == 400 and response.json() == {"day": [DATE_FORMAT]}, day
    imported = client.post("/api/v2/statistics/day", data={**DAY, "day": "2015-6-1"})
    assert imported.status_code == 201 and imported.json()["day"] == "2015-06-01"


def test_posted_times_refuse_the_local_times_of_the_dst_changes(server: Server, account: Account) -> None:
    client = server.client(account.key)
    for value in (MISSING, TWICE):
        local = value.replace(" ", "T")
        response = client.post(V2, data={**READING, "timestamp": local, "extra_device_timestamp": local})
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
    response = client.post(V2, data={**READING, "timestamp": "2026-10-25T02:30:00+01:00"})
    assert response.status_code == 201 and response.json()["timestamp"] == "2026-10-25T02:30:00+01:00"
