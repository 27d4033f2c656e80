"""Energy contracts and what a day costs under them, rounded half up to cents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

CENT = Decimal("0.01")
PRICE_FIELDS = ("import_t1", "import_t2", "export_t1", "export_t2", "gas", "fixed_daily")


@dataclass(frozen=True)
class Prices:
    """Per kWh (import/export by tariff), per m3 of gas, and a fixed amount per day."""

    import_t1: Decimal = Decimal(0)
    import_t2: Decimal = Decimal(0)
    export_t1: Decimal = Decimal(0)
    export_t2: Decimal = Decimal(0)
    gas: Decimal = Decimal(0)
    fixed_daily: Decimal = Decimal(0)


@dataclass(frozen=True)
class Contract:
    id: int
    start: date
    end: date
    description: str
    prices: Prices


class Usage(NamedTuple):
    """A period's energy, exact: Wh imported/exported per tariff and dm3 (litres) of gas."""

    import_t1_wh: int
    import_t2_wh: int
    export_t1_wh: int
    export_t2_wh: int
    gas_dm3: int | None = None


class Costs(NamedTuple):
    """What a day cost, in cents."""

    import_t1_cents: int
    import_t2_cents: int
    gas_cents: int | None
    fixed_cents: int
    total_cents: int


def prices_on(contracts: Sequence[Contract], day: date) -> Prices | None:
    """The prices in force on the day; None when no contract covers it.

    Overlapping contracts are merged field by field, each taking the one non-zero price offered;
    a field two contracts both set is ambiguous and counts as zero (as DSMR-reader does).
    """
    active = [c.prices for c in contracts if c.start <= day <= c.end]
    if not active:
        return None
    if len(active) == 1:
        return active[0]
    merged: dict[str, Decimal] = {}
    for f in fields(Prices):
        offered = [getattr(p, f.name) for p in active if getattr(p, f.name) != 0]
        merged[f.name] = offered[0] if len(offered) == 1 else Decimal(0)
    return Prices(**merged)


@lru_cache(maxsize=256)
def _micro(prices: Prices) -> tuple[int, int, int, int, int, int]:
    """The prices in millionths (exact: contracts keep six decimals)."""
    return tuple(int(getattr(prices, name).scaleb(6)) for name in PRICE_FIELDS)  # type: ignore[return-value]


def _half_up(amount: int, unit: int) -> int:
    """amount / unit rounded half away from zero, as ROUND_HALF_UP does."""
    whole, rest = divmod(abs(amount), unit)
    whole += 2 * rest >= unit
    return whole if amount >= 0 else -whole


# Wh (or dm3) x millionths per kWh (or m3) = 1e-9 of the currency; a cent is 1e7 of those.
_NANO_PER_CENT = 10**7
_MICRO_PER_CENT = 10**4


def day_costs(usage: Usage, prices: Prices) -> Costs:
    """What the day's usage costs, each part and the total rounded half up to cents.

    Integer arithmetic throughout: exact, and fast enough for a year of days per request.
    """
    t1_in, t2_in, t1_out, t2_out, gas_price, fixed = _micro(prices)
    t1 = _half_up(usage.import_t1_wh * t1_in - usage.export_t1_wh * t1_out, _NANO_PER_CENT)
    t2 = _half_up(usage.import_t2_wh * t2_in - usage.export_t2_wh * t2_out, _NANO_PER_CENT)
    gas = _half_up(usage.gas_dm3 * gas_price, _NANO_PER_CENT) if usage.gas_dm3 is not None else None
    # The total adds the unrounded fixed cost, as DSMR-reader's day statistics do.
    total = _half_up((t1 + t2 + (gas or 0)) * _MICRO_PER_CENT + fixed, _MICRO_PER_CENT)
    return Costs(t1, t2, gas, _half_up(fixed, _MICRO_PER_CENT), total)
