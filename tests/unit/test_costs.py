"""Day costs: exact integer arithmetic that rounds as DSMR-reader's Decimal ROUND_HALF_UP does."""

from __future__ import annotations

import random
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from meterhub.core.costs import Contract, Prices, Usage, day_costs, prices_on

CENT = Decimal("0.01")


def by_the_book(usage: Usage, p: Prices) -> tuple[Decimal, ...]:
    """DSMR-reader's formulas, in Decimals."""

    def kwh(units: int) -> Decimal:
        return Decimal(units) / 1000

    t1 = (kwh(usage.import_t1_wh) * p.import_t1 - kwh(usage.export_t1_wh) * p.export_t1).quantize(
        CENT, ROUND_HALF_UP
    )
    t2 = (kwh(usage.import_t2_wh) * p.import_t2 - kwh(usage.export_t2_wh) * p.export_t2).quantize(
        CENT, ROUND_HALF_UP
    )
    gas = (kwh(usage.gas_dm3 or 0) * p.gas).quantize(CENT, ROUND_HALF_UP)
    total = (t1 + t2 + gas + p.fixed_daily).quantize(CENT, ROUND_HALF_UP)
    return t1, t2, gas, p.fixed_daily.quantize(CENT, ROUND_HALF_UP), total


def test_costs_match_decimal_half_up_rounding() -> None:
    rnd = random.Random(3)
    for _ in range(5000):
        usage = Usage(*(rnd.randint(0, 40_000) for _ in range(4)), gas_dm3=rnd.randint(0, 9_000))
        prices = Prices(*(Decimal(rnd.randint(0, 2_000_000)).scaleb(-6) for _ in range(6)))
        costs = day_costs(usage, prices)
        got = (
            costs.import_t1_cents,
            costs.import_t2_cents,
            costs.gas_cents,
            costs.fixed_cents,
            costs.total_cents,
        )
        assert tuple(Decimal(c).scaleb(-2) for c in got) == by_the_book(usage, prices)


def test_half_a_cent_rounds_away_from_zero() -> None:
    prices = Prices(import_t1=Decimal("0.005"), export_t1=Decimal("0.005"))
    assert day_costs(Usage(1000, 0, 0, 0), prices).import_t1_cents == 1
    assert day_costs(Usage(0, 0, 1000, 0), prices).import_t1_cents == -1


def test_overlapping_contracts_merge_field_by_field() -> None:
    a = Contract(1, date(2026, 1, 1), date(2026, 12, 31), "power", Prices(import_t1=Decimal("0.2")))
    b = Contract(
        2, date(2026, 6, 1), date(2026, 12, 31), "gas", Prices(gas=Decimal("1.1"), import_t1=Decimal("0"))
    )
    merged = prices_on([a, b], date(2026, 7, 1))
    assert merged == Prices(import_t1=Decimal("0.2"), gas=Decimal("1.1"))
    assert prices_on([a, b], date(2025, 7, 1)) is None
