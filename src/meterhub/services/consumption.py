"""A site's consumption as DSMR-reader shows it: the import and export registers of tariffs 1 and 2
and gas, per day (measured or imported), hour and quarter hour, today so far and live, with what
they cost under the site's energy contracts (the figures themselves: `services/statistics.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from meterhub.auth.access import Access, Principal
from meterhub.core.buckets import HOUR, day_of, to_ms
from meterhub.core.costs import CENT, Contract, Costs, Usage, prices_on
from meterhub.core.days import DayFigures, FirstPositions
from meterhub.core.errors import Conflict
from meterhub.core.listing import Span
from meterhub.services import callers, readings, statistics
from meterhub.services.statistics import Period, Quarter
from meterhub.store import imported_days, meter_statistics, tariffs

if TYPE_CHECKING:
    from meterhub.platform import Platform

# The meter's tariffs (its electricity_tariff): 1 low, 2 normal.
TARIFFS = (1, 2)


def day_statistics(
    platform: Platform,
    *,
    caller: Principal,
    site_id: int,
    first: date | None = None,
    last: date | None = None,
    descending: bool = False,
    limit: int = 25,
    offset: int = 0,
    timezone: str | None = None,
) -> tuple[int, list[DayFigures]]:
    """How many days in [first, last] have figures (measured, the current one as far as it has
    gone, or imported), and one page of them; `timezone` is the site's, when the caller has it."""
    with callers.reading(platform, caller=caller, site_id=site_id) as conn:
        return statistics.days(
            conn, site_id, first, last, descending=descending, limit=limit, offset=offset, timezone=timezone
        )


def hour_statistics(
    platform: Platform,
    *,
    caller: Principal,
    site_id: int,
    span: Span,
) -> tuple[int, list[Period]]:
    """How many local hours starting in the span have usage, and one page of them."""
    with callers.reading(platform, caller=caller, site_id=site_id) as conn:
        return statistics.periods(
            conn,
            site_id,
            HOUR,
            span.lo,
            span.hi,
            descending=span.descending,
            limit=span.limit,
            offset=span.offset,
        )


def quarter_peaks(
    platform: Platform,
    *,
    caller: Principal,
    site_id: int,
    span: Span,
    by_average: bool = False,
) -> tuple[int, list[Quarter]]:
    """How many quarter hours starting in the span have an average import power, and one page of
    them, by start or (`by_average`) by that power."""
    with callers.reading(platform, caller=caller, site_id=site_id) as conn:
        return statistics.quarters(
            conn,
            site_id,
            span.lo,
            span.hi,
            by_average=by_average,
            descending=span.descending,
            limit=span.limit,
            offset=span.offset,
        )


def today(
    platform: Platform, *, caller: Principal, site_id: int, now: datetime, timezone: str
) -> DayFigures | None:
    """Today's figures so far in the site's time zone; None before its first electricity reading."""
    with callers.reading(platform, caller=caller, site_id=site_id) as conn:
        return statistics.today(conn, site_id, now, timezone=timezone)


def import_day(
    platform: Platform,
    *,
    caller: Principal,
    site_id: int,
    day: date,
    usage: Usage,
    costs: Costs,
    positions: FirstPositions,
    temperatures: tuple[Decimal | None, Decimal | None, Decimal | None],
    timezone: str,
) -> DayFigures:
    """Store a day's totals for a day the site has no readings of, and return them; Conflict when
    it has, or has imported figures already. (Blocks on the write connection: run it in a thread.)"""
    figures = DayFigures(day, usage, costs, None, positions, temperatures, imported=True)
    with platform.db.writer.begin() as conn:
        callers.check(platform, caller=caller, site_id=site_id, needed=Access.WRITE, conn=conn)
        _, measured = statistics.days(conn, site_id, day, day, limit=1, timezone=timezone)
        if measured:
            raise Conflict(f"{day.isoformat()} has figures already")
        imported_days.add(conn, site_id=site_id, figures=figures)
    return figures


def energy_contracts(
    platform: Platform,
    *,
    caller: Principal,
    site_id: int,
    starts: tuple[date | None, date | None] = (None, None),
    ends: tuple[date | None, date | None] = (None, None),
    by_end: bool = False,
    descending: bool = False,
) -> list[Contract]:
    """The site's energy contracts starting and ending within the given [first, last] days (None:
    open), by start or (`by_end`) by end."""
    with callers.reading(platform, caller=caller, site_id=site_id) as conn:
        found = tariffs.contracts(conn, site_id=site_id)
    found = [c for c in found if _within(c.start, starts) and _within(c.end, ends)]
    found.sort(key=lambda c: (c.end if by_end else c.start, c.id), reverse=descending)
    return found


def _within(day: date, bounds: Sequence[date | None]) -> bool:
    first, last = bounds
    return (first is None or day >= first) and (last is None or day <= last)


@dataclass(frozen=True)
class LiveElectricity:
    """The newest reading's power and what it costs an hour at the meter's current tariff."""

    ts: int  # never after the server's clock
    import_kw: Decimal
    export_kw: Decimal
    tariff: int | None  # as the meter last said
    cost_per_hour: Decimal | None  # in cents' precision; None without a contract or a known tariff


@dataclass(frozen=True)
class LiveGas:
    """The newest gas interval and, under a contract, what it cost."""

    read_at: int
    delivered_m3: Decimal
    cost: Decimal | None


def live_electricity(
    platform: Platform, *, caller: Principal, site_id: int, now: datetime, timezone: str
) -> LiveElectricity | None:
    """The site's current electricity use (None before its first reading)."""
    with callers.reading(platform, caller=caller, site_id=site_id) as conn:
        latest = readings.latest(conn, site_id)
        if latest is None:
            return None
        tariff = meter_statistics.get(conn, site_id=site_id)["electricity_tariff"]
        contracts = tariffs.contracts(conn, site_id=site_id)
    delivered = latest.values.get("import_kw", Decimal(0))
    returned = latest.values.get("export_kw", Decimal(0))
    prices = prices_on(contracts, day_of(timezone, to_ms(now)))
    cost = None
    if prices is not None and tariff in TARIFFS:
        rate_in, rate_out = (
            (prices.import_t1, prices.export_t1) if tariff == 1 else (prices.import_t2, prices.export_t2)
        )
        cost = (delivered * rate_in - returned * rate_out).quantize(CENT, rounding=ROUND_HALF_UP)
    # A meter whose clock runs ahead must not show a reading from the future.
    return LiveElectricity(min(latest.ts, to_ms(now)), delivered, returned, tariff, cost)


def live_gas(
    platform: Platform, *, caller: Principal, site_id: int, now: datetime, timezone: str
) -> LiveGas | None:
    """The site's newest gas interval (None before its first gas reading)."""
    with callers.reading(platform, caller=caller, site_id=site_id) as conn:
        row = readings.latest_gas(conn, site_id)
        if row is None:
            return None
        day = day_of(timezone, to_ms(now))
        prices = prices_on(tariffs.contracts(conn, site_id=site_id), day)
    cost = (row.delta * prices.gas).quantize(CENT, rounding=ROUND_HALF_UP) if prices is not None else None
    return LiveGas(row.read_at, row.delta, cost)
