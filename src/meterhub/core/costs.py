"""Energy contracts and what a day costs under them, rounded half up to cents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

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


@dataclass(frozen=True)
class Usage:
    """A period's energy, exact: Wh imported/exported per tariff and dm3 (litres) of gas."""

    import_t1_wh: int
    import_t2_wh: int
    export_t1_wh: int
    export_t2_wh: int
    gas_dm3: int | None = None


@dataclass(frozen=True)
class Costs:
    import_t1: Decimal
    import_t2: Decimal
    gas: Decimal | None
    fixed: Decimal
    total: Decimal


def round_cents(amount: Decimal) -> Decimal:
    """Half-up to whole cents, as on an energy bill."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


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


def _kilo(units: int) -> Decimal:
    return Decimal(units).scaleb(-3)


def day_costs(usage: Usage, prices: Prices) -> Costs:
    """What the day's usage costs, each part and the total rounded to cents."""
    t1 = round_cents(
        _kilo(usage.import_t1_wh) * prices.import_t1 - _kilo(usage.export_t1_wh) * prices.export_t1
    )
    t2 = round_cents(
        _kilo(usage.import_t2_wh) * prices.import_t2 - _kilo(usage.export_t2_wh) * prices.export_t2
    )
    gas = round_cents(_kilo(usage.gas_dm3) * prices.gas) if usage.gas_dm3 is not None else None
    # The total adds the unrounded fixed cost, as DSMR-reader's day statistics do.
    total = round_cents(t1 + t2 + (gas or 0) + prices.fixed_daily)
    return Costs(t1, t2, gas, round_cents(prices.fixed_daily), total)
