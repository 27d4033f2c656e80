"""A site's electricity meter as snapshots: every register at one reading's instant, plus the gas (or
heat) reading its telegram carried."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from meterhub.auth.access import Access, Principal
from meterhub.core.buckets import FAR_FUTURE, FAR_PAST, HOUR_MS, to_ms
from meterhub.core.errors import Conflict
from meterhub.core.listing import Span
from meterhub.core.roles import READ_AT_ROLE, ROLES, Kind, MeterType
from meterhub.ingest import meters as ingest
from meterhub.ingest.telegram import MeterSample
from meterhub.services import callers
from meterhub.store import meter_statistics, meters, series, tables

if TYPE_CHECKING:
    from meterhub.platform import Platform

ELECTRICITY_ROLES = tuple(name for name, role in ROLES.items() if role.meter_type is MeterType.ELECTRICITY)
ANCHOR_ROLE = "import_t1_kwh"  # every electricity reading carries it


@dataclass(frozen=True)
class Snapshot:
    ts: int
    meter_id: int
    values: dict[str, Decimal]
    # The M-Bus reading the telegram carried (DSMR-reader's extra device): its own time and value.
    device_ts: int | None = None
    device_value: Decimal | None = None


GAS_ROLE = "gas_m3"
# The roles DSMR-reader shows as a reading's extra device, best first.
DEVICE_ROLES = (GAS_ROLE, "heat_gj")


@dataclass(frozen=True)
class _Device:
    role: str
    value: int  # the stream of its readings
    link: int | None  # its read_at_ms stream
    linked_from: int | None  # the first link point; telegrams before it were stored without links


def decimal_of(role: str, v: int) -> Decimal:
    """A stored integer as the role's decimal value."""
    return Decimal(v).scaleb(-ROLES[role].decimals)


def list_readings(
    platform: Platform,
    *,
    caller: Principal,
    site_id: int,
    span: Span,
) -> tuple[int, list[Snapshot]]:
    """How many readings the site has in the span, and one page of them."""
    with callers.reading(platform, caller=caller, site_id=site_id) as conn:
        return _snapshots(conn, site_id, span)


async def store_reading(
    platform: Platform,
    *,
    caller: Principal,
    site_id: int,
    timestamp: datetime,
    values: Mapping[str, Decimal],
    gas_at: datetime | None = None,
    gas: Decimal | None = None,
) -> Snapshot:
    """Store a reading posted as values (roles), with the gas reading it carried, and return it as
    stored; Conflict when a different reading is stored for its time (then nothing is stored).
    (The registry answers from memory once it has seen the site's meters.)"""
    callers.check(platform, caller=caller, site_id=site_id, needed=Access.WRITE)
    electricity = MeterSample(None, MeterType.ELECTRICITY, None, timestamp.astimezone(UTC), dict(values))
    devices = []
    if gas is not None and gas_at is not None:
        devices.append(MeterSample(None, MeterType.GAS, None, gas_at.astimezone(UTC), {GAS_ROLE: gas}))
    rows = ingest.reading_rows(
        platform.registry, site_id=site_id, electricity=electricity, devices=devices, protocol="api"
    )
    outcome = await platform.writer.store(rows)
    if outcome.clashes:
        raise Conflict("A different reading with this timestamp is already stored; nothing was stored.")
    return Snapshot(
        to_ms(timestamp),
        0,
        dict(values),
        to_ms(gas_at) if gas_at and gas is not None else None,
        gas if gas_at else None,
    )


def _snapshots(
    conn: Connection,
    site_id: int,
    span: Span,
) -> tuple[int, list[Snapshot]]:
    """How many readings the site has in the span, and one page of them."""
    streams = meters.site_streams(conn, site_id, ELECTRICITY_ROLES)
    devices = _devices(conn, site_id)
    anchors = [s.stream_id for s in streams if s.role == ANCHOR_ROLE]
    if not anchors:
        # A heat meter's own P1 port (Warmtelink) sends telegrams without electricity: its links mark them.
        anchors = [d.link for d in devices if d.link is not None]
    total = series.count(conn, anchors, span.lo, span.hi)
    page = series.timestamps(
        conn, anchors, span.lo, span.hi, descending=span.descending, limit=span.limit, offset=span.offset
    )
    if not page:
        return total, []
    meter_of = {s.stream_id: s.meter_id for s in streams}
    role_of = {s.stream_id: s.role for s in streams}
    instants = [ts for _, ts in page]
    found = series.values_at(conn, [s.stream_id for s in streams], instants)
    carried = _device_readings(conn, devices, instants)
    out = []
    for anchor, ts in page:
        meter_id = meter_of.get(anchor, 0)  # 0: a heat meter's link, no electricity meter's reading
        values = {
            role_of[sid]: decimal_of(role_of[sid], v)
            for (sid, at), v in found.items()
            if at == ts and meter_of[sid] == meter_id
        }
        device = carried.get(ts)
        out.append(Snapshot(ts, meter_id, values, *(device or (None, None))))
    return total, out


def _devices(conn: Connection, site_id: int) -> list[_Device]:
    """The site's gas and heat meters with their links, best first."""
    streams = meters.site_streams(conn, site_id, (*DEVICE_ROLES, READ_AT_ROLE))
    links = {s.meter_id: s.stream_id for s in streams if s.role == READ_AT_ROLE}
    first = meters.stream_counts(conn, links.values())
    devices = []
    for s in streams:
        if s.role in DEVICE_ROLES:
            link = links.get(s.meter_id)
            devices.append(_Device(s.role, s.stream_id, link, first[link][1] if link in first else None))
    return sorted(devices, key=lambda d: DEVICE_ROLES.index(d.role))


def _device_readings(
    conn: Connection, devices: list[_Device], instants: list[int]
) -> dict[int, tuple[int, Decimal]]:
    """Reading time → (time, value) of the M-Bus reading its telegram carried, where it carried one."""
    linked = series.values_at(conn, [d.link for d in devices if d.link is not None], instants)
    values = series.values_at(conn, [d.value for d in devices], sorted(set(linked.values())))
    out = {}
    for ts in instants:
        if (reading := _carried(conn, devices, linked, values, ts)) is not None:
            out[ts] = reading
    return out


def _carried(
    conn: Connection,
    devices: list[_Device],
    linked: dict[tuple[int, int], int],
    values: dict[tuple[int, int], int],
    ts: int,
) -> tuple[int, Decimal] | None:
    """The M-Bus reading of the telegram at ts, gas before heat."""
    for role in DEVICE_ROLES:
        for d in devices:
            at = linked.get((d.link, ts)) if d.role == role and d.link is not None else None
            if at is not None and (d.value, at) in values:
                return at, decimal_of(role, values[(d.value, at)])
        if role == "gas_m3":
            # Gas stored before telegrams were linked to it: the latest reading up to then, as before.
            unlinked = [
                d.value for d in devices if d.role == role and (d.linked_from is None or ts < d.linked_from)
            ]
            before = series.last_at_or_before(conn, unlinked, ts) if unlinked else None
            if before is not None:
                return before[1], decimal_of(role, before[2])
    return None


def latest(conn: Connection, site_id: int) -> Snapshot | None:
    """The site's newest reading."""
    _, page = _snapshots(conn, site_id, Span(descending=True, limit=1))
    return page[0] if page else None


@dataclass(frozen=True)
class Minute:
    end_ms: int
    values: dict[str, Decimal]


@dataclass(frozen=True)
class GasRow:
    ts: int
    read_at: int  # as DSMR-reader files it: a DSMR 4 meter's an hour before its stamp
    position: Decimal
    delta: Decimal


MINUTE_MS = 60_000


def list_minutes(
    platform: Platform,
    *,
    caller: Principal,
    site_id: int,
    span: Span,
) -> tuple[int, list[Minute]]:
    """The site's readings grouped per minute, labelled with the minute's end; the span filters on
    that label."""
    with callers.reading(platform, caller=caller, site_id=site_id) as conn:
        return _minutes(conn, site_id, span)


def _minutes(
    conn: Connection,
    site_id: int,
    span: Span,
) -> tuple[int, list[Minute]]:
    """Readings grouped per minute (positions: highest; powers, voltages, currents: mean).

    A minute is labelled with its end, and the span filters on that label.
    """
    streams = meters.site_streams(conn, site_id, ELECTRICITY_ROLES)
    anchors = [s.stream_id for s in streams if s.role == ANCHOR_ROLE]
    # Minute m holds the points of [m, m + 1) and is labelled m + 1, so a label in [lo, hi] means a
    # point from the minute before lo rounded up to the minute hi rounded down (an exact filter
    # between two minutes matches none).
    p_lo = -(-max(span.lo, FAR_PAST + MINUTE_MS) // MINUTE_MS) * MINUTE_MS - MINUTE_MS
    p_hi = min(span.hi, FAR_FUTURE) // MINUTE_MS * MINUTE_MS - 1
    total = series.count_periods(conn, anchors, MINUTE_MS, p_lo, p_hi)
    page = series.periods(
        conn, anchors, MINUTE_MS, p_lo, p_hi, descending=span.descending, limit=span.limit, offset=span.offset
    )
    if not page:
        return total, []
    role_of = {s.stream_id: s.role for s in streams}
    grouped: dict[int, dict[str, list[int]]] = {}
    for sid, ts, v in series.points_between(
        conn, [s.stream_id for s in streams], min(page) * MINUTE_MS, (max(page) + 1) * MINUTE_MS - 1
    ):
        grouped.setdefault(ts // MINUTE_MS, {}).setdefault(role_of[sid], []).append(v)
    out = []
    for m in page:
        values = {}
        for role, vs in grouped.get(m, {}).items():
            if ROLES[role].kind is Kind.COUNTER:
                values[role] = decimal_of(role, max(vs))
            else:
                mean = (Decimal(sum(vs)) / len(vs)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
                values[role] = decimal_of(role, int(mean))
        out.append(Minute((m + 1) * MINUTE_MS, values))
    return total, out


def list_gas(
    platform: Platform,
    *,
    caller: Principal,
    site_id: int,
    span: Span,
) -> tuple[int, list[GasRow]]:
    """The site's gas meter positions with the usage since the one before; the span filters on
    `read_at`."""
    with callers.reading(platform, caller=caller, site_id=site_id) as conn:
        return _gas(conn, site_id, span)


def _gas(
    conn: Connection,
    site_id: int,
    span: Span,
) -> tuple[int, list[GasRow]]:
    """Gas meter positions with the usage since the one before; the span filters on `read_at`."""
    streams = meters.site_streams(conn, site_id, ("gas_m3",))
    # DSMR 4 meters stamp an hour's position at its end; DSMR-reader files it under the hour itself.
    groups: dict[int, list[int]] = {}  # how far the streams' stamps are after read_at -> streams
    for stream in streams:
        groups.setdefault(HOUR_MS if stream.protocol == HOURLY_GAS_PROTOCOL else 0, []).append(
            stream.stream_id
        )
    descending, limit, offset = span.descending, span.limit, span.offset
    total = 0
    found: list[tuple[int, int, int]] = []
    for shift, ids in groups.items():
        s_lo, s_hi = _stamped(span.lo, shift), _stamped(span.hi, shift)
        total += series.count(conn, ids, s_lo, s_hi)
        page = series.timestamps(conn, ids, s_lo, s_hi, descending=descending, limit=offset + limit, offset=0)
        found += [(ts - shift, sid, ts) for sid, ts in page]
    out = []
    for read_at, sid, ts in sorted(found, reverse=descending)[offset : offset + limit]:
        value = series.values_at(conn, [sid], [ts])[(sid, ts)]
        before = series.last_at_or_before(conn, [sid], ts - 1)
        delta = max(0, value - before[2]) if before else 0
        out.append(GasRow(ts, read_at, decimal_of("gas_m3", value), decimal_of("gas_m3", delta)))
    return total, out


def _stamped(bound: int, shift: int) -> int:
    # The open ends stay open (counting them is quick).
    return bound if bound <= FAR_PAST or bound >= FAR_FUTURE else bound + shift


def latest_gas(conn: Connection, site_id: int) -> GasRow | None:
    """The newest gas position."""
    _, rows = _gas(conn, site_id, Span(descending=True, limit=1))
    return rows[0] if rows else None


# DSMR 4 meters report the gas position of the last whole hour.
HOURLY_GAS_PROTOCOL = "dsmr4"


@dataclass(frozen=True)
class MeterStatistics:
    """What a site's meter last said about itself, and how many of its telegrams were refused or
    clashed with stored values (the last of those when)."""

    ts: int | None
    dsmr_version: str | None
    electricity_tariff: int | None
    power_failure_count: int | None
    long_power_failure_count: int | None
    voltage_sag_count_l1: int | None
    voltage_sag_count_l2: int | None
    voltage_sag_count_l3: int | None
    voltage_swell_count_l1: int | None
    voltage_swell_count_l2: int | None
    voltage_swell_count_l3: int | None
    rejected_telegrams: int
    latest_telegram: str | None
    clashed_telegrams: int
    clashed_ms: int | None


# How many characters the statistics' texts hold.
STATISTICS_TEXT_LENGTHS = {
    name: tables.max_length(tables.meter_statistics.c[name]) for name in ("dsmr_version", "latest_telegram")
}


def _statistics(conn: Connection, site_id: int) -> MeterStatistics:
    row = meter_statistics.get(conn, site_id=site_id)
    return MeterStatistics(**{f.name: row[f.name] for f in fields(MeterStatistics)})


def get_meter_statistics(platform: Platform, *, caller: Principal, site_id: int) -> MeterStatistics:
    """What the site's meter last reported about itself."""
    with callers.reading(platform, caller=caller, site_id=site_id) as conn:
        return _statistics(conn, site_id)


def patch_meter_statistics(
    platform: Platform, *, caller: Principal, site_id: int, changes: Mapping[str, Any]
) -> MeterStatistics:
    """Overwrite some of the statistics (MeterStatistics' field names; for users who post values
    rather than telegrams), and return them all."""
    with platform.db.writer.begin() as conn:
        callers.check(platform, caller=caller, site_id=site_id, needed=Access.WRITE, conn=conn)
        meter_statistics.patch(conn, site_id=site_id, values=changes)
        return _statistics(conn, site_id)


@dataclass(frozen=True)
class Problem:
    """Something wrong with a site's data flow, since when."""

    kind: str  # CLASHED, WAITING or SILENT
    since_ms: int
    telegrams: int = 0  # CLASHED: how many


CLASHED = "clashed"  # telegrams held values that differ from stored ones (within the last day)
WAITING = "waiting"  # no reading ever
SILENT = "silent"  # no reading for over an hour
_CLASHES_SHOWN_MS = 24 * HOUR_MS


def monitoring(platform: Platform, *, caller: Principal, site_id: int, now_ms: int) -> list[Problem]:
    """The problems of the site's data flow at now_ms, newest first."""
    with callers.reading(platform, caller=caller, site_id=site_id) as conn:
        newest = latest(conn, site_id)
        stats = _statistics(conn, site_id)
    found = []
    if stats.clashed_ms is not None and now_ms - stats.clashed_ms < _CLASHES_SHOWN_MS:
        found.append(Problem(CLASHED, stats.clashed_ms, stats.clashed_telegrams))
    if newest is None:
        found.append(Problem(WAITING, now_ms))
    elif now_ms - newest.ts > HOUR_MS:
        found.append(Problem(SILENT, newest.ts))
    return found
