"""Bucket aggregates of one datastream, computed from its points and merged as points arrive.

Points are (ts_ms, value) with integer values (or floats, for `double` streams). A counter's step
(value minus the previous value) is the energy used between the two readings: it is spread over
the quarters the time between them spans, pro rata by time, so that a datalogger's outage puts
its energy in the hours it was used and not in the first one after it. A step over more than an
hour is an estimate, and its shares are counted in `estimated` too. A step below zero is a reset
or a replaced meter and contributes nothing, so totals never go negative. Every stream also keeps
count, sum, min, max, first and last per bucket, from which means and meter positions follow.

Counters are kept per quarter, local hour and local day (the statistics every face asks for);
gauges (power, voltage, temperature) per quarter only, since their hours and days are a handful
of quarters to combine when asked, and a telegram carries three times as many gauges as counters.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from meterhub.core.buckets import (
    DAY,
    HOUR,
    HOUR_MS,
    QUARTER,
    QUARTER_MS,
    bucket_of,
    quarter_ending,
    quarter_of,
)

Point = tuple[int, int]

# A step over more than this is an outage's, spread by time but not measured: estimated.
ESTIMATE_AFTER_MS = HOUR_MS
# A step over more than this (a meter clock that said 2000-01-01) is spread over its last four years.
SPREAD_AT_MOST_MS = 4 * 365 * 24 * HOUR_MS


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
    estimated: int = 0  # the part of delta spread from steps over ESTIMATE_AFTER_MS

    def then(self, later: Agg) -> Agg:
        """This aggregate followed by one over later points (or later steps) of the same bucket."""
        # Unpacked, not read by name: this runs for every point of every stream.
        n1, s1, lo1, hi1, fts, fv, _, _, d1, e1 = self
        n2, s2, lo2, hi2, _, _, lts, lv, d2, e2 = later
        if n2 == 0:
            return self._replace(delta=d1 + d2, estimated=e1 + e2)
        if n1 == 0:
            return later._replace(delta=d1 + d2, estimated=e1 + e2)
        assert lo1 is not None and lo2 is not None and hi1 is not None and hi2 is not None
        return Agg(
            n1 + n2,
            s1 + s2,
            lo1 if lo1 < lo2 else lo2,
            hi1 if hi1 > hi2 else hi2,
            fts,
            fv,
            lts,
            lv,
            d1 + d2,
            e1 + e2,
        )


BucketKey = tuple[int, int]  # (level, bucket start ms)


def quarters(points: Sequence[Point], *, previous: Point | None, counter: bool) -> dict[int, Agg]:
    """Quarter aggregates of time-ordered points; `previous` is the stored point just before them."""
    out: dict[int, list[int | None]] = {}
    prev_ts, prev_v = previous if previous is not None else (None, None)
    for ts, v in points:
        q = ts - ts % 900_000
        row = out.get(q)
        if row is None:
            out[q] = [1, v, v, v, ts, v, ts, v, 0, 0]
        elif row[0] == 0:  # so far only steps that passed through it
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
            assert prev_ts is not None
            for qs, share, estimated in spread(prev_ts, ts, v - prev_v):
                target = out.get(qs)
                if target is None:
                    out[qs] = target = [0, 0, None, None, None, None, None, None, 0, 0]
                target[8] += share  # type: ignore[operator]
                target[9] += estimated  # type: ignore[operator]
        prev_ts, prev_v = ts, v
    return {q: Agg(*row) for q, row in out.items()}  # type: ignore[arg-type]


def spread(from_ts: int, to_ts: int, step: int) -> list[tuple[int, int, int]]:
    """(quarter, share, estimated share) of a counter's step between readings at from_ts and to_ts,
    pro rata by the time each quarter holds of the span; the shares add up to the step exactly.

    A reading at a quarter's start closes the quarter before it (see buckets.quarter_ending).
    Integer steps are cut at whole units: a quarter's share is the difference of the running total
    rounded down at its ends, and quarters whose share rounds to nothing get no row (a small step
    over a long outage costs as many rows as it has units, not as many as the outage has quarters).
    """
    estimate = to_ts - from_ts > ESTIMATE_AFTER_MS
    from_ts = max(from_ts, to_ts - SPREAD_AT_MOST_MS)
    first, last = quarter_of(from_ts), quarter_ending(to_ts)
    if first == last:
        return [(first, step, step if estimate else 0)]
    span = to_ts - from_ts
    if isinstance(step, int) and step <= (last - first) // QUARTER_MS:
        # Unit k is used by the instant from_ts + k/step of the span, rounded up to a millisecond.
        shares: dict[int, int] = {}
        for k in range(1, step + 1):
            q = quarter_of(from_ts - (-k * span // step) - 1)
            shares[q] = shares.get(q, 0) + 1
        return [(q, share, share if estimate else 0) for q, share in shares.items()]
    out: list[tuple[int, int, int]] = []
    done = 0
    for q in range(first, last + QUARTER_MS, QUARTER_MS):
        end = q + QUARTER_MS
        if end >= to_ts:
            upto = step
        else:
            upto = step * (end - from_ts) // span if isinstance(step, int) else step * (end - from_ts) / span
        if upto != done:
            out.append((q, upto - done, upto - done if estimate else 0))
            done = upto
    return out


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
    if quarter_of(previous[0]) != quarter_of(ts - 1):  # the step spans quarters: spread it
        return list(roll_up(quarters([point], previous=previous, counter=True), tz).items())
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


__all__ = [
    "QUARTER",
    "Agg",
    "BucketKey",
    "Point",
    "keys_holding",
    "one_point",
    "quarters",
    "roll_up",
    "spread",
]
