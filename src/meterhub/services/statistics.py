"""A site's usage per local hour and day, with the costs of each day under its contracts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import Connection

from meterhub.auth.access import Principal
from meterhub.core.buckets import DAY, FAR_FUTURE, FAR_PAST, day_of, day_start_ms, day_starting, to_ms
from meterhub.core.costs import Prices, Usage, day_costs, prices_on
from meterhub.core.days import DayFigures, FirstPositions
from meterhub.core.entities import Site
from meterhub.core.roles import TARIFF_REGISTERS
from meterhub.services import callers, energy
from meterhub.store import accounts, imported_days, meters, series, tariffs

if TYPE_CHECKING:
    from meterhub.platform import Platform

# Days without a contract cost nothing but the formulas still run (DSMR-reader shows 0.00).
NO_PRICES = Prices()
ENERGY_ROLES = TARIFF_REGISTERS
GAS_ROLE = "gas_m3"


class Period(NamedTuple):
    start_ms: int
    usage: Usage
    # The part of the usage spread over the period from readings more than an hour apart.
    estimated: Usage


class Quarter(NamedTuple):
    start_ms: int
    average_import_kw: Decimal
    # The first and last readings of the quarter, as DSMR-reader's read_at_start and read_at_end.
    first_ms: int
    last_ms: int


class _Streams:
    def __init__(self, conn: Connection, site_id: int) -> None:
        found = meters.site_streams(conn, site_id, (*ENERGY_ROLES, GAS_ROLE))
        self.role_of = {s.stream_id: s.role for s in found}
        self.groups = [[s.stream_id for s in found if s.role == role] for role in (*ENERGY_ROLES, GAS_ROLE)]
        self.all = [s.stream_id for s in found]
        self.has_gas = bool(self.groups[-1])


def _usage(sums: Sequence[int], has_gas: bool) -> Usage:
    # Energy streams count Wh and gas streams dm3 (three decimals of kWh and m3).
    t1, t2, e1, e2, gas = sums
    return Usage(t1, t2, e1, e2, gas if has_gas else None)


def periods(
    conn: Connection,
    site_id: int,
    level: int,
    lo: int,
    hi: int,
    *,
    descending: bool = False,
    limit: int = 25,
    offset: int = 0,
    estimated: bool = False,
) -> tuple[int, list[Period]]:
    """How many buckets of the level (quarter hours, local hours or days) starting in [lo, hi] have
    data, and one page of their usage (with its estimated part, if asked for: zeros otherwise)."""
    streams = _Streams(conn, site_id)
    total, page = energy.sums_per_period(
        conn,
        streams.groups,
        level,
        lo,
        hi,
        descending=descending,
        limit=limit,
        offset=offset,
        estimated=estimated,
    )
    none = [0] * len(streams.groups)
    return total, [
        Period(bucket, _usage(sums, streams.has_gas), _usage(guessed or none, streams.has_gas))
        for bucket, sums, guessed in page
    ]


def site_usage(
    platform: Platform,
    *,
    caller: Principal,
    site_id: int,
    level: int,
    lo: int,
    hi: int,
    limit: int,
    offset: int = 0,
) -> tuple[Site, int, list[Period]]:
    """A site's usage per bucket for one who may read its meters; an unknown id for anyone else."""
    with platform.db.reader.connect() as conn:
        meter_dataset = meters.meter_dataset(conn, site_id)
        site = callers.visible_site(
            conn, caller=caller, site_id=site_id, dataset_id=meter_dataset, licensed=True
        )
        total, page = periods(conn, site_id, level, lo, hi, limit=limit, offset=offset, estimated=True)
    return site, total, page


def quarters(
    conn: Connection,
    site_id: int,
    lo: int,
    hi: int,
    *,
    by_average: bool = False,
    descending: bool = False,
    limit: int | None = 25,
    offset: int = 0,
) -> tuple[int, list[Quarter]]:
    """Average import power per quarter hour (the Belgian capacity tariff's measure), as DSMR-reader
    5.11 takes it: the growth of the import registers from the quarter's first reading to its last
    (its end included), per hour of the time between them; quarters with fewer than two readings,
    or still under way, have none."""
    streams = _Streams(conn, site_id)
    total, page = series.quarter_spans(
        conn,
        streams.groups[0],  # every reading carries tariff 1's import register
        streams.groups[0] + streams.groups[1],
        lo,
        hi,
        by_rate=by_average,
        descending=descending,
        limit=limit,
        offset=offset,
    )
    return total, [Quarter(b, _hourly(growth, last - first), first, last) for b, first, last, growth in page]


def _hourly(growth_wh: int, over_ms: int) -> Decimal:
    """kW from Wh over a span, rounded as DSMR-reader rounds it: its factor is a float (3600 / the
    span's seconds) made Decimal, then half up to three decimals. Same arithmetic, same figures."""
    factor = Decimal(3600 / (over_ms / 1000))
    return (Decimal(growth_wh).scaleb(-3) * factor).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


def days(
    conn: Connection,
    site_id: int,
    first: date | None = None,
    last: date | None = None,
    *,
    descending: bool = False,
    limit: int | None = 25,
    offset: int = 0,
    timezone: str | None = None,
) -> tuple[int, list[DayFigures]]:
    """How many days in [first, last] have figures (measured or imported), and one page of them.

    `timezone` is the site's, when the caller has it at hand.
    """
    tz = timezone or accounts.get_site(conn, site_id).timezone
    streams = _Streams(conn, site_id)
    lo = day_start_ms(tz, first) if first else FAR_PAST
    hi = day_start_ms(tz, last) if last else FAR_FUTURE
    measured = {day_starting(tz, b): b for b in series.buckets(conn, streams.all, DAY, lo, hi)}
    imported = imported_days.between(conn, site_id=site_id, first=first, last=last)
    every = sorted(set(measured) | set(imported), reverse=descending)
    page = every[offset : None if limit is None else offset + limit]
    if not page:
        return len(every), []
    contracts = tariffs.contracts(conn, site_id=site_id)
    starts = [measured[d] for d in page if d in measured and d not in imported]
    sums: dict[int, list[int]] = {}
    firsts: dict[int, list[tuple[int, int, int, int]]] = {}
    if starts:
        sums = {b: d for b, d, _ in series.delta_sums(conn, streams.groups, DAY, min(starts), max(starts))}
        for row in series.first_points(conn, streams.all, DAY, min(starts), max(starts)):
            firsts.setdefault(row[1], []).append(row)
    out = []
    for day in page:
        if day in imported:
            out.append(imported[day])
            continue
        bucket = measured[day]
        usage = _usage(sums.get(bucket, [0] * 5), streams.has_gas)
        prices = prices_on(contracts, day)
        positions = _first_positions(firsts.get(bucket, []), streams.role_of)
        out.append(DayFigures(day, usage, day_costs(usage, prices or NO_PRICES), prices, positions))
    return len(every), out


def today(conn: Connection, site_id: int, now: datetime, *, timezone: str) -> DayFigures | None:
    """Today's figures so far in the site's time zone; None before its first electricity reading."""
    day = day_of(timezone, to_ms(now))
    _, found = days(conn, site_id, day, day, limit=1, timezone=timezone)
    if not found or found[0].positions.electricity_ts is None:
        return None
    return found[0]


def _first_positions(rows: Sequence[tuple[int, int, int, int]], role_of: dict[int, str]) -> FirstPositions:
    """The day's first reading of each register, over all meters that played the role."""
    first: dict[str, tuple[int, int]] = {}
    for sid, _, ts, v in rows:
        role = role_of[sid]
        if role not in first or ts < first[role][0]:
            first[role] = (ts, v)
    none = (None, None)
    t1, t2, e1, e2, gas = (first.get(role, none) for role in (*ENERGY_ROLES, GAS_ROLE))
    return FirstPositions(t1[0], t1[1], t2[1], e1[1], e2[1], gas[0], gas[1])
