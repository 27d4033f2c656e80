"""A site's usage per local hour and day, with the costs of each day under its contracts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection

from meterhub.core.aggregate import Agg
from meterhub.core.buckets import DAY, HOUR, QUARTER, day_of, day_start_ms, to_ms
from meterhub.core.costs import Prices, Usage, day_costs, prices_on
from meterhub.core.days import DayFigures, FirstPositions
from meterhub.services.readings import decimal_of
from meterhub.store import accounts, imported_days, meters, series, tariffs

ENERGY_ROLES = ("import_t1_kwh", "import_t2_kwh", "export_t1_kwh", "export_t2_kwh")
GAS_ROLE = "gas_m3"


@dataclass(frozen=True)
class Period:
    start_ms: int
    usage: Usage


@dataclass(frozen=True)
class Quarter:
    start_ms: int
    average_import_kw: Decimal


class _Streams:
    def __init__(self, conn: Connection, site_id: int) -> None:
        found = meters.site_streams(conn, site_id, (*ENERGY_ROLES, GAS_ROLE))
        self.role_of = {s.stream_id: s.role for s in found}
        self.energy = [s.stream_id for s in found if s.role != GAS_ROLE]
        self.gas = [s.stream_id for s in found if s.role == GAS_ROLE]
        self.all = self.energy + self.gas


def _usage(rows: Sequence[tuple[int, int, Agg]], role_of: dict[int, str], has_gas: bool) -> Usage:
    total = dict.fromkeys((*ENERGY_ROLES, GAS_ROLE), 0)
    for sid, _, agg in rows:
        total[role_of[sid]] += agg.delta
    return Usage(
        import_t1=decimal_of("import_t1_kwh", total["import_t1_kwh"]),
        import_t2=decimal_of("import_t2_kwh", total["import_t2_kwh"]),
        export_t1=decimal_of("export_t1_kwh", total["export_t1_kwh"]),
        export_t2=decimal_of("export_t2_kwh", total["export_t2_kwh"]),
        gas=decimal_of(GAS_ROLE, total[GAS_ROLE]) if has_gas else None,
    )


def _by_bucket(rows: Sequence[tuple[int, int, Agg]]) -> dict[int, list[tuple[int, int, Agg]]]:
    out: dict[int, list[tuple[int, int, Agg]]] = {}
    for row in rows:
        out.setdefault(row[1], []).append(row)
    return out


def hours(
    conn: Connection,
    site_id: int,
    lo: int,
    hi: int,
    *,
    descending: bool = False,
    limit: int = 25,
    offset: int = 0,
) -> tuple[int, list[Period]]:
    """How many local hours in [lo, hi] have data, and one page of their usage."""
    streams = _Streams(conn, site_id)
    total = series.count_buckets(conn, streams.all, HOUR, lo, hi)
    page = series.buckets(conn, streams.all, HOUR, lo, hi, descending=descending, limit=limit, offset=offset)
    if not page:
        return total, []
    rows = _by_bucket(series.aggregates_in(conn, streams.all, HOUR, min(page), max(page)))
    return total, [Period(b, _usage(rows.get(b, []), streams.role_of, bool(streams.gas))) for b in page]


def quarters(
    conn: Connection,
    site_id: int,
    lo: int,
    hi: int,
    *,
    descending: bool = False,
    limit: int | None = 25,
    offset: int = 0,
) -> tuple[int, list[Quarter]]:
    """Average import power per quarter hour (the Belgian capacity tariff's measure)."""
    streams = _Streams(conn, site_id)
    imports = [sid for sid in streams.energy if streams.role_of[sid].startswith("import")]
    total = series.count_buckets(conn, imports, QUARTER, lo, hi)
    page = series.buckets(conn, imports, QUARTER, lo, hi, descending=descending, limit=limit, offset=offset)
    if not page:
        return total, []
    rows = _by_bucket(series.aggregates_in(conn, imports, QUARTER, min(page), max(page)))
    # kWh in a quarter x 4 = average kW over it
    return total, [
        Quarter(b, decimal_of("import_t1_kwh", sum(a.delta for _, _, a in rows.get(b, [])) * 4)) for b in page
    ]


def days(
    conn: Connection,
    site_id: int,
    first: date | None = None,
    last: date | None = None,
    *,
    descending: bool = False,
    limit: int | None = 25,
    offset: int = 0,
) -> tuple[int, list[DayFigures]]:
    """How many days in [first, last] have figures (measured or imported), and one page of them."""
    site = accounts.get_site(conn, site_id)
    tz = site.timezone
    streams = _Streams(conn, site_id)
    lo = day_start_ms(tz, first) if first else series.FAR_PAST
    hi = day_start_ms(tz, last) if last else series.FAR_FUTURE
    measured = {day_of(tz, b): b for b in series.buckets(conn, streams.all, DAY, lo, hi)}
    imported = imported_days.between(conn, site_id=site_id, first=first, last=last)
    every = sorted(set(measured) | set(imported), reverse=descending)
    page = every[offset : None if limit is None else offset + limit]
    if not page:
        return len(every), []
    contracts = tariffs.contracts(conn, site_id=site_id)
    starts = [measured[d] for d in page if d in measured and d not in imported]
    rows = (
        _by_bucket(series.aggregates_in(conn, streams.all, DAY, min(starts), max(starts))) if starts else {}
    )
    out = []
    for day in page:
        if day in imported:
            out.append(imported[day])
            continue
        day_rows = rows.get(measured[day], [])
        usage = _usage(day_rows, streams.role_of, bool(streams.gas))
        prices = prices_on(contracts, day)
        out.append(
            DayFigures(
                day, usage, day_costs(usage, prices or Prices()), prices, _first_positions(day_rows, streams)
            )
        )
    return len(every), out


def today(conn: Connection, site_id: int, now: datetime) -> DayFigures | None:
    """Today's figures so far in the site's time zone; None before its first electricity reading."""
    tz = accounts.get_site(conn, site_id).timezone
    day = day_of(tz, to_ms(now))
    _, found = days(conn, site_id, day, day, limit=1)
    if not found or found[0].positions.electricity_ts is None:
        return None
    return found[0]


def local_day(conn: Connection, site_id: int, now: datetime) -> date:
    """The date it is now at the site."""
    return day_of(accounts.get_site(conn, site_id).timezone, to_ms(now))


def _first_positions(rows: Sequence[tuple[int, int, Agg]], streams: _Streams) -> FirstPositions:
    first: dict[str, tuple[int, int]] = {}
    for sid, _, agg in rows:
        if agg.first_ts is None or agg.first_v is None:
            continue
        role = streams.role_of[sid]
        if role not in first or agg.first_ts < first[role][0]:
            first[role] = (agg.first_ts, agg.first_v)

    def position(role: str) -> Decimal | None:
        return decimal_of(role, first[role][1]) if role in first else None

    electricity_ts = first["import_t1_kwh"][0] if "import_t1_kwh" in first else None
    return FirstPositions(
        electricity_ts,
        position("import_t1_kwh"),
        position("import_t2_kwh"),
        position("export_t1_kwh"),
        position("export_t2_kwh"),
        first[GAS_ROLE][0] if GAS_ROLE in first else None,
        position(GAS_ROLE),
    )
