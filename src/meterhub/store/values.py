"""Raw points of datastreams, read in pages so that any range streams in flat memory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection

from meterhub.store import raw
from meterhub.store.writes import POINTS

PAGE = 20_000
# SQLite pages a long scan may keep cached: it reads each page once, and a full cache of them
# would only push out the pages the statistics need (and grow the server by the cache's size).
SCAN_CACHE_KIB = 4096


@contextmanager
def scanning(conn: Connection) -> Iterator[None]:
    """Read a long range on this connection without filling its page cache."""
    if conn.dialect.name != "sqlite":
        yield
        return
    (kept,) = raw.rows(conn, "PRAGMA cache_size")[0]
    raw.rows(conn, f"PRAGMA cache_size = -{SCAN_CACHE_KIB}")
    try:
        yield
    finally:
        raw.rows(conn, f"PRAGMA cache_size = {int(kept)}")


def pages(conn: Connection, stream_id: int, family: str, lo: int, hi: int) -> Iterator[list[tuple[int, Any]]]:
    """(ts, value) of the stream with lo <= ts <= hi, oldest first, a page at a time."""
    table = POINTS[family]
    if conn.dialect.name == "postgresql":
        # One query through a server-side cursor: PostgreSQL streams it from the index, where
        # repeated LIMIT queries would each be planned (and, before ANALYZE, sorted) again.
        driver = conn.connection.driver_connection
        with driver.cursor(name=f"values_{stream_id}", binary=True) as cur:  # type: ignore[union-attr]
            cur.execute(
                f"SELECT ts, v FROM {table} WHERE stream_id = %s AND ts >= %s AND ts <= %s ORDER BY ts",
                (stream_id, lo, hi),
            )
            while rows := cur.fetchmany(PAGE):
                yield rows
        return
    sql = f"SELECT ts, v FROM {table} WHERE stream_id = ? AND ts >= ? AND ts <= ? ORDER BY ts LIMIT {PAGE}"
    while lo <= hi:
        rows = raw.rows(conn, sql, (stream_id, lo, hi))
        if not rows:
            return
        yield rows
        if len(rows) < PAGE:
            return
        lo = rows[-1][0] + 1


def latest(conn: Connection, stream_id: int, family: str) -> tuple[int, Any] | None:
    """The stream's newest point."""
    rows = raw.rows(
        conn, f"SELECT ts, v FROM {POINTS[family]} WHERE stream_id = ? ORDER BY ts DESC LIMIT 1", (stream_id,)
    )
    return (rows[0][0], rows[0][1]) if rows else None
