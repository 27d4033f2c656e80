"""Rebuilding a stream's buckets over a stretch of time from its stored points.

The write path does this when late points change a stretch; the migration that began spreading
counter steps over the quarters they span does it where an outage had put its energy in one quarter.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta

from sqlalchemy import Connection

from meterhub.core import aggregate
from meterhub.core.aggregate import Point
from meterhub.core.buckets import (
    DAY,
    HOUR,
    HOUR_MS,
    QUARTER,
    QUARTER_MS,
    bucket_of,
    day_of,
    day_start_ms,
    quarter_ending,
    quarter_of,
)
from meterhub.store import raw, writes
from meterhub.store.writes import StreamMeta


def rebuild(
    conn: Connection,
    info: StreamMeta,
    lo: int,
    hi: int,
    new: Sequence[Point] = (),
    following: Point | None = None,
) -> None:
    """Rebuild the quarters lo <= q < hi (quarter starts) and the hours and days holding them from the
    stored points and `new` ones (not stored yet, all inside the stretch); `following` is a point
    that will be stored after it (the next run of late points), which ends the stretch's last step.

    Quarters are recomputed from their points; each hour from its quarters and each day from its
    hours, so a late reading costs a few rows, not a day of points.
    """
    sid, tz, family = info.stream_id, info.timezone, info.family
    merged = dict(writes.stored_points(conn, sid, lo, hi - 1, family))
    merged.update(new)
    previous = trailing = None
    if info.counter:
        # The steps into the stretch and out of it put shares in its first and last quarters.
        previous = writes.point_before(conn, sid, lo, family)
        trailing = writes.point_after(conn, sid, hi - 1, family)
        if following is not None:
            if following[0] < hi:
                merged[following[0]] = following[1]
            elif trailing is None or following[0] < trailing[0]:
                trailing = following
    points = sorted(merged.items()) + ([trailing] if trailing is not None else [])
    quarters = aggregate.quarters(points, previous=previous, counter=info.counter)
    quarters = {q: a for q, a in quarters.items() if lo <= q < hi}
    writes.delete_aggregates(conn, sid, (QUARTER,), lo, hi, family)
    if not info.counter:  # gauges keep quarters only
        writes.upsert_aggregates(conn, [(sid, (QUARTER, q), a) for q, a in quarters.items()], family)
        return

    # Every hour from the first quarter's to the last's is rebuilt from its quarters (those with
    # rows: what this costs follows the rows, not the years between the two).
    last_q = hi - QUARTER_MS
    hour_lo, hour_hi = bucket_of(HOUR, tz, lo), bucket_of(HOUR, tz, last_q) + 1
    siblings = writes.aggregates_between(conn, sid, QUARTER, hour_lo, hour_hi + HOUR_MS, family)
    siblings = {
        q: a for q, a in siblings.items() if hour_lo <= bucket_of(HOUR, tz, q) < hour_hi and not lo <= q < hi
    }
    hours = aggregate.combine(siblings | quarters, HOUR, tz)
    day_lo, day_hi = bucket_of(DAY, tz, lo), day_start_ms(tz, day_of(tz, last_q) + timedelta(days=1))
    # The days' other hours: those outside the rebuilt ones (a step spread anew may leave an hour).
    other_hours = writes.aggregates_between(conn, sid, HOUR, day_lo, day_hi, family)
    other_hours = {h: a for h, a in other_hours.items() if not hour_lo <= h < hour_hi}
    days = aggregate.combine(other_hours | hours, DAY, tz)

    writes.delete_aggregates(conn, sid, (HOUR,), hour_lo, hour_hi, family)
    writes.delete_aggregates(conn, sid, (DAY,), day_lo, day_hi, family)
    rows = [(sid, (QUARTER, q), a) for q, a in quarters.items()]
    rows += [(sid, (HOUR, h), a) for h, a in hours.items()]
    rows += [(sid, (DAY, d), a) for d, a in days.items()]
    writes.upsert_aggregates(conn, rows, family)


def spread_outages(conn: Connection) -> int:
    """Spread every counter step stored whole in the quarter it ended in, though it spans others (a
    datalogger's outage), over the quarters it spans; how many such steps there were."""
    ids = [r[0] for r in raw.rows(conn, "SELECT id FROM datastreams WHERE kind = 'counter'")]
    if not ids:
        return 0
    counters = writes.stream_meta(conn, ids)
    found = 0
    for family, table in writes.AGGREGATES.items():
        streams = [sid for sid, info in counters.items() if info.family == family]
        for sid, from_ts, to_ts in _long_steps(conn, table, streams):
            found += 1
            rebuild(conn, counters[sid], quarter_of(from_ts), quarter_ending(to_ts) + QUARTER_MS)
    return found


def _long_steps(conn: Connection, table: str, streams: Sequence[int]) -> Iterator[tuple[int, int, int]]:
    """(stream, from, to) of the steps between consecutive readings more than a quarter apart, found
    from the quarter rows: a reading's quarter and the next one that holds readings."""
    if not streams:
        return
    ids = ",".join(str(int(s)) for s in streams)
    sql = (
        "SELECT stream_id, before_ts, first_ts FROM (SELECT stream_id, first_ts, "
        "LAG(last_ts) OVER (PARTITION BY stream_id ORDER BY bucket) AS before_ts "
        f"FROM {table} WHERE level = {QUARTER} AND n > 0 AND stream_id IN ({ids})) AS steps "
        f"WHERE first_ts - before_ts > {QUARTER_MS}"
    )
    yield from ((int(r[0]), int(r[1]), int(r[2])) for r in raw.rows(conn, sql))


__all__ = ["rebuild", "spread_outages"]
