"""Day figures imported for days without readings (DSMR-reader's POST statistics/day)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, insert, select

from meterhub.core.costs import Costs, Usage
from meterhub.core.days import DayFigures, FirstPositions
from meterhub.core.errors import Conflict
from meterhub.store.tables import imported_days


def _int(value: Decimal | None, decimals: int) -> int | None:
    return None if value is None else int(value.scaleb(decimals))


def _dec(value: int | None, decimals: int) -> Decimal | None:
    return None if value is None else Decimal(value).scaleb(-decimals)


def add(conn: Connection, *, site_id: int, figures: DayFigures) -> None:
    """Store an imported day; a day can be imported once."""
    day = figures.day.toordinal()
    exists = conn.execute(
        select(imported_days.c.day).where(imported_days.c.site_id == site_id, imported_days.c.day == day)
    ).first()
    if exists:
        raise Conflict(f"{figures.day} is already imported")
    u, c, p = figures.usage, figures.costs, figures.positions
    low, high, avg = figures.temperatures
    conn.execute(
        insert(imported_days).values(
            site_id=site_id,
            day=day,
            import_t1_wh=u.import_t1_wh,
            import_t2_wh=u.import_t2_wh,
            export_t1_wh=u.export_t1_wh,
            export_t2_wh=u.export_t2_wh,
            import_t1_cents=c.import_t1_cents,
            import_t2_cents=c.import_t2_cents,
            gas_dm3=u.gas_dm3,
            gas_cents=c.gas_cents,
            fixed_cents=c.fixed_cents,
            total_cents=c.total_cents,
            lowest_temperature_dc=_int(low, 1),
            highest_temperature_dc=_int(high, 1),
            average_temperature_dc=_int(avg, 1),
            first_positions=json.dumps(p._asdict()),
        )
    )


def between(
    conn: Connection, *, site_id: int, first: date | None, last: date | None
) -> dict[date, DayFigures]:
    """Imported days of the site within [first, last]."""
    query = select(imported_days).where(imported_days.c.site_id == site_id)
    if first:
        query = query.where(imported_days.c.day >= first.toordinal())
    if last:
        query = query.where(imported_days.c.day <= last.toordinal())
    out = {}
    for r in conn.execute(query):
        pos = json.loads(r.first_positions or "{}")
        positions = FirstPositions(**pos) if pos else FirstPositions(None, None, None, None, None, None, None)
        day = date.fromordinal(r.day)
        out[day] = DayFigures(
            day=day,
            usage=Usage(r.import_t1_wh, r.import_t2_wh, r.export_t1_wh, r.export_t2_wh, r.gas_dm3),
            costs=Costs(r.import_t1_cents, r.import_t2_cents, r.gas_cents, r.fixed_cents, r.total_cents),
            prices=None,
            positions=positions,
            temperatures=(
                _dec(r.lowest_temperature_dc, 1),
                _dec(r.highest_temperature_dc, 1),
                _dec(r.average_temperature_dc, 1),
            ),
            imported=True,
        )
    return out
