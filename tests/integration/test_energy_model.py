"""The site's energy model: sites' whereabouts, devices, and energy per flow in general form."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from meterhub.auth import keys
from meterhub.auth.logins import user_principal
from meterhub.core.buckets import DAY, HOUR, QUARTER_MS, day_start_ms, to_ms
from meterhub.core.datatypes import Datatype
from meterhub.core.entities import DeviceKind
from meterhub.core.errors import Conflict, Invalid, NotFound
from meterhub.core.roles import Flow
from meterhub.platform import Platform
from meterhub.services import energy, statistics
from meterhub.store import accounts, datasets, devices
from meterhub.store.series import FAR_FUTURE, FAR_PAST
from tests.conftest import Account, make_account
from tests.factories import day_of_readings, electricity_meter

TZ = "Europe/Amsterdam"
GRID = (Flow.GRID_IMPORT, Flow.GRID_EXPORT)


def test_a_sites_address_location_and_tags_are_kept(platform: Platform, account: Account) -> None:
    with platform.db.writer.begin() as conn:
        assert accounts.get_site(conn, account.site_id).tags == ()
        accounts.set_site_details(
            conn,
            site_id=account.site_id,
            address=" Rue du Lac 4, 1020 Renens ",
            latitude=46.5392,
            longitude=6.5881,
            tags=["pv", "ZEV", "pv", " "],
        )
        # What is not given stays.
        accounts.set_site_details(conn, site_id=account.site_id, longitude=-6.5)
        with pytest.raises(Invalid, match="latitude 91"):
            accounts.set_site_details(conn, site_id=account.site_id, latitude=91)
        with pytest.raises(NotFound):
            accounts.set_site_details(conn, site_id=999, address="nowhere")
    with platform.db.reader.connect() as conn:
        site = accounts.get_site(conn, account.site_id)
        listed = accounts.list_sites(conn)
        by_key = keys.authenticate(conn, account.key).site
    assert (site.address, site.latitude, site.longitude, site.tags) == (
        "Rue du Lac 4, 1020 Renens",
        46.5392,
        -6.5,
        ("pv", "ZEV"),
    )
    assert listed == [site] and by_key == site


def test_devices_are_registered_listed_and_say_when_they_were_last_heard(
    platform: Platform, account: Account
) -> None:
    meter = electricity_meter(platform, account.site_id)
    with platform.db.writer.begin() as conn:
        dataset = datasets.add_dataset(conn, site_id=account.site_id, topic_prefix="roof")
        pv = datasets.add_stream(
            conn, dataset_id=dataset.id, topic_suffix="pv", datatype=Datatype.DOUBLE, role="pv_kwh"
        )
        inverter = devices.add_device(
            conn,
            site_id=account.site_id,
            kind=DeviceKind.INVERTER,
            product_name="Fronius Symo 8.2",
            instance=20,
            identifier="28150123",
            firmware_version="3.14.1",
        )
        devices.link_streams(conn, inverter.id, [pv.id])
        devices.update_device(conn, inverter.id, last_contact_ms=2_000, firmware_version="3.15.0")
        devices.update_device(conn, inverter.id, last_contact_ms=1_000)  # an older report comes late
        with pytest.raises(NotFound, match="outside its meters"):
            devices.link_streams(conn, inverter.id, [meter.streams["import_t1_kwh"]])
        with pytest.raises(Conflict):
            devices.add_device(conn, site_id=account.site_id, kind=DeviceKind.METER, meter_id=meter.meter_id)
    with platform.db.reader.connect() as conn:
        found = devices.list_devices(conn, account.site_id)
        streams = {d.id: devices.device_streams_of(conn, d.id) for d in found}
        assert devices.list_devices(conn, account.site_id + 1) == []
    made_with_meter, inverter = found
    # A meter is a device from its registration on, with the meter's streams.
    assert (made_with_meter.kind, made_with_meter.identifier, made_with_meter.meter_id) == (
        DeviceKind.METER,
        "E0001",
        meter.meter_id,
    )
    assert streams[made_with_meter.id] == sorted(meter.streams.values())
    assert (inverter.product_name, inverter.instance, inverter.identifier) == (
        "Fronius Symo 8.2",
        20,
        "28150123",
    )
    assert (inverter.firmware_version, inverter.last_contact_ms, streams[inverter.id]) == (
        "3.15.0",
        2_000,
        [pv.id],
    )
    assert pv.unit == "kWh" and pv.decimals == 3 and pv.kind.value == "counter"


def test_a_dsmr_sites_flows_are_its_dsmr_reader_figures(platform: Platform, account: Account) -> None:
    meter = electricity_meter(platform, account.site_id)
    first = day_of_readings(meter, TZ, date(2026, 3, 28), every_s=60)
    # The next day has 23 hours, and starts from where the first ended.
    platform.writer.write(
        first + day_of_readings(meter, TZ, date(2026, 3, 29), every_s=60, start_wh=1_002_000)
    )
    with platform.db.reader.connect() as conn:
        caller = user_principal(conn, accounts.get_user(conn, email="owner@example.org"))
    for level in (HOUR, DAY):
        with platform.db.reader.connect() as conn:
            total, dsmr = statistics.periods(
                conn, account.site_id, level, FAR_PAST, FAR_FUTURE, limit=100, estimated=True
            )
        counted, general = energy.flows(
            platform,
            caller=caller,
            site_id=account.site_id,
            level=level,
            lo=FAR_PAST,
            hi=FAR_FUTURE,
            flows=GRID,
        )
        assert counted == total == (24 + 23 if level == HOUR else 2) and len(general) == total
        for period, sums in zip(dsmr, general, strict=True):
            u = period.usage
            assert sums.start_ms == period.start_ms
            assert sums.energy == {
                Flow.GRID_IMPORT: u.import_t1_wh + u.import_t2_wh,
                Flow.GRID_EXPORT: u.export_t1_wh + u.export_t2_wh,
            }
        assert sum(s.energy[Flow.GRID_IMPORT] for s in general) > 0


def _hourly(platform: Platform, site_id: int, streams: dict[str, int], steps: dict[str, list[int]]) -> int:
    """Readings of each counter every quarter from 10:00 UTC on 2 Feb 2026, growing by its steps
    (one per quarter); returns the first reading's time."""
    start = to_ms(datetime(2026, 2, 2, 10, tzinfo=UTC))
    rows = []
    for role, grown in steps.items():
        position = 5_000
        rows.append((streams[role], start, position))
        for i, step in enumerate(grown, 1):
            position += step
            rows.append((streams[role], start + i * QUARTER_MS, position))
    platform.writer.write(rows)
    return start


def test_a_pv_and_battery_sites_flows_come_from_its_devices_streams(
    platform: Platform, account: Account
) -> None:
    roles = (
        "import_kwh",
        "export_kwh",
        "pv_kwh",
        "battery_charge_kwh",
        "battery_discharge_kwh",
        "battery_soc_pct",
    )
    with platform.db.writer.begin() as conn:
        dataset = datasets.add_dataset(conn, site_id=account.site_id, topic_prefix="victron")
        streams = {
            role: datasets.add_stream(
                conn, dataset_id=dataset.id, topic_suffix=role, datatype=Datatype.FIXED, role=role
            ).id
            for role in roles
        }
        caller = user_principal(conn, accounts.get_user(conn, email="owner@example.org"))
    steps = {
        "import_kwh": [100, 100, 50, 0, 0, 0, 0, 25],
        "export_kwh": [0, 0, 0, 200, 300, 0, 0, 0],
        "pv_kwh": [0, 150, 400, 600, 700, 500, 200, 0],
        "battery_charge_kwh": [0, 0, 250, 300, 300, 0, 0, 0],
        "battery_discharge_kwh": [50, 0, 0, 0, 0, 100, 200, 150],
    }
    start = _hourly(platform, account.site_id, streams, steps)
    platform.writer.write([(streams["battery_soc_pct"], start, 512)])  # a gauge: in no flow's energy
    want = (Flow.GRID_IMPORT, Flow.GRID_EXPORT, Flow.PRODUCTION, Flow.BATTERY_CHARGE, Flow.BATTERY_DISCHARGE)
    total, hours = energy.flows(
        platform, caller=caller, site_id=account.site_id, level=HOUR, lo=FAR_PAST, hi=FAR_FUTURE, flows=want
    )
    per_hour = [
        {flow: sum(grown[h * 4 : h * 4 + 4]) for flow, grown in zip(want, steps.values(), strict=True)}
        for h in (0, 1)
    ]
    # The readings on the hours: 10:00 (nothing grown yet), 11:00 and 12:00, which close hours 10 and 11.
    assert total == 3 and [s.start_ms for s in hours] == [start, start + 3_600_000, start + 7_200_000]
    assert [s.energy for s in hours[:2]] == per_hour and set(hours[2].energy.values()) == {0}
    assert all(set(s.estimated.values()) == {0} for s in hours)
    _, days = energy.flows(
        platform, caller=caller, site_id=account.site_id, level=DAY, lo=FAR_PAST, hi=FAR_FUTURE
    )
    assert [s.start_ms for s in days] == [day_start_ms(TZ, date(2026, 2, 2))]
    assert days[0].energy == {
        **{flow: sum(grown) for flow, grown in zip(want, steps.values(), strict=True)},
        Flow.CONSUMPTION: 0,
    }


def test_flows_are_for_those_who_may_read_them(platform: Platform, account: Account) -> None:
    meter = electricity_meter(platform, account.site_id)
    platform.writer.write(day_of_readings(meter, TZ, date(2026, 2, 2), every_s=600))
    stranger = make_account(platform, email="stranger@example.org")
    with platform.db.writer.begin() as conn:
        other = datasets.add_dataset(conn, site_id=account.site_id, topic_prefix="elsewhere")
        licensed = keys.issue_key(conn, user_id=account.user_id, site_id=None, datasets=[other.id])[1]
        outsider = user_principal(conn, accounts.get_user(conn, email="stranger@example.org"))
        limited = keys.authenticate(conn, licensed).principal
    asked = {"site_id": account.site_id, "level": DAY, "lo": FAR_PAST, "hi": FAR_FUTURE}
    with pytest.raises(NotFound, match=f"no site with id {account.site_id}"):
        energy.flows(platform, caller=outsider, **asked)
    with pytest.raises(NotFound, match="no site with id 999"):
        energy.flows(platform, caller=outsider, **{**asked, "site_id": stranger.site_id + 997})
    # Licensed for another dataset than the meters': none of their energy.
    assert energy.flows(platform, caller=limited, **asked) == (0, [])
