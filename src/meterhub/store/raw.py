"""Statements on the driver's own cursor, for the paths that run thousands of times a second.

SQLAlchemy's statement layer costs more per call than SQLite takes to answer a key lookup, so the
write path and the hot reads use this instead. SQL is written with `?` marks; PostgreSQL's driver
gets its own `%s`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection


def _dialect_sql(conn: Connection, sql: str) -> str:
    return sql if conn.dialect.name == "sqlite" else sql.replace("?", "%s")


def rows(conn: Connection, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
    """Run one statement; its result rows (none for a statement without result)."""
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.execute(_dialect_sql(conn, sql), params)
        return list(cur.fetchall()) if cur.description else []
    finally:
        cur.close()


def many(conn: Connection, sql: str, params: Sequence[Sequence[object]]) -> None:
    """Run one statement for each parameter row."""
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.executemany(_dialect_sql(conn, sql), params)
    finally:
        cur.close()
