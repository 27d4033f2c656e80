"""SQL of the one write path: points, per-stream state and bucket aggregates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple

from sqlalchemy import Connection, text

from meterhub.core.aggregate import Agg, BucketKey, Point
from meterhub.core.datatypes import Datatype
from meterhub.store import raw

_AGG_COLUMNS = "n, sum_v, min_v, max_v, first_ts, first_v, last_ts, last_v, delta, estimated"


# Tables of each storage family (core.datatypes): string streams keep no aggregates.
POINTS: Final = {"int": "points", "real": "points_real", "text": "points_text"}
AGGREGATES: Final = {"int": "aggregates", "real": "aggregates_real"}


class StreamState(NamedTuple):
    n: int
    first_ts: int
    first_v: int | None  # values of integer-stored streams only
    last_ts: int
    last_v: int | None


@dataclass(frozen=True)
class StreamMeta:
    stream_id: int
    counter: bool
    timezone: str
    family: str = "int"


def stream_meta(conn: Connection, stream_ids: Iterable[int]) -> dict[int, StreamMeta]:
    """Kind, storage family and site time zone of each stream that exists."""
    rows = conn.execute(
        text(
            "SELECT d.id, d.kind, s.timezone, d.datatype FROM datastreams d "
            "JOIN datasets ds ON ds.id = d.dataset_id JOIN sites s ON s.id = ds.site_id "
            "WHERE d.id IN (" + ",".join(str(int(i)) for i in stream_ids) + ")"
        )
    )
    return {r[0]: StreamMeta(r[0], r[1] == "counter", r[2], Datatype(r[3]).family) for r in rows}


def lock_states(conn: Connection, stream_ids: Sequence[int]) -> dict[int, StreamState]:
    """Current state of the streams, locked against other writers until commit."""
    ids = ",".join(str(int(i)) for i in stream_ids)
    lock = " FOR UPDATE" if conn.dialect.name == "postgresql" else ""
    rows = raw.rows(
        conn,
        f"SELECT stream_id, n, first_ts, first_v, last_ts, last_v FROM stream_state WHERE stream_id IN ({ids}){lock}",
    )
    return {r[0]: StreamState(*r[1:]) for r in rows}


def save_states(conn: Connection, states: Mapping[int, StreamState]) -> None:
    """Write the streams' new states."""
    raw.many(
        conn,
        "INSERT INTO stream_state (stream_id, n, first_ts, first_v, last_ts, last_v) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (stream_id) DO UPDATE SET n = excluded.n, first_ts = excluded.first_ts, "
        "first_v = excluded.first_v, last_ts = excluded.last_ts, last_v = excluded.last_v",
        [(sid, st.n, st.first_ts, st.first_v, st.last_ts, st.last_v) for sid, st in states.items()],
    )


def stored_points(conn: Connection, stream_id: int, lo: int, hi: int, family: str = "int") -> list[Point]:
    """Points of the stream with lo <= ts <= hi, in time order."""
    sql = f"SELECT ts, v FROM {POINTS[family]} WHERE stream_id = ? AND ts >= ? AND ts <= ? ORDER BY ts"
    return [(r[0], r[1]) for r in raw.rows(conn, sql, (stream_id, lo, hi))]


def point_before(conn: Connection, stream_id: int, ts: int, family: str = "int") -> Point | None:
    """The stored point just before ts."""
    rows = raw.rows(
        conn,
        f"SELECT ts, v FROM {POINTS[family]} WHERE stream_id = ? AND ts < ? ORDER BY ts DESC LIMIT 1",
        (stream_id, ts),
    )
    return (rows[0][0], rows[0][1]) if rows else None


def point_after(conn: Connection, stream_id: int, ts: int, family: str = "int") -> Point | None:
    """The stored point just after ts."""
    rows = raw.rows(
        conn,
        f"SELECT ts, v FROM {POINTS[family]} WHERE stream_id = ? AND ts > ? ORDER BY ts LIMIT 1",
        (stream_id, ts),
    )
    return (rows[0][0], rows[0][1]) if rows else None


_COPY_TYPES: Final = {"int": "int8", "real": "float8", "text": "text"}


def insert_points(conn: Connection, rows: Sequence[tuple[int, int, object]], family: str = "int") -> None:
    """Insert (stream_id, ts, v) rows known not to be stored yet."""
    if not rows:
        return
    table = POINTS[family]
    if conn.dialect.name == "postgresql":
        driver = conn.connection.driver_connection
        with (
            driver.cursor() as cur,  # type: ignore[union-attr]
            cur.copy(
                f"COPY {table} (stream_id, ts, v) FROM STDIN (FORMAT BINARY)"
            ) as copy,
        ):
            copy.set_types(["int4", "int8", _COPY_TYPES[family]])
            for row in rows:
                copy.write_row(row)
        return
    raw.many(conn, f"INSERT INTO {table} (stream_id, ts, v) VALUES (?, ?, ?)", rows)


def aggregates_between(
    conn: Connection, stream_id: int, level: int, lo: int, hi: int, family: str = "int"
) -> dict[int, Agg]:
    """Rows of one level with lo <= bucket < hi."""
    sql = (
        f"SELECT bucket, {_AGG_COLUMNS} FROM {AGGREGATES[family]} "
        "WHERE stream_id = ? AND level = ? AND bucket >= ? AND bucket < ?"
    )
    return {r[0]: Agg(*r[1:]) for r in raw.rows(conn, sql, (stream_id, level, lo, hi))}


def delete_aggregates(
    conn: Connection, stream_id: int, levels: Sequence[int], lo: int, hi: int, family: str = "int"
) -> None:
    """Remove rows of the given levels with lo <= bucket < hi, to be written anew."""
    marks = ",".join(str(int(level)) for level in levels)
    raw.rows(
        conn,
        f"DELETE FROM {AGGREGATES[family]} WHERE stream_id = ? AND level IN ({marks}) AND bucket >= ? AND bucket < ?",
        (stream_id, lo, hi),
    )


# Appending merges into the stored row in the database, as Agg.then does: the later points' last
# value wins, the earlier first stays, counts, sums and deltas add up.
_MERGE = (
    "n = {t}.n + excluded.n, sum_v = {t}.sum_v + excluded.sum_v, "
    "min_v = CASE WHEN excluded.min_v IS NULL OR excluded.min_v > {t}.min_v THEN {t}.min_v "
    "ELSE excluded.min_v END, "
    "max_v = CASE WHEN excluded.max_v IS NULL OR excluded.max_v < {t}.max_v THEN {t}.max_v "
    "ELSE excluded.max_v END, "
    "first_ts = CASE WHEN {t}.n = 0 THEN excluded.first_ts ELSE {t}.first_ts END, "
    "first_v = CASE WHEN {t}.n = 0 THEN excluded.first_v ELSE {t}.first_v END, "
    "last_ts = CASE WHEN excluded.n = 0 THEN {t}.last_ts ELSE excluded.last_ts END, "
    "last_v = CASE WHEN excluded.n = 0 THEN {t}.last_v ELSE excluded.last_v END, "
    "delta = {t}.delta + excluded.delta, estimated = {t}.estimated + excluded.estimated"
)


def merge_aggregates(
    conn: Connection, rows: Sequence[tuple[int, BucketKey, Agg]], family: str = "int"
) -> None:
    """Merge (stream_id, (level, bucket), agg) rows of later points into the stored rows."""
    _write_aggregates(conn, rows, _MERGE, family)


def upsert_aggregates(
    conn: Connection, rows: Sequence[tuple[int, BucketKey, Agg]], family: str = "int"
) -> None:
    """Write (stream_id, (level, bucket), agg) rows, replacing what was there."""
    _write_aggregates(conn, rows, ", ".join(f"{c} = excluded.{c}" for c in _AGG_COLUMNS.split(", ")), family)


def _write_aggregates(
    conn: Connection, rows: Sequence[tuple[int, BucketKey, Agg]], on_conflict: str, family: str
) -> None:
    if rows:
        raw.many(
            conn,
            f"INSERT INTO {AGGREGATES[family]} (stream_id, level, bucket, {_AGG_COLUMNS}) "
            f"VALUES ({', '.join(['?'] * 13)}) "
            f"ON CONFLICT (stream_id, level, bucket) DO UPDATE SET {on_conflict.format(t=AGGREGATES[family])}",
            [(sid, level, bucket, *agg) for sid, (level, bucket), agg in rows],
        )
