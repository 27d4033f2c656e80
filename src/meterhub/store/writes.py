"""SQL of the one write path: points, per-stream state and bucket aggregates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import Connection, text

from meterhub.core.aggregate import Agg, BucketKey, Point
from meterhub.store import raw

_AGG_COLUMNS = "n, sum_v, min_v, max_v, first_ts, first_v, last_ts, last_v, delta"


class StreamState(NamedTuple):
    n: int
    first_ts: int
    first_v: int
    last_ts: int
    last_v: int


@dataclass(frozen=True)
class StreamMeta:
    stream_id: int
    counter: bool
    timezone: str


def stream_meta(conn: Connection, stream_ids: Iterable[int]) -> dict[int, StreamMeta]:
    """Kind and site time zone of each stream that exists."""
    rows = conn.execute(
        text(
            "SELECT d.id, d.kind, s.timezone FROM datastreams d "
            "JOIN datasets ds ON ds.id = d.dataset_id JOIN sites s ON s.id = ds.site_id "
            "WHERE d.id IN (" + ",".join(str(int(i)) for i in stream_ids) + ")"
        )
    )
    return {r[0]: StreamMeta(r[0], r[1] == "counter", r[2]) for r in rows}


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


def stored_points(conn: Connection, stream_id: int, lo: int, hi: int) -> list[Point]:
    """Points of the stream with lo <= ts <= hi, in time order."""
    sql = "SELECT ts, v FROM points WHERE stream_id = ? AND ts >= ? AND ts <= ? ORDER BY ts"
    return [(r[0], r[1]) for r in raw.rows(conn, sql, (stream_id, lo, hi))]


def point_before(conn: Connection, stream_id: int, ts: int) -> Point | None:
    """The stored point just before ts."""
    rows = raw.rows(
        conn,
        "SELECT ts, v FROM points WHERE stream_id = ? AND ts < ? ORDER BY ts DESC LIMIT 1",
        (stream_id, ts),
    )
    return (rows[0][0], rows[0][1]) if rows else None


def point_after(conn: Connection, stream_id: int, ts: int) -> Point | None:
    """The stored point just after ts."""
    rows = raw.rows(
        conn, "SELECT ts, v FROM points WHERE stream_id = ? AND ts > ? ORDER BY ts LIMIT 1", (stream_id, ts)
    )
    return (rows[0][0], rows[0][1]) if rows else None


def insert_points(conn: Connection, rows: Sequence[tuple[int, int, int]]) -> None:
    """Insert (stream_id, ts, v) rows known not to be stored yet."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        driver = conn.connection.driver_connection
        with (
            driver.cursor() as cur,  # type: ignore[union-attr]
            cur.copy(  # type: ignore[union-attr]
                "COPY points (stream_id, ts, v) FROM STDIN (FORMAT BINARY)"
            ) as copy,
        ):
            copy.set_types(["int4", "int8", "int8"])
            for row in rows:
                copy.write_row(row)
        return
    raw.many(conn, "INSERT INTO points (stream_id, ts, v) VALUES (?, ?, ?)", rows)


def stored_aggregates(conn: Connection, stream_id: int, keys: Iterable[BucketKey]) -> dict[BucketKey, Agg]:
    """The stored rows for the given (level, bucket) keys of one stream."""
    wanted = set(keys)
    if not wanted:
        return {}
    # `level IN (..) AND bucket IN (..)` walks the key (and may find a few rows more, dropped
    # below); an OR of (level, bucket) pairs would scan the whole stream.
    levels = ",".join(str(int(level)) for level in {level for level, _ in wanted})
    buckets = ",".join(str(int(bucket)) for bucket in {bucket for _, bucket in wanted})
    sql = (
        f"SELECT level, bucket, {_AGG_COLUMNS} FROM aggregates WHERE stream_id = {int(stream_id)} "
        f"AND level IN ({levels}) AND bucket IN ({buckets})"
    )
    found = {(r[0], r[1]): Agg(*r[2:]) for r in raw.rows(conn, sql)}
    return {key: agg for key, agg in found.items() if key in wanted}


def aggregates_between(conn: Connection, stream_id: int, level: int, lo: int, hi: int) -> dict[int, Agg]:
    """Rows of one level with lo <= bucket < hi."""
    sql = f"SELECT bucket, {_AGG_COLUMNS} FROM aggregates WHERE stream_id = ? AND level = ? AND bucket >= ? AND bucket < ?"
    return {r[0]: Agg(*r[1:]) for r in raw.rows(conn, sql, (stream_id, level, lo, hi))}


def delete_aggregates(conn: Connection, stream_id: int, levels: Sequence[int], lo: int, hi: int) -> None:
    """Remove rows of the given levels with lo <= bucket < hi, to be written anew."""
    marks = ",".join(str(int(level)) for level in levels)
    raw.rows(
        conn,
        f"DELETE FROM aggregates WHERE stream_id = ? AND level IN ({marks}) AND bucket >= ? AND bucket < ?",
        (stream_id, lo, hi),
    )


def upsert_aggregates(conn: Connection, rows: Sequence[tuple[int, BucketKey, Agg]]) -> None:
    """Write (stream_id, (level, bucket), agg) rows, replacing what was there."""
    if not rows:
        return
    params = [(sid, level, bucket, *agg) for sid, (level, bucket), agg in rows]
    cols = "stream_id, level, bucket, " + _AGG_COLUMNS
    updates = ", ".join(f"{c} = excluded.{c}" for c in _AGG_COLUMNS.split(", "))
    sql = (
        f"INSERT INTO aggregates ({cols}) VALUES ({', '.join(['?'] * 12)}) "
        f"ON CONFLICT (stream_id, level, bucket) DO UPDATE SET {updates}"
    )
    raw.many(conn, sql, params)
