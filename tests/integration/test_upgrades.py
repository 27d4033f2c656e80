"""Upgrading a database keeps what it holds and brings it to what the code computes and keeps today."""

from __future__ import annotations

from datetime import UTC, date, datetime

from alembic import command
from alembic.config import Config
from sqlalchemy import select, text

from meterhub.core import aggregate
from meterhub.core.aggregate import Agg
from meterhub.core.buckets import to_ms
from meterhub.core.entities import DeviceKind
from meterhub.platform import Platform
from meterhub.store import accounts, devices, meters
from meterhub.store.db import MIGRATIONS
from meterhub.store.tables import metadata
from tests.conftest import Account
from tests.factories import day_of_readings, electricity_meter
from tests.integration.test_write_path import stream_aggregates

TZ = "Europe/Amsterdam"


def alembic(platform: Platform, action: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with platform.db.writer.begin() as conn:
        config.attributes["connection"] = conn
        getattr(command, action)(config, revision)


def test_an_outage_stored_in_one_quarter_is_spread_by_the_upgrade(
    platform: Platform, account: Account
) -> None:
    sid = electricity_meter(platform, account.site_id).streams["import_t1_kwh"]
    before = (to_ms(datetime(2026, 2, 3, 10, 7, tzinfo=UTC)), 1_000)
    after = (to_ms(datetime(2026, 2, 6, 10, 7, tzinfo=UTC)), 37_000)
    # Revision 0004 put the 36 kWh of three days offline in the quarter of the reading after them.
    old = [
        (key, Agg(1, v, v, v, ts, v, ts, v, 0))
        for ts, v in (before, after)
        for key in aggregate.keys_holding(ts, TZ)
    ]
    old = [(key, agg._replace(delta=36_000 if agg.first_ts == after[0] else 0)) for key, agg in old]
    alembic(platform, "downgrade", "0004")
    try:
        with platform.db.writer.begin() as conn:
            for ts, v in (before, after):
                conn.execute(
                    text("INSERT INTO points (stream_id, ts, v) VALUES (:s, :t, :v)"),
                    {"s": sid, "t": ts, "v": v},
                )
            conn.execute(
                text(
                    "INSERT INTO stream_state (stream_id, n, first_ts, first_v, last_ts, last_v) VALUES (:s, 2, :a, :b, :c, :d)"
                ),
                {"s": sid, "a": before[0], "b": before[1], "c": after[0], "d": after[1]},
            )
            for (level, bucket), agg in old:
                conn.execute(
                    text(
                        "INSERT INTO aggregates (stream_id, level, bucket, n, sum_v, min_v, max_v, first_ts, first_v, "
                        "last_ts, last_v, delta) VALUES (:s, :l, :b, :n, :sum, :lo, :hi, :fts, :fv, :lts, :lv, :d)"
                    ),
                    {
                        "s": sid,
                        "l": level,
                        "b": bucket,
                        "n": agg.n,
                        "sum": agg.sum_v,
                        "lo": agg.min_v,
                        "hi": agg.max_v,
                        "fts": agg.first_ts,
                        "fv": agg.first_v,
                        "lts": agg.last_ts,
                        "lv": agg.last_v,
                        "d": agg.delta,
                    },
                )
    finally:
        platform.db.migrate()
    stored = stream_aggregates(platform, sid)
    spread = aggregate.roll_up(aggregate.quarters([before, after], previous=None, counter=True), TZ)
    assert stored == {key: tuple(agg) for key, agg in spread.items()}
    assert len([key for key in stored if key[0] == 1]) == 73  # 72 hours spanned, and the last reading's own
    assert sum(agg[-2] for key, agg in stored.items() if key[0] == 2) == 36_000


NEW_SITE_COLUMNS = ("address", "latitude", "longitude", "tags")


def _contents(platform: Platform) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table revision 0006 has, in its columns then."""
    out = {}
    with platform.db.reader.connect() as conn:
        for table in metadata.sorted_tables:
            if table.name in ("devices", "device_streams"):
                continue
            columns = [c for c in table.columns if not (table.name == "sites" and c.name in NEW_SITE_COLUMNS)]
            out[table.name] = sorted(conn.execute(select(*columns)).all(), key=repr)
    return out


def test_upgrading_a_0006_database_keeps_its_data_and_makes_each_meter_a_device(
    platform: Platform, account: Account
) -> None:
    electricity = electricity_meter(platform, account.site_id)
    platform.writer.write(day_of_readings(electricity, TZ, date(2026, 2, 3), every_s=300))
    gas = platform.registry.streams(
        site_id=account.site_id, meter_type="gas", equipment_id="G0001", protocol="dsmr5", roles=("gas_m3",)
    )
    platform.writer.write([(gas.streams["gas_m3"], to_ms(datetime(2026, 2, 3, 10, tzinfo=UTC)), 1_234)])
    alembic(platform, "downgrade", "0006")
    try:
        with platform.db.writer.begin() as conn:
            # A meter registered by 0006's code, with no device.
            conn.execute(
                text(
                    "INSERT INTO meters (site_id, meter_type, equipment_id, protocol, created_ms) "
                    "VALUES (:s, 'heat', 'H0001', 'dsmr5', 1)"
                ),
                {"s": account.site_id},
            )
        before = _contents(platform)
    finally:
        platform.db.migrate()
    assert _contents(platform) == before
    with platform.db.reader.connect() as conn:
        site = accounts.get_site(conn, account.site_id)
        found = devices.list_devices(conn, account.site_id)
        streams = {d.meter_id: devices.device_streams_of(conn, d.id) for d in found}
        heat = meters.find_meter(conn, site_id=account.site_id, meter_type="heat", equipment_id="H0001")
    assert (site.address, site.latitude, site.longitude, site.tags) == ("", None, None, ())
    assert heat is not None
    assert [(d.kind, d.identifier, d.meter_id, d.product_name, d.last_contact_ms) for d in found] == [
        (DeviceKind.METER, "E0001", electricity.meter_id, "", None),
        (DeviceKind.METER, "G0001", gas.meter_id, "", None),
        (DeviceKind.METER, "H0001", heat.id, "", None),
    ]
    assert streams == {
        electricity.meter_id: sorted(electricity.streams.values()),
        gas.meter_id: sorted(gas.streams.values()),
        heat.id: [],
    }
