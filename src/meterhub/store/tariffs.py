"""Energy contracts of a site (prices kept in millionths, exact)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, delete, insert

from meterhub.core.costs import PRICE_FIELDS, Contract, Prices
from meterhub.core.errors import Invalid, NotFound
from meterhub.store import raw
from meterhub.store.tables import tariffs

MICRO = Decimal("0.000001")


def _micro(value: Decimal) -> int:
    if value != value.quantize(MICRO):
        raise Invalid(f"price {value} has more than 6 decimals")
    return int(value.scaleb(6))


def add(conn: Connection, *, site_id: int, start: date, end: date, description: str, prices: Prices) -> int:
    """Store a contract valid from start to end (both inclusive)."""
    if end < start:
        raise Invalid("a contract cannot end before it starts")
    values = {f"{name}_micro": _micro(getattr(prices, name)) for name in PRICE_FIELDS}
    return int(
        conn.execute(
            insert(tariffs)
            .values(
                site_id=site_id,
                start_day=start.toordinal(),
                end_day=end.toordinal(),
                description=description,
                **values,
            )
            .returning(tariffs.c.id)
        ).scalar_one()
    )


def contracts(conn: Connection, *, site_id: int) -> list[Contract]:
    """The site's contracts, oldest first."""
    # Every statistics request asks: straight to the driver (see store.raw).
    rows = raw.rows(
        conn,
        "SELECT id, start_day, end_day, description, "
        + ", ".join(f"{name}_micro" for name in PRICE_FIELDS)
        + " FROM tariffs WHERE site_id = ? ORDER BY start_day, id",
        (site_id,),
    )
    return [
        Contract(
            id=r[0],
            start=date.fromordinal(r[1]),
            end=date.fromordinal(r[2]),
            description=r[3],
            prices=Prices(*(Decimal(micro).scaleb(-6) for micro in r[4:])),
        )
        for r in rows
    ]


def remove(conn: Connection, *, site_id: int, contract_id: int) -> None:
    """Delete a contract of the site."""
    done = conn.execute(delete(tariffs).where(tariffs.c.site_id == site_id, tariffs.c.id == contract_id))
    if done.rowcount == 0:
        raise NotFound(f"no contract {contract_id} in site {site_id}")
