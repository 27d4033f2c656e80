"""Core values → DSMR-reader's JSON objects, field for field in the real service's order."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

from meterhub.core.days import DayFigures
from meterhub.faces.dsmr_reader.mapping import READING_FIELDS, READING_FIELDS_AFTER_GAS, ReadingField
from meterhub.faces.dsmr_reader.render import cents, dec, milli, moment
from meterhub.services.readings import Snapshot
from meterhub.services.statistics import Period


def _field(f: ReadingField, values: dict[str, Decimal]) -> Any:
    value = values.get(f.role)
    if value is None:
        # A telegram without electricity (a heat meter's own P1 port) leaves every field of it empty.
        return dec(Decimal(0), f.decimals) if f.required and values else None
    return int(value) if f.integer else dec(value, f.decimals)


def reading(s: Snapshot, tz: str) -> dict[str, Any]:
    """A DsmrReading."""
    out: dict[str, Any] = {"id": s.ts, "timestamp": moment(s.ts, tz)}
    out.update((f.wire, _field(f, s.values)) for f in READING_FIELDS)
    out["extra_device_timestamp"] = moment(s.device_ts, tz)
    out["extra_device_delivered"] = dec(s.device_value, 3)
    out.update((f.wire, _field(f, s.values)) for f in READING_FIELDS_AFTER_GAS)
    return out


# Rows are pure functions of immutable figures, and the same days and hours are asked for again
# and again (a dashboard polling a year of days): rendered rows are kept. Callers never mutate them.
@lru_cache(maxsize=8192)  # ~4 MB: a year of hours of one site
def hour(p: Period, tz: str) -> dict[str, Any]:
    """An HourStatistics row."""
    u = p.usage
    return {
        "id": p.start_ms // 3_600_000,
        "hour_start": moment(p.start_ms, tz),
        "electricity1": milli(u.import_t1_wh),
        "electricity2": milli(u.import_t2_wh),
        "electricity1_returned": milli(u.export_t1_wh),
        "electricity2_returned": milli(u.export_t2_wh),
        "gas": milli(u.gas_dm3 or 0),
    }


@lru_cache(maxsize=2048)  # ~4 MB: five years of days of one site
def day(d: DayFigures, tz: str) -> dict[str, Any]:
    """A DayStatistics row."""
    u, c, p = d.usage, d.costs, d.positions
    low, high, avg = d.temperatures
    return {
        "id": d.day.toordinal(),
        "day": d.day.isoformat(),
        "electricity1": milli(u.import_t1_wh),
        "electricity2": milli(u.import_t2_wh),
        "electricity1_returned": milli(u.export_t1_wh),
        "electricity2_returned": milli(u.export_t2_wh),
        "electricity1_cost": cents(c.import_t1_cents),
        "electricity2_cost": cents(c.import_t2_cents),
        "gas": milli(u.gas_dm3),
        "gas_cost": cents(c.gas_cents),
        "lowest_temperature": dec(low, 1),
        "highest_temperature": dec(high, 1),
        "average_temperature": dec(avg, 1),
        "fixed_cost": cents(c.fixed_cents),
        "total_cost": cents(c.total_cents),
        "electricity_reading_timestamp": moment(p.electricity_ts, tz),
        "electricity1_reading": milli(p.import_t1_wh),
        "electricity2_reading": milli(p.import_t2_wh),
        "electricity1_returned_reading": milli(p.export_t1_wh),
        "electricity2_returned_reading": milli(p.export_t2_wh),
        "gas_reading_timestamp": moment(p.gas_ts, tz),
        "gas_reading": milli(p.gas_dm3),
    }
