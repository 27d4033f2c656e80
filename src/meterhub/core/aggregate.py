"""Bucket aggregates of one datastream, computed from its points and merged as points arrive.

Points are (ts_ms, value) with integer values. A counter contributes, per bucket, the sum of its
steps (value minus the previous value) that end in the bucket; a step below zero is a reset or
a replaced meter and contributes nothing, so totals never go negative. Every stream also keeps
count, sum, min, max, first and last per bucket, from which means and meter positions follow.

Counters are kept per quarter, local hour and local day (the statistics every face asks for);
gauges (power, voltage, temperature) per quarter only, since their hours and days are a handful
of quarters to combine when asked, and a telegram carries three times as many gauges as counters.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from meterhub.core.buckets import DAY, HOUR, QUARTER, bucket_of, quarter_ending, quarter_of

Point = tuple[int, int]


class Agg(NamedTuple):
    """One bucket of one stream (a tuple: the write path makes millions of them)."""

    n: int = 0
    sum_v: int = 0
    min_v: int | None = None
    max_v: int | None = None
    first_ts: int | None = None
    first_v: int | None = None
    last_ts: int | None = None
    last_v: int | None = None
    delta: int = 0

    def then(self, later: Agg) -> Agg:
        """This aggregate followed by one over later points (or later steps) of the same bucket."""
        # Unpacked, not read by name: this runs for every point of every stream.
        n1, s1, lo1, hi1, fts, fv, _, _, d1 = self
        n2, s2, lo2, hi2, _, _, lts, lv, d2 = later
        if n2 == 0:
            return self._replace(delta=d1 + d2)
        if n1 == 0:
            return later._replace(delta=d1 + d2)
        assert lo1 is not None and lo2 is not None and hi1 is not None and hi2 is not None
        return Agg(
            n1 + n2, s1 + s2, lo1 if lo1 < lo2 else lo2, hi1 if hi1 > hi2 else hi2, fts, fv, lts, lv, d1 + d2
        )


BucketKey = tuple[int, int]  # (level, bucket start ms)


def quarters(points: Sequence[Point], *, previous: Point | None, counter: bool) -> dict[int, Agg]:
    """Quarter aggregates of time-ordered points; `previous` is the stored point just before them."""
    out: dict[int, list[int | None]] = {}
    prev_v = previous[1] if previous is not None else None
    for ts, v in points:
        q = ts - ts % 900_000
        row = out.get(q)
        if row is None:
            out[q] = [1, v, v, v, ts, v, ts, v, 0]
        elif row[0] == 0:  # so far only a step that ended exactly at this quarter's start
            row[:8] = [1, v, v, v, ts, v, ts, v]
        else:
            row[0] += 1  # type: ignore[operator]
            row[1] += v  # type: ignore[operator]
            if v < row[2]:  # type: ignore[operator]
                row[2] = v
            if v > row[3]:  # type: ignore[operator]
                row[3] = v
            row[6] = ts
            row[7] = v
        if counter and prev_v is not None and v > prev_v:
            qe = quarter_ending(ts)
            target = out.get(qe)
            if target is None:
                out[qe] = target = [0, 0, None, None, None, None, None, None, 0]
            target[8] += v - prev_v  # type: ignore[operator]
        prev_v = v
    return {q: Agg(*row) for q, row in out.items()}  # type: ignore[arg-type]


def combine(children: dict[int, Agg], level: int, tz: str) -> dict[int, Agg]:
    """Aggregates of finer buckets (quarters, or hours) added up into buckets of the given level."""
    out: dict[int, Agg] = {}
    for start in sorted(children):
        key = bucket_of(level, tz, start)
        have = out.get(key)
        out[key] = children[start] if have is None else have.then(children[start])
    return out


def roll_up(quarter_aggs: dict[int, Agg], tz: str) -> dict[BucketKey, Agg]:
    """Quarter aggregates plus the local hours and days they add up to."""
    # `then` is associative, so hours and days add up straight from the quarters in time order.
    out: dict[BucketKey, Agg] = {}
    for q in sorted(quarter_aggs):
        agg = quarter_aggs[q]
        for key in keys_holding(q, tz):
            have = out.get(key)
            out[key] = agg if have is None else have.then(agg)
    return out


def quarter_span(first_ts: int, last_ts: int) -> tuple[int, int]:
    """The quarters whose rows change when points from first_ts to last_ts (inclusive) change."""
    return min(quarter_ending(first_ts), quarter_of(first_ts)), quarter_of(last_ts)


def one_point(point: Point, *, previous: Point | None, counter: bool, tz: str) -> list[tuple[BucketKey, Agg]]:
    """The bucket rows a single appended point adds, to be merged into the stored ones with
    `then` (the hot path of a meter sending one reading at a time: no dictionaries built)."""
    ts, v = point
    own = Agg(1, v, v, v, ts, v, ts, v, 0)
    holding = keys_holding(ts, tz)
    if not counter:
        return [(holding[0], own)]
    if previous is None or v <= previous[1]:
        return [(key, own) for key in holding]
    step = v - previous[1]
    closing = keys_holding(ts - 1, tz)
    if closing == holding:
        return [(key, own._replace(delta=step)) for key in holding]
    return [(key, own) for key in holding] + [(key, Agg(delta=step)) for key in closing]


@lru_cache(maxsize=4096)
def keys_holding(ts_ms: int, tz: str) -> tuple[BucketKey, BucketKey, BucketKey]:
    """The quarter, local hour and local day that hold the instant."""
    q = quarter_of(ts_ms)
    return (QUARTER, q), (HOUR, bucket_of(HOUR, tz, q)), (DAY, bucket_of(DAY, tz, q))


__all__ = ["QUARTER", "Agg", "BucketKey", "Point", "keys_holding", "one_point", "quarters", "roll_up"]
