"""A datalogger that was offline: the energy of the outage over the hours it was used in.

Issue 12 item 2: the step between two readings is spread over the quarters it spans, pro rata by
time, so (a) any period's sum is the meters' difference, (b) no hour or day holds the outage's
energy, (c) with readings 10 s apart the hours are upstream's within one reading's energy. Hours a
step of over an hour filled are estimated, as meterhub's own API shows; late readings from the
datalogger's buffer correct the spread.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Any

from meterhub.core.buckets import HOUR_MS, day_start_ms
from meterhub.ingest.write_path import PointRow
from tests.conftest import Account, Server
from tests.factories import day_of_readings, electricity_meter

TZ = "Europe/Amsterdam"
REGISTERS = ("import_t1_kwh", "import_t2_kwh", "export_t1_kwh", "export_t2_kwh")
WIRE = ("electricity1", "electricity2", "electricity1_returned", "electricity2_returned")
NOON_FEB_3 = day_start_ms(TZ, date(2026, 2, 3)) + 12 * HOUR_MS
NOON_FEB_6 = day_start_ms(TZ, date(2026, 2, 6)) + 12 * HOUR_MS
OUTAGE_WH = 36_000  # 72 hours at 500 W on tariff 1


def an_outage(server: Server, account: Account) -> tuple[dict[str, int], list[PointRow], list[PointRow]]:
    """Readings every 10 s on 3 February until noon, none until noon on the 6th, then again."""
    meter = electricity_meter(server.platform, account.site_id)
    before = [r for r in day_of_readings(meter, TZ, date(2026, 2, 3)) if r[1] <= NOON_FEB_3]
    last = {sid: v for sid, _, v in before}
    later = [r for r in day_of_readings(meter, TZ, date(2026, 2, 6), seed=2) if r[1] >= NOON_FEB_6]
    first = {sid: v for sid, ts, v in later if ts == NOON_FEB_6}
    # The registers go on from where they were; only tariff 1 counted during the outage.
    after = [
        (sid, ts, v - first[sid] + last[sid] + (OUTAGE_WH if sid == meter.streams["import_t1_kwh"] else 0))
        for sid, ts, v in later
        if sid != meter.streams["import_kw"]
    ]
    server.platform.writer.write([r for r in before if r[0] != meter.streams["import_kw"]])
    server.platform.writer.write(after)
    return meter.streams, before, after


def get(server: Server, account: Account, path: str) -> Any:
    answer = server.client(account.key).get(path)
    assert answer.status_code == 200, answer.text
    return answer.json()


def hours(server: Server, account: Account, first: str, last: str) -> list[dict[str, Any]]:
    return get(
        server,
        account,
        f"/api/v2/statistics/hour?hour_start__gte={first}&hour_start__lte={last}&limit=1000",
    )["results"]


def total(rows: list[dict[str, Any]], field: str) -> Decimal:
    return sum((Decimal(r[field]) for r in rows), Decimal(0))


def meter_difference(
    streams: dict[str, int], first: list[PointRow], then: list[PointRow], role: str
) -> Decimal:
    sid = streams[role]
    start = next(v for s, _, v in first if s == sid)
    end = [v for s, _, v in then if s == sid][-1]
    return Decimal(end - start).scaleb(-3)


def test_an_outages_energy_is_spread_over_the_hours_it_spans(server: Server, account: Account) -> None:
    streams, before, after = an_outage(server, account)
    every = hours(server, account, "2026-02-03 00:00:00", "2026-02-06 23:00:00")
    assert len(every) == 4 * 24  # the 72 hours without readings are there too

    # (a) Summed over the hours, or the days, the usage is what the meters counted.
    days = get(server, account, "/api/v2/statistics/day?day__gte=2026-02-03&day__lte=2026-02-06")["results"]
    for role, field in zip(REGISTERS, WIRE, strict=True):
        assert total(every, field) == total(days, field) == meter_difference(streams, before, after, role)

    # (b) The outage's 36 kWh is 0.5 kWh in each of its hours, and 12 kWh on each whole day.
    gap = [h for h in every if "2026-02-03T12:00" <= h["hour_start"] < "2026-02-06T12:00"]
    assert len(gap) == 72 and {h["electricity1"] for h in gap} == {"0.500"}
    assert [d["electricity1"] for d in days if d["day"] in ("2026-02-04", "2026-02-05")] == [
        "12.000",
        "12.000",
    ]
    (feb4,) = [d for d in days if d["day"] == "2026-02-04"]
    assert (
        feb4["electricity_reading_timestamp"] is None and feb4["electricity1_reading"] is None
    )  # no reading


def test_hours_with_readings_are_upstreams_within_one_readings_energy(
    server: Server, account: Account
) -> None:
    streams, before, _ = an_outage(server, account)
    measured = hours(server, account, "2026-02-03 00:00:00", "2026-02-03 11:00:00")
    assert len(measured) == 12
    for role, field in zip(REGISTERS, WIRE, strict=True):
        points = [(ts, v) for sid, ts, v in before if sid == streams[role]]
        largest_step = max(b[1] - a[1] for a, b in pairwise(points))
        for hour in measured:
            start = int(hour["hour_start"][11:13]) * HOUR_MS + day_start_ms(TZ, date(2026, 2, 3))
            inside = [v for ts, v in points if start <= ts < start + HOUR_MS]
            upstream = inside[-1] - inside[0]  # DSMR-reader: the hour's last reading less its first
            assert abs(Decimal(hour[field]).scaleb(3) - upstream) <= largest_step


def usage(server: Server, account: Account, period: str, start: str, end: str) -> list[dict[str, Any]]:
    answer = server.client().get(
        f"/api/meterhub/v1/sites/{account.site_id}/usage",
        params={"period": period, "start": start, "end": end, "limit": 500},
        auth=("owner@example.org", "correct horse"),
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["results"]  # type: ignore[no-any-return]


def test_meterhubs_api_marks_what_the_outage_filled_as_estimated(server: Server, account: Account) -> None:
    an_outage(server, account)
    found = usage(server, account, "hour", "2026-02-03T10:00:00+01:00", "2026-02-06T14:00:00+01:00")
    assert [h["start"] for h in found[:3]] == [
        "2026-02-03T10:00:00+01:00",
        "2026-02-03T11:00:00+01:00",
        "2026-02-03T12:00:00+01:00",
    ]
    assert found[0]["end"] == "2026-02-03T11:00:00+01:00"
    marked = [h["start"] for h in found if h["estimated"]]
    assert marked[0] == "2026-02-03T12:00:00+01:00" and marked[-1] == "2026-02-06T11:00:00+01:00"
    assert len(marked) == 72
    gap_hour = found[2]
    assert gap_hour["usage"]["import_t1_kwh"] == gap_hour["estimated_usage"]["import_t1_kwh"] == "0.500"
    assert gap_hour["estimated_usage"]["import_t2_kwh"] == "0.000" and gap_hour["usage"]["gas_m3"] is None
    measured = found[0]
    assert not measured["estimated"] and measured["estimated_usage"]["import_t1_kwh"] == "0.000"

    days = usage(server, account, "day", "2026-02-03T00:00:00+01:00", "2026-02-07T00:00:00+01:00")
    assert [(d["start"][:10], d["estimated"]) for d in days] == [
        ("2026-02-03", True),
        ("2026-02-04", True),
        ("2026-02-05", True),
        ("2026-02-06", True),
    ]
    assert days[1]["estimated_usage"]["import_t1_kwh"] == "12.000"
    assert days[0]["end"] == "2026-02-04T00:00:00+01:00"


def test_late_readings_from_inside_the_outage_correct_its_spread(server: Server, account: Account) -> None:
    streams, before, after = an_outage(server, account)
    t1 = streams["import_t1_kwh"]
    # The datalogger's buffer turns up: 4 February 10:00–12:00, 1 kWh an hour on tariff 1.
    ten = day_start_ms(TZ, date(2026, 2, 4)) + 10 * HOUR_MS
    last = {s: [v for x, _, v in before if x == s][-1] for s in streams.values()}
    late = [
        (sid, ts, last[t1] + 11_000 + (ts - ten) * 1_000 // HOUR_MS if sid == t1 else last[sid])
        for ts in range(ten, ten + 2 * HOUR_MS + 1, 10_000)
        for sid in streams.values()
        if sid != streams["import_kw"]
    ]
    server.platform.writer.write(late)

    every = hours(server, account, "2026-02-03 00:00:00", "2026-02-06 23:00:00")
    for role, field in zip(REGISTERS, WIRE, strict=True):
        assert total(every, field) == meter_difference(streams, before, after, role)
    by_start = {h["hour_start"][:16]: h["electricity1"] for h in every}
    # 11 kWh over the 22 hours up to the buffer, its 1 kWh an hour, and the other 23 kWh over the
    # 48 hours after it.
    assert by_start["2026-02-03T12:00"] == by_start["2026-02-04T09:00"] == "0.500"
    assert by_start["2026-02-04T10:00"] == by_start["2026-02-04T11:00"] == "1.000"
    assert (
        total(
            [h for h in every if "2026-02-04T12:00" <= h["hour_start"] < "2026-02-06T12:00"], "electricity1"
        )
        == 23
    )
    found = usage(server, account, "hour", "2026-02-04T09:00:00+01:00", "2026-02-04T13:00:00+01:00")
    assert [h["estimated"] for h in found] == [True, False, False, True]
