"""A day's figures: usage, costs and the meter positions it started with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from meterhub.core.costs import Costs, Prices, Usage


@dataclass(frozen=True)
class FirstPositions:
    electricity_ts: int | None
    import_t1: Decimal | None
    import_t2: Decimal | None
    export_t1: Decimal | None
    export_t2: Decimal | None
    gas_ts: int | None
    gas: Decimal | None


@dataclass(frozen=True)
class DayFigures:
    day: date
    usage: Usage
    costs: Costs
    prices: Prices | None
    positions: FirstPositions
    temperatures: tuple[Decimal | None, Decimal | None, Decimal | None] = (None, None, None)
    imported: bool = False
