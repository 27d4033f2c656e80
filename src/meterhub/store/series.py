"""Reading points and aggregates back: pages of timestamps, values at instants, bucket rows."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Sequence

from sqlalchemy import Connection

from meterhub.core.buckets import FAR_FUTURE, FAR_PAST, QUARTER, QUARTER_MS
from meterhub.store import raw


def _ids(stream_ids: Sequence[int]) -> str:
    return ",".join(str(int(i)) for i in stream_ids) or "NULL"


def timestamps(
    conn: Connection,
    stream_ids: Sequence[int],
    lo: int,
    hi: int,
    *,
    descending: bool,
    limit: int,
    offset: int,
) -> list[tuple[int, int]]:
    """(stream_id, ts) of a page of points of the streams with lo <= ts <= hi, in time order."""
    order = "DESC" if descending else "ASC"
    # One query per stream walks the (stream_id, ts) key in order; a single query over several
    # streams would sort all their points before taking the page.
    per_stream = [
        [
            (int(sid), r[0])
            for r in conn.exec_driver_sql(
                f"SELECT ts FROM points WHERE stream_id = {int(sid)} AND ts >= {int(lo)} AND ts <= {int(hi)} "
                f"ORDER BY ts {order} LIMIT {int(limit) + int(offset)}"
            )
        ]
        for sid in stream_ids
    ]
    merged = heapq.merge(*per_stream, key=lambda row: (row[1], row[0]), reverse=descending)
    return list(itertools.islice(merged, offset, offset + limit))


def values_at(
    conn: Connection, stream_ids: Sequence[int], instants: Sequence[int]
) -> dict[tuple[int, int], int]:
    """(stream_id, ts) -> value for the streams' points at exactly those instants."""
    if not instants:
        return {}
    rows = conn.exec_driver_sql(
        f"SELECT stream_id, ts, v FROM points WHERE stream_id IN ({_ids(stream_ids)}) "
        f"AND ts IN ({_ids(sorted(set(instants)))})"
    )
    return {(r[0], r[1]): r[2] for r in rows}


def last_at_or_before(conn: Connection, stream_ids: Sequence[int], ts: int) -> tuple[int, int, int] | None:
    """(stream_id, ts, value) of the latest point of the streams not after ts."""
    best: tuple[int, int, int] | None = None
    for sid in stream_ids:
        row = conn.exec_driver_sql(
            f"SELECT ts, v FROM points WHERE stream_id = {int(sid)} AND ts <= {int(ts)} ORDER BY ts DESC LIMIT 1"
        ).first()
        if row is not None and (best is None or row[0] > best[1]):
            best = (sid, row[0], row[1])
    return best


def points_between(
    conn: Connection, stream_ids: Sequence[int], lo: int, hi: int
) -> list[tuple[int, int, int]]:
    """(stream_id, ts, v) of the streams' points with lo <= ts <= hi, in time order."""
    rows = conn.exec_driver_sql(
        f"SELECT stream_id, ts, v FROM points WHERE stream_id IN ({_ids(stream_ids)}) "
        f"AND ts >= {int(lo)} AND ts <= {int(hi)} ORDER BY ts, stream_id"
    )
    return [(r[0], r[1], r[2]) for r in rows]


def count(conn: Connection, stream_ids: Sequence[int], lo: int, hi: int) -> int:
    """How many points the streams have with lo <= ts <= hi, mostly from quarter counts."""
    if not stream_ids:
        return 0
    ids = _ids(stream_ids)
    if lo <= FAR_PAST and hi >= FAR_FUTURE:
        row = conn.exec_driver_sql(f"SELECT COALESCE(SUM(n), 0) FROM stream_state WHERE stream_id IN ({ids})")
        return int(row.scalar_one())
    inner_lo = -(-lo // QUARTER_MS) * QUARTER_MS
    inner_hi = ((hi + 1) // QUARTER_MS) * QUARTER_MS
    if inner_lo >= inner_hi:
        return _exact_count(conn, ids, lo, hi)
    whole = conn.exec_driver_sql(
        f"SELECT COALESCE(SUM(n), 0) FROM aggregates WHERE stream_id IN ({ids}) AND level = {QUARTER} "
        f"AND bucket >= {inner_lo} AND bucket < {inner_hi}"
    ).scalar_one()
    return int(whole) + _exact_count(conn, ids, lo, inner_lo - 1) + _exact_count(conn, ids, inner_hi, hi)


def _exact_count(conn: Connection, ids: str, lo: int, hi: int) -> int:
    if lo > hi:
        return 0
    return int(
        conn.exec_driver_sql(
            f"SELECT COUNT(*) FROM points WHERE stream_id IN ({ids}) AND ts >= {int(lo)} AND ts <= {int(hi)}"
        ).scalar_one()
    )


def _bucket_rows(stream_ids: Sequence[int], level: int, lo: int, hi: int) -> str:
    """The WHERE clause of the streams' aggregate rows of one level with lo <= bucket <= hi."""
    return f"stream_id IN ({_ids(stream_ids)}) AND level = {int(level)} AND bucket >= {int(lo)} AND bucket <= {int(hi)}"


def _bucket_page(descending: bool, limit: int | None, offset: int) -> str:
    order = "DESC" if descending else "ASC"
    return f" ORDER BY bucket {order}" + (
        f" LIMIT {int(limit)} OFFSET {int(offset)}" if limit is not None else ""
    )


def buckets(
    conn: Connection,
    stream_ids: Sequence[int],
    level: int,
    lo: int,
    hi: int,
    *,
    descending: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[int]:
    """A page of the distinct bucket starts of that level with rows for the streams, lo <= bucket <= hi."""
    sql = f"SELECT DISTINCT bucket FROM aggregates WHERE {_bucket_rows(stream_ids, level, lo, hi)}"
    return [r[0] for r in raw.rows(conn, sql + _bucket_page(descending, limit, offset))]


def count_buckets(conn: Connection, stream_ids: Sequence[int], level: int, lo: int, hi: int) -> int:
    """How many distinct buckets of that level the streams have rows in."""
    sql = f"SELECT COUNT(DISTINCT bucket) FROM aggregates WHERE {_bucket_rows(stream_ids, level, lo, hi)}"
    return int(raw.rows(conn, sql)[0][0])


def delta_sums(
    conn: Connection,
    groups: Sequence[Sequence[int]],
    level: int,
    lo: int,
    hi: int,
    *,
    descending: bool = False,
    limit: int | None = None,
    offset: int = 0,
    estimated: bool = False,
) -> list[tuple[int, list[int], list[int]]]:
    """A page of (bucket, [sum of delta over each group of streams], [the estimated part of each, if
    asked for]) of that level, lo <= bucket <= hi.

    Summed by the database: a month of hours over every register is thousands of rows, and
    Python should only see one row per hour.
    """
    every = [sid for group in groups for sid in group]
    sums = ", ".join(
        f"SUM(CASE WHEN stream_id IN ({_ids(group)}) THEN {column} ELSE 0 END)"
        for column in ("delta", "estimated")[: 2 if estimated else 1]
        for group in groups
    )
    sql = f"SELECT bucket, {sums} FROM aggregates WHERE {_bucket_rows(every, level, lo, hi)} GROUP BY bucket"
    n = len(groups)
    return [
        (r[0], [int(v or 0) for v in r[1 : n + 1]], [int(v or 0) for v in r[n + 1 :]])
        for r in raw.rows(conn, sql + _bucket_page(descending, limit, offset))
    ]


def first_points(
    conn: Connection, stream_ids: Sequence[int], level: int, lo: int, hi: int
) -> list[tuple[int, int, int, int]]:
    """(stream_id, bucket, first ts, first value) of buckets of that level with points, lo <= bucket <= hi."""
    return raw.rows(
        conn,
        "SELECT stream_id, bucket, first_ts, first_v FROM aggregates "
        f"WHERE {_bucket_rows(stream_ids, level, lo, hi)} AND n > 0",
    )


def periods(
    conn: Connection,
    stream_ids: Sequence[int],
    period_ms: int,
    lo: int,
    hi: int,
    *,
    descending: bool,
    limit: int,
    offset: int,
) -> list[int]:
    """A page of the distinct period numbers (ts // period_ms) the streams have points in."""
    order = "DESC" if descending else "ASC"
    rows = conn.exec_driver_sql(
        f"SELECT DISTINCT ts / {int(period_ms)} AS p FROM points WHERE stream_id IN ({_ids(stream_ids)}) "
        f"AND ts >= {int(lo)} AND ts <= {int(hi)} ORDER BY p {order} LIMIT {int(limit)} OFFSET {int(offset)}"
    )
    return [int(r[0]) for r in rows]


def count_periods(conn: Connection, stream_ids: Sequence[int], period_ms: int, lo: int, hi: int) -> int:
    """How many distinct periods (ts // period_ms) the streams have points in."""
    return int(
        conn.exec_driver_sql(
            f"SELECT COUNT(DISTINCT ts / {int(period_ms)}) FROM points WHERE stream_id IN ({_ids(stream_ids)}) "
            f"AND ts >= {int(lo)} AND ts <= {int(hi)}"
        ).scalar_one()
    )


def quarter_spans(
    conn: Connection,
    anchors: Sequence[int],
    counters: Sequence[int],
    lo: int,
    hi: int,
    *,
    by_rate: bool = False,
    descending: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[int, list[tuple[int, int, int, int]]]:
    """How many quarters with lo <= start <= hi hold two readings or more, and a page of them as
    (start, first reading's ts, last reading's ts, the counters' growth between). A reading is a
    point of an anchor stream (one every reading has, and one of the counters); `counters` are the
    streams whose growth counts.

    A quarter's readings are those from its start up to and including its end (the next quarter's
    first reading when it falls on that instant), and it counts once a reading at or after its end
    exists: a quarter still under way has none. Ordered by start, or by growth per millisecond
    between its first and last reading (`by_rate`).
    """
    if not anchors:
        return 0, []
    until = conn.exec_driver_sql(
        f"SELECT COALESCE(MAX(last_ts), {FAR_PAST}) FROM stream_state WHERE stream_id IN ({_ids(anchors)})"
    ).scalar_one()
    # From the anchors' quarter rows: two readings, or one and the next quarter's on its end.
    ended = (
        f"FROM aggregates a WHERE a.stream_id IN ({_ids(anchors)}) AND a.level = {QUARTER} "
        f"AND a.bucket >= {int(lo)} AND a.bucket <= {int(hi)} AND a.bucket + {QUARTER_MS} <= {int(until)} "
        f"AND (a.n >= 2 OR EXISTS (SELECT 1 FROM aggregates b WHERE b.stream_id = a.stream_id "
        f"AND b.level = a.level AND b.bucket = a.bucket + {QUARTER_MS} AND b.first_ts = b.bucket))"
    )
    total = int(raw.rows(conn, f"SELECT COUNT(DISTINCT a.bucket) {ended}")[0][0])
    order = "DESC" if descending else "ASC"
    page = f" LIMIT {int(limit)} OFFSET {int(offset)}" if limit is not None else ""
    if by_rate:
        first, last, key = lo, hi, f"growth * 1.0 / (last_ts - first_ts) {order}, bucket {order}"
    else:
        # The page's starts first (a walk of the anchors' index): its spans are those of the
        # quarters from its first start to its last, which are exactly the page.
        starts = [
            r[0] for r in raw.rows(conn, f"SELECT DISTINCT a.bucket {ended} ORDER BY a.bucket {order}{page}")
        ]
        if not starts:
            return total, []
        first, last, key, page = min(starts), max(starts), f"bucket {order}", ""
    spans = _spans(anchors, counters, int(first), int(last), int(until))
    found = raw.rows(
        conn, f"SELECT bucket, first_ts, last_ts, growth FROM ({spans}) AS spans ORDER BY {key}{page}"
    )
    return total, [(r[0], r[1], r[2], int(r[3])) for r in found]


def _spans(anchors: Sequence[int], counters: Sequence[int], first: int, last: int, until: int) -> str:
    """SQL for the ended quarters starting in [first, last], as (bucket, first_ts, last_ts, growth).

    The counters' quarter rows in the range are one walk of their index; picking the quarters
    first (a list of buckets) would cost a seek per quarter and stream on top (a third more for a
    month). LEAD instead of the join on the next bucket is slower still on SQLite."""
    return (
        "SELECT a.bucket AS bucket, MIN(a.first_ts) AS first_ts, MAX(COALESCE(b.first_ts, a.last_ts)) AS last_ts, "
        "SUM(COALESCE(b.first_v, a.last_v) - a.first_v) AS growth "
        # The next quarter's first reading, when it is on this one's end, is this one's last.
        "FROM aggregates a LEFT JOIN aggregates b ON b.stream_id = a.stream_id AND b.level = a.level "
        f"AND b.bucket = a.bucket + {QUARTER_MS} AND b.first_ts = b.bucket "
        f"WHERE a.stream_id IN ({_ids(counters)}) AND a.level = {QUARTER} AND a.bucket >= {first} "
        f"AND a.bucket <= {last} AND a.bucket + {QUARTER_MS} <= {until} GROUP BY a.bucket "
        f"HAVING MAX(CASE WHEN a.stream_id IN ({_ids(anchors)}) AND (a.n >= 2 OR b.first_ts IS NOT NULL) "
        "THEN 1 ELSE 0 END) = 1"
    )
