"""The one write path: every way in ends here, to store points once and keep aggregates current.

A batch is a list of (stream_id, ts_ms, value) rows, values as integers in the stream's units.
Writing a point that is already stored with the same value is a no-op (a retried telegram,
an MQTT redelivery); a different value for a stored (stream, ts) is a clash, reported and not
written. Aggregates are brought up to date in the same transaction: by merging when a batch
only appends to a stream (the common case, cheap), by recomputing the touched buckets from the
stored points when it goes back in time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Connection

from meterhub.core import aggregate
from meterhub.core.aggregate import Point
from meterhub.core.buckets import DAY, HOUR, HOUR_MS, QUARTER, QUARTER_MS, bucket_of, day_of, day_start_ms
from meterhub.store import writes
from meterhub.store.writes import StreamMeta, StreamState

PointRow = tuple[int, int, int]  # (stream_id, ts_ms, value)


@dataclass(frozen=True)
class Clash:
    stream_id: int
    ts: int
    stored: int
    offered: int


@dataclass
class BatchOutcome:
    stored: int = 0
    duplicates: int = 0
    clashes: list[Clash] = field(default_factory=list)


def write_batches(
    conn: Connection,
    batches: Sequence[Sequence[PointRow]],
    meta: Mapping[int, StreamMeta],
    fresh: list[PointRow] | None = None,
) -> list[BatchOutcome]:
    """Store the batches' points in one transaction (the caller's) and update aggregates.

    `fresh`, when given, receives the points that were not stored before (for the live feed).
    """
    outcomes = [BatchOutcome() for _ in batches]
    per_stream: dict[int, dict[int, int]] = {}
    for bi, batch in enumerate(batches):
        outcome = outcomes[bi]
        for sid, ts, v in batch:
            series = per_stream.get(sid)
            if series is None:
                per_stream[sid] = series = {}
            have = series.get(ts)
            if have is None:
                series[ts] = v
            elif have == v:
                outcome.duplicates += 1
            else:
                outcome.clashes.append(Clash(sid, ts, have, v))
    if not per_stream:
        return outcomes

    states = writes.lock_states(conn, sorted(per_stream))
    new_rows: dict[str, list[PointRow]] = {}
    agg_rows: dict[str, list[tuple[int, aggregate.BucketKey, aggregate.Agg]]] = {}
    for sid, series in per_stream.items():
        info = meta[sid]
        family = info.family
        points = sorted(series.items())
        state = states.get(sid)
        if (
            state is not None
            and points[0][0] == state.last_ts
            and state.last_v is not None
            and (len(points) == 1 or points[1][0] > state.last_ts)
        ):
            # Only the stream's newest point comes again (a retry, or the gas reading every telegram
            # repeats until the next one): known without reading the points back.
            points = _drop_stored(sid, points, {state.last_ts: state.last_v}, batches, outcomes)
            if not points:
                continue
        if state is None or points[0][0] > state.last_ts:
            if family in writes.AGGREGATES:
                previous = _previous(conn, info, state, points[0][0])
                agg_rows.setdefault(family, []).extend(_appended(sid, info, points, previous))
        else:
            stored = dict(writes.stored_points(conn, sid, points[0][0], points[-1][0], family))
            points = _drop_stored(sid, points, stored, batches, outcomes)
            if not points:
                continue
            if family in writes.AGGREGATES:
                _recompute(conn, sid, info, points)
        new_rows.setdefault(family, []).extend((sid, ts, v) for ts, v in points)
        states[sid] = _advance(state, points, family)
    for family, rows in new_rows.items():
        writes.insert_points(conn, rows, family)
        if fresh is not None:
            fresh.extend(rows)
    for family, rows in agg_rows.items():
        writes.merge_aggregates(conn, rows, family)
    writes.save_states(conn, {sid: states[sid] for sid in per_stream if sid in states})
    _count_stored(batches, outcomes)
    return outcomes


def _previous(conn: Connection, info: StreamMeta, state: StreamState | None, ts: int) -> Point | None:
    """The stored point before appended ones, where their aggregates need it (counters' steps)."""
    if state is None or not info.counter:
        return None
    if state.last_v is not None:
        return state.last_ts, state.last_v
    return writes.point_before(conn, info.stream_id, ts, info.family)


def _appended(
    sid: int, info: StreamMeta, points: Sequence[Point], previous: Point | None
) -> list[tuple[int, aggregate.BucketKey, aggregate.Agg]]:
    """Bucket rows of points that all come after the stream's stored ones, to merge into it."""
    if len(points) == 1:
        rows = aggregate.one_point(points[0], previous=previous, counter=info.counter, tz=info.timezone)
        return [(sid, key, agg) for key, agg in rows]
    quarters = aggregate.quarters(points, previous=previous, counter=info.counter)
    if not info.counter:
        return [(sid, (QUARTER, q), agg) for q, agg in quarters.items()]
    return [(sid, key, agg) for key, agg in aggregate.roll_up(quarters, info.timezone).items()]


def _drop_stored(
    sid: int,
    points: list[Point],
    stored: Mapping[int, int],
    batches: Sequence[Sequence[PointRow]],
    outcomes: list[BatchOutcome],
) -> list[Point]:
    """The points not among the stored ones; each stored one is charged as duplicate or clash."""
    if not stored:
        return points
    fresh: list[Point] = []
    seen: dict[int, int] = {}
    for ts, v in points:
        if ts in stored:
            seen[ts] = stored[ts]
        else:
            fresh.append((ts, v))
    # Charge each already-stored point to the first batch that offered it.
    for bi, batch in enumerate(batches):
        for row_sid, ts, v in batch:
            if row_sid == sid and ts in seen:
                have = seen.pop(ts)
                if have == v:
                    outcomes[bi].duplicates += 1
                else:
                    outcomes[bi].clashes.append(Clash(sid, ts, have, v))
    return fresh


def _recompute(conn: Connection, sid: int, info: StreamMeta, points: Sequence[Point]) -> None:
    """Rebuild every bucket whose figures change when `points` join the stored ones.

    Quarters are recomputed from their points; each hour from its quarters and each day from its
    hours, so a late reading costs a few rows, not a day of points.
    """
    tz, family = info.timezone, info.family
    after = writes.point_after(conn, sid, points[-1][0], family)
    first_q, last_q = aggregate.quarter_span(points[0][0], (after or points[-1])[0])
    lo, hi = first_q, last_q + QUARTER_MS
    # A step ending exactly at `hi` still belongs to the last quarter: read the points up to it.
    merged = dict(writes.stored_points(conn, sid, lo, hi, family))
    merged.update(points)
    previous = writes.point_before(conn, sid, lo, family)
    quarters = aggregate.quarters(sorted(merged.items()), previous=previous, counter=info.counter)
    quarters = {q: a for q, a in quarters.items() if lo <= q < hi}
    writes.delete_aggregates(conn, sid, (QUARTER,), lo, hi, family)
    if not info.counter:  # gauges keep quarters only
        writes.upsert_aggregates(conn, [(sid, (QUARTER, q), a) for q, a in quarters.items()], family)
        return

    touched = {bucket_of(HOUR, tz, q) for q in range(lo, hi, QUARTER_MS)}
    hour_lo, hour_hi = min(touched), max(touched) + 1
    siblings = writes.aggregates_between(conn, sid, QUARTER, hour_lo, hour_hi + HOUR_MS, family)
    siblings = {q: a for q, a in siblings.items() if bucket_of(HOUR, tz, q) in touched and not lo <= q < hi}
    hours = aggregate.combine(siblings | quarters, HOUR, tz)
    day_lo, day_hi = bucket_of(DAY, tz, lo), day_start_ms(tz, day_of(tz, last_q) + timedelta(days=1))
    other_hours = writes.aggregates_between(conn, sid, HOUR, day_lo, day_hi, family)
    days = aggregate.combine({h: a for h, a in other_hours.items() if h not in hours} | hours, DAY, tz)

    writes.delete_aggregates(conn, sid, (HOUR,), hour_lo, hour_hi, family)
    writes.delete_aggregates(conn, sid, (DAY,), day_lo, day_hi, family)
    rows = [(sid, (QUARTER, q), a) for q, a in quarters.items()]
    rows += [(sid, (HOUR, h), a) for h, a in hours.items()]
    rows += [(sid, (DAY, d), a) for d, a in days.items()]
    writes.upsert_aggregates(conn, rows, family)


def _advance(state: StreamState | None, points: Sequence[Point], family: str) -> StreamState:
    first, last = points[0], points[-1]
    if state is not None and first[0] > state.first_ts:
        first = (state.first_ts, state.first_v)
    if state is not None and last[0] < state.last_ts:
        last = (state.last_ts, state.last_v)
    # Only integer values fit the state's columns; other streams' values stay with their points.
    keep = family == "int"
    return StreamState(
        (state.n if state else 0) + len(points),
        first[0],
        first[1] if keep else None,
        last[0],
        last[1] if keep else None,
    )


def _count_stored(batches: Sequence[Sequence[PointRow]], outcomes: list[BatchOutcome]) -> None:
    for batch, outcome in zip(batches, outcomes, strict=True):
        outcome.stored = len(batch) - outcome.duplicates - len(outcome.clashes)
