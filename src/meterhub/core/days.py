"""A day's figures: usage, costs and the meter positions it started with."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import NamedTuple

from meterhub.core.costs import Costs, Prices, Usage


class FirstPositions(NamedTuple):
    """The meter positions a day started with (Wh, dm3) and when they were read."""

    electricity_ts: int | None
    import_t1_wh: int | None
    import_t2_wh: int | None
    export_t1_wh: int | None
    export_t2_wh: int | None
    gas_ts: int | None
    gas_dm3: int | None


class DayFigures(NamedTuple):
    day: date
    usage: Usage
    costs: Costs
    prices: Prices | None
    positions: FirstPositions
    temperatures: tuple[Decimal | None, Decimal | None, Decimal | None] = (None, None, None)
    imported: bool = False
