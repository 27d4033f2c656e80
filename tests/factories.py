"""Factories for test data: meters with streams, a day of realistic readings, altered telegrams."""

from __future__ import annotations

import random
import re
from datetime import date
from decimal import Decimal

from meterhub.auth import keys
from meterhub.core.buckets import day_start_ms
from meterhub.core.datatypes import Datatype
from meterhub.core.entities import Datastream
from meterhub.ingest.crc import crc16_arc
from meterhub.ingest.registry import MeterStreams
from meterhub.ingest.write_path import PointRow
from meterhub.platform import Platform
from meterhub.store import datasets

ENERGY = ("import_t1_kwh", "import_t2_kwh", "export_t1_kwh", "export_t2_kwh", "import_kw")


def electricity_meter(p: Platform, site_id: int, equipment_id: str = "E0001") -> MeterStreams:
    """A registered electricity meter with its energy and power streams."""
    return p.registry.streams(
        site_id=site_id, meter_type="electricity", equipment_id=equipment_id, protocol="dsmr5", roles=ENERGY
    )


def day_of_readings(
    meter: MeterStreams, tz: str, day: date, *, every_s: int = 10, start_wh: int = 1_000_000, seed: int = 1
) -> list[PointRow]:
    """A day of readings: tariff 1 at night, tariff 2 by day, some export at noon."""
    rnd = random.Random(seed)
    t1, t2, e1 = start_wh, start_wh // 2, 0
    rows: list[PointRow] = []
    start, end = day_start_ms(tz, day), day_start_ms(tz, date.fromordinal(day.toordinal() + 1))
    for ts in range(start, end, every_s * 1000):
        hour = (ts - start) // 3_600_000
        used = rnd.randint(0, 3)
        if 7 <= hour < 23:
            t2 += used
        else:
            t1 += used
        if 11 <= hour < 15:
            e1 += rnd.randint(0, 2)
        s = meter.streams
        rows += [
            (s["import_t1_kwh"], ts, t1),
            (s["import_t2_kwh"], ts, t2),
            (s["export_t1_kwh"], ts, e1),
            (s["export_t2_kwh"], ts, 0),
            (s["import_kw"], ts, used * 360),
        ]
    return rows


def kwh(wh: int) -> Decimal:
    """Wh as kWh."""
    return Decimal(wh).scaleb(-3)


def datastreams(
    p: Platform, *, site_id: int, prefix: str, streams: dict[str, Datatype]
) -> dict[str, Datastream]:
    """A dataset with the topic prefix and a datastream per suffix; suffix -> datastream."""
    with p.db.writer.begin() as conn:
        dataset = datasets.add_dataset(conn, site_id=site_id, topic_prefix=prefix)
        return {
            suffix: datasets.add_stream(conn, dataset_id=dataset.id, topic_suffix=suffix, datatype=datatype)
            for suffix, datatype in streams.items()
        }


def token(
    p: Platform, *, user_id: int, scopes: tuple[str, ...] = ("read",), licensed: tuple[int, ...] = ()
) -> str:
    """An API token of the user (not bound to a site), with the permissions and licences given (and
    a client of the external broker, when the platform has one, as the management API makes it)."""
    with p.db.writer.begin() as conn:
        key = keys.issue_key(conn, user_id=user_id, site_id=None, scopes=scopes, datasets=licensed)[1]
        if p.broker_accounts is not None:
            p.broker_accounts.issued(conn, key)
        return key


_GAS_LINE = re.compile(r"0-1:24\.2\.1\(\d{12}[SW]\)\([\d.]+\*m3\)")
_GAS_LINES = re.compile(r"^0-1:[^\r\n]*\r\n", re.MULTILINE)


def with_gas(telegram: str, stamp: str, m3: str) -> str:
    """The telegram with another gas reading (the meter's time, m³), and the CRC that then fits."""
    return _sealed(_GAS_LINE.sub(f"0-1:24.2.1({stamp})({m3}*m3)", telegram))


def without_gas(telegram: str) -> str:
    """The telegram without its M-Bus channel 1 (gas) lines, and the CRC that then fits."""
    return _sealed(_GAS_LINES.sub("", telegram))


def _sealed(telegram: str) -> str:
    body = telegram.partition("!")[0] + "!"
    return f"{body}{crc16_arc(body.encode('latin-1')):04X}\r\n"
