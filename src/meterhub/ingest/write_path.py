"""The one write path: every way in ends here, to store points once and keep aggregates current.

A batch is a list of (stream_id, ts_ms, value) rows, values as integers in the stream's units.
Writing a point that is already stored with the same value is a no-op (a retried telegram,
an MQTT redelivery); a different value for a stored (stream, ts) is a clash, reported and not
written, unless the batch asks for its points to move on to the stream's next free millisecond. Aggregates are brought up to date in the same transaction: by merging when a batch
only appends to a stream (the common case, cheap), by recomputing the touched buckets from the
stored points when it goes back in time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import cast

from sqlalchemy import Connection

from meterhub.core import aggregate
from meterhub.core.aggregate import Point
from meterhub.core.buckets import HOUR_MS, QUARTER, QUARTER_MS, quarter_ending, quarter_of
from meterhub.core.datatypes import Value
from meterhub.store import rebuild, writes
from meterhub.store.writes import StreamMeta, StreamState

PointRow = tuple[int, int, Value]  # (stream_id, ts_ms, value: an integer in its decimals, a float or text)
# One stream's point, of any family: (ts_ms, value). core.aggregate's Point is a number's.
StreamPoint = tuple[int, Value]

# How far a point of a batch that moves on when its millisecond is taken may go.
LATER_MS = 10_000
# Late points further apart than this are checked and rebuilt as separate runs.
RUN_GAP_MS = HOUR_MS


@dataclass(frozen=True)
class Clash:
    stream_id: int
    ts: int
    stored: Value
    offered: Value


@dataclass
class BatchOutcome:
    stored: int = 0
    duplicates: int = 0
    clashes: list[Clash] = field(default_factory=list)
    # Points of a moving batch that went to a later millisecond: (stream, offered ts, ts).
    moved: list[tuple[int, int, int]] = field(default_factory=list)


def write_batches(
    conn: Connection,
    batches: Sequence[Sequence[PointRow]],
    meta: Mapping[int, StreamMeta],
    fresh: list[PointRow] | None = None,
    moving: Sequence[bool] = (),
) -> list[BatchOutcome]:
    """Store the batches' points in one transaction (the caller's) and update aggregates.

    `fresh`, when given, receives the points that were not stored before (for the live feed).
    A batch marked in `moving` has each point whose millisecond holds another value (stored, or
    of a batch before it) moved on to the first one that is free or holds the same value, so that
    a point sent again is found where it went; at most LATER_MS on, or it is a clash.
    """
    outcomes = [BatchOutcome() for _ in batches]
    per_stream: dict[int, dict[int, Value]] = {}
    states: dict[int, StreamState] | None = None
    if any(moving):
        # Where points move to depends on the stored ones: the states first (locked as below).
        states = writes.lock_states(conn, sorted({sid for batch in batches for sid, _, _ in batch}))
        batches = _moved(conn, batches, moving, meta, states, outcomes)
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

    if states is None:
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
                agg_rows.setdefault(family, []).extend(_appended(sid, info, _numbers(points), previous))
            unwritten = points
        else:
            runs = _late(conn, sid, info, points, batches, outcomes, fresh)
            if not runs:
                continue
            points, unwritten = [p for run in runs for p in run], runs[-1]
        new_rows.setdefault(family, []).extend((sid, ts, v) for ts, v in unwritten)
        states[sid] = _advance(state, points, family)
    for family, rows in new_rows.items():
        writes.insert_points(conn, rows, family)
        if fresh is not None:
            fresh.extend(rows)
    for family, aggs in agg_rows.items():
        writes.merge_aggregates(conn, aggs, family)
    writes.save_states(conn, {sid: states[sid] for sid in per_stream if sid in states})
    _count_stored(batches, outcomes)
    return outcomes


def _moved(
    conn: Connection,
    batches: Sequence[Sequence[PointRow]],
    moving: Sequence[bool],
    meta: Mapping[int, StreamMeta],
    states: Mapping[int, StreamState],
    outcomes: list[BatchOutcome],
) -> list[Sequence[PointRow]]:
    """The batches with the points of moving ones moved past the milliseconds held by other values.

    A point after its stream's newest stored one stays put without a look at the stored points
    (the common case), unless a batch before it in this transaction offered another value there.
    """
    offered: dict[int, dict[int, Value]] = {}  # stream -> ms -> the value first offered for it
    stored: dict[int, _StoredNear] = {}
    out: list[Sequence[PointRow]] = []
    for bi, batch in enumerate(batches):
        if bi >= len(moving) or not moving[bi]:
            out.append(batch)
            for sid, ts, v in batch:
                offered.setdefault(sid, {}).setdefault(ts, v)
            continue
        rows: list[PointRow] = []
        for sid, ts, v in batch:
            here = offered.setdefault(sid, {})
            near = stored.get(sid)
            if near is None:
                state = states.get(sid)
                near = stored[sid] = _StoredNear(
                    conn, sid, meta[sid].family, state.last_ts if state else None
                )
            if _held_by_other(near, here, ts, v):
                to = next(
                    (t for t in range(ts + 1, ts + LATER_MS + 1) if not _held_by_other(near, here, t, v)), ts
                )
                if to != ts:
                    outcomes[bi].moved.append((sid, ts, to))
                    ts = to
            here.setdefault(ts, v)
            rows.append((sid, ts, v))
        out.append(rows)
    return out


def _held_by_other(near: _StoredNear, offered: Mapping[int, Value], ts: int, v: Value) -> bool:
    """Whether the millisecond holds another value than v: stored, or offered by a batch before."""
    have = near.at(ts)
    if have is None:
        have = offered.get(ts)
    return have is not None and have != v


class _StoredNear:
    """One stream's stored values near the points being moved, read as far as they are looked at
    (nothing is stored after the stream's newest point)."""

    def __init__(self, conn: Connection, sid: int, family: str, newest: int | None) -> None:
        self._conn, self._sid, self._family, self._newest = conn, sid, family, newest
        self._values: dict[int, Value] = {}
        self._span: tuple[int, int] | None = None  # the milliseconds read
        self._ahead = 64  # how far on to read next, doubled each time

    def at(self, ts: int) -> Value | None:
        """The value stored at ts, if any."""
        if self._newest is None or ts > self._newest:
            return None
        if self._span is None:
            self._read(ts, ts + self._ahead)
        elif ts < self._span[0]:
            self._read(ts, self._span[0] - 1)
        elif ts > self._span[1]:
            self._read(self._span[1] + 1, ts + self._ahead)
        return self._values.get(ts)

    def _read(self, lo: int, hi: int) -> None:
        assert self._newest is not None
        hi = min(hi, self._newest)
        self._values.update(writes.stored_points(self._conn, self._sid, lo, hi, self._family))
        self._span = (lo, hi) if self._span is None else (min(lo, self._span[0]), max(hi, self._span[1]))
        self._ahead *= 2


def _late(
    conn: Connection,
    sid: int,
    info: StreamMeta,
    points: list[StreamPoint],
    batches: Sequence[Sequence[PointRow]],
    outcomes: list[BatchOutcome],
    fresh: list[PointRow] | None,
) -> list[list[StreamPoint]]:
    """Points that go back in time, in runs without long gaps, each checked against the stored points
    and its buckets rebuilt on its own: what a run costs is its neighbourhood, never the years
    between it and another. The runs that are new are returned; all but the last are inserted
    already, since the next run's figures are computed from the stored points."""
    runs: list[list[StreamPoint]] = []
    for run in _runs(points):
        stored = dict(writes.stored_points(conn, sid, run[0][0], run[-1][0], info.family))
        run = _drop_stored(sid, run, stored, batches, outcomes)
        if run:
            runs.append(run)
    for i, run in enumerate(runs):
        if i:
            writes.insert_points(conn, [(sid, ts, v) for ts, v in runs[i - 1]], info.family)
            if fresh is not None:
                fresh.extend((sid, ts, v) for ts, v in runs[i - 1])
        if info.family in writes.AGGREGATES:
            following = _numbers(runs[i + 1])[0] if i + 1 < len(runs) else None
            _recompute(conn, sid, info, _numbers(run), following)
    return runs


def _runs(points: list[StreamPoint]) -> list[list[StreamPoint]]:
    """Time-ordered points cut where two follow each other more than RUN_GAP_MS apart."""
    runs = [[points[0]]]
    for before, point in pairwise(points):
        if point[0] - before[0] > RUN_GAP_MS:
            runs.append([])
        runs[-1].append(point)
    return runs


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
    points: list[StreamPoint],
    stored: Mapping[int, Value],
    batches: Sequence[Sequence[PointRow]],
    outcomes: list[BatchOutcome],
) -> list[StreamPoint]:
    """The points not among the stored ones; each stored one is charged as duplicate or clash."""
    if not stored:
        return points
    fresh: list[StreamPoint] = []
    seen: dict[int, Value] = {}
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


def _recompute(
    conn: Connection, sid: int, info: StreamMeta, points: Sequence[Point], following: Point | None
) -> None:
    """Rebuild every bucket whose figures change when `points` join the stored ones: a counter's from
    the stored reading before them (its step to the first is cut in two) to the one after them, or
    `following` (the next run's first point) where that comes first."""
    lo, last_q = quarter_of(points[0][0]), quarter_of(points[-1][0])
    if info.counter:
        before = writes.point_before(conn, sid, points[0][0], info.family)
        after = writes.point_after(conn, sid, points[-1][0], info.family)
        if following is not None and (after is None or following[0] < after[0]):
            after = following
        if before is not None:
            lo = quarter_of(before[0])
        if after is not None:
            last_q = quarter_ending(after[0])
    rebuild.rebuild(conn, info, lo, last_q + QUARTER_MS, points, following)


def _advance(state: StreamState | None, points: Sequence[StreamPoint], family: str) -> StreamState:
    first: tuple[int, Value | None] = points[0]
    last: tuple[int, Value | None] = points[-1]
    if state is not None and first[0] > state.first_ts:
        first = (state.first_ts, state.first_v)
    if state is not None and last[0] < state.last_ts:
        last = (state.last_ts, state.last_v)
    # Only integer values fit the state's columns; other streams' values stay with their points.
    keep = family == "int"
    return StreamState(
        (state.n if state else 0) + len(points),
        first[0],
        first[1] if keep and isinstance(first[1], int) else None,
        last[0],
        last[1] if keep and isinstance(last[1], int) else None,
    )


def _count_stored(batches: Sequence[Sequence[PointRow]], outcomes: list[BatchOutcome]) -> None:
    for batch, outcome in zip(batches, outcomes, strict=True):
        outcome.stored = len(batch) - outcome.duplicates - len(outcome.clashes)


def _numbers(points: list[StreamPoint]) -> list[Point]:
    """The points of a stream whose buckets are kept (a family of writes.AGGREGATES): numbers, as
    core.aggregate takes them (its Point, integers; floats for double streams). Not copied: the
    write path's points are many."""
    return cast("list[Point]", points)
