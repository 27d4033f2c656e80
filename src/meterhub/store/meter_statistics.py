"""What a site's meter last said about itself, and how many telegrams were refused."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, String, select, update

from meterhub.store import raw
from meterhub.store.tables import meter_statistics

_LENGTH = {
    c.name: c.type.length for c in meter_statistics.columns if isinstance(c.type, String) and c.type.length
}


def record(
    conn: Connection, *, site_id: int, ts_ms: int, values: Mapping[str, Any], telegram: str | None
) -> None:
    """Store the meter's own figures unless a later telegram already did (last value wins)."""
    # Texts come from the meter; cut them to their columns rather than lose the telegram.
    changes = {k: v[: _LENGTH[k]] if isinstance(v, str) else v for k, v in values.items() if v is not None}
    names = sorted(changes)
    # Once per telegram: straight to the driver (see store.raw).
    raw.rows(
        conn,
        "UPDATE meter_statistics SET ts = ?, latest_telegram = ?"
        + "".join(f", {name} = ?" for name in names)
        + " WHERE site_id = ? AND (ts IS NULL OR ts <= ?)",
        (ts_ms, telegram, *(changes[name] for name in names), site_id, ts_ms),
    )


def count_rejected(conn: Connection, *, site_id: int) -> None:
    """Count one refused telegram."""
    conn.execute(
        update(meter_statistics)
        .where(meter_statistics.c.site_id == site_id)
        .values(rejected_telegrams=meter_statistics.c.rejected_telegrams + 1)
    )


def count_clashed(conn: Connection, *, site_id: int, at_ms: int) -> None:
    """Count one telegram stored without its values that contradicted stored ones."""
    conn.execute(
        update(meter_statistics)
        .where(meter_statistics.c.site_id == site_id)
        .values(clashed_telegrams=meter_statistics.c.clashed_telegrams + 1, clashed_ms=at_ms)
    )


def get(conn: Connection, *, site_id: int) -> dict[str, Any]:
    """The site's statistics row."""
    row = conn.execute(select(meter_statistics).where(meter_statistics.c.site_id == site_id)).mappings().one()
    return dict(row)


def patch(conn: Connection, *, site_id: int, values: Mapping[str, Any]) -> None:
    """Overwrite some fields (for users who post values instead of telegrams)."""
    if values:
        conn.execute(update(meter_statistics).where(meter_statistics.c.site_id == site_id).values(**values))
