"""Bucket aggregates: counter deltas, resets, quarter boundaries and local days across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from meterhub.core import aggregate
from meterhub.core.aggregate import SPREAD_AT_MOST_MS, spread
from meterhub.core.buckets import DAY, HOUR, HOUR_MS, QUARTER, QUARTER_MS, day_start_ms, hours_in_day, to_ms

TZ = "Europe/Amsterdam"


def ms(*args: int) -> int:
    return to_ms(datetime(*args, tzinfo=UTC))


def test_counter_steps_belong_to_the_quarter_they_end_in() -> None:
    points = [
        (ms(2026, 1, 5, 10, 14, 50), 1000),
        (ms(2026, 1, 5, 10, 15, 0), 1004),
        (ms(2026, 1, 5, 10, 15, 10), 1010),
    ]
    q = aggregate.quarters(points, previous=None, counter=True)
    assert q[ms(2026, 1, 5, 10, 0)].delta == 4  # the step ending exactly at 10:15 closes 10:00–10:15
    assert q[ms(2026, 1, 5, 10, 15)].delta == 6
    assert q[ms(2026, 1, 5, 10, 15)].n == 2 and q[ms(2026, 1, 5, 10, 0)].n == 1


def test_a_step_across_quarters_is_shared_by_time() -> None:
    # 10:10 to 10:40: 5 minutes of 10:00–10:15, all of 10:15–10:30, 10 minutes of 10:30–10:45.
    shares = spread(ms(2026, 1, 5, 10, 10), ms(2026, 1, 5, 10, 40), 300)
    assert shares == [
        (ms(2026, 1, 5, 10, 0), 50, 0),
        (ms(2026, 1, 5, 10, 15), 150, 0),
        (ms(2026, 1, 5, 10, 30), 100, 0),
    ]


def test_a_step_over_more_than_an_hour_is_estimated() -> None:
    (within,) = spread(ms(2026, 1, 5, 10, 1), ms(2026, 1, 5, 10, 14), 7)
    assert within == (ms(2026, 1, 5, 10, 0), 7, 0)
    hour = spread(ms(2026, 1, 5, 10, 0), ms(2026, 1, 5, 11, 0), 4000)
    assert [e for _, _, e in hour] == [0, 0, 0, 0]
    outage = spread(ms(2026, 1, 5, 10, 0), ms(2026, 1, 5, 11, 0, 1), 4000)
    assert [s for _, s, _ in outage] == [999, 1000, 1000, 999, 2] and all(s == e for _, s, e in outage)


def test_a_small_step_over_a_long_outage_makes_a_row_per_unit() -> None:
    shares = spread(ms(2026, 1, 1), ms(2026, 4, 1), 3)  # 90 days, 8,640 quarters, 3 Wh
    assert [s for _, s, _ in shares] == [1, 1, 1]
    assert [q for q, _, _ in shares] == [ms(2026, 1, 30, 23, 45), ms(2026, 3, 1, 23, 45), ms(2026, 3, 31, 23, 45)]


def test_a_step_from_a_clock_decades_off_is_spread_over_its_last_four_years() -> None:
    shares = spread(ms(2000, 1, 1), ms(2026, 1, 1), 10**9)
    assert shares[0][0] == ms(2026, 1, 1) - SPREAD_AT_MOST_MS and sum(s for _, s, _ in shares) == 10**9


def stepwise(from_ts: int, to_ts: int, step: int) -> dict[int, int]:
    """The definition: each quarter's share the running total rounded down at its end, less the last."""
    out, done, q = {}, 0, from_ts - from_ts % QUARTER_MS
    while q < to_ts:
        upto = step if q + QUARTER_MS >= to_ts else step * (q + QUARTER_MS - from_ts) // (to_ts - from_ts)
        if upto != done:
            out[q], done = upto - done, upto
        q += QUARTER_MS
    return out


@given(
    from_ts=st.integers(0, 10**12),
    span=st.one_of(st.integers(1, 3 * QUARTER_MS), st.integers(1, 400 * HOUR_MS)),
    step=st.one_of(st.integers(1, 50), st.integers(1, 10**7)),
)
def test_shares_add_up_to_the_step_and_follow_time(from_ts: int, span: int, step: int) -> None:
    shares = spread(from_ts, from_ts + span, step)
    assert {q: s for q, s, _ in shares} == stepwise(from_ts, from_ts + span, step)
    assert sum(s for _, s, _ in shares) == step
    assert all(e == (s if span > HOUR_MS else 0) for _, s, e in shares)


def test_a_reset_or_new_meter_never_gives_negative_usage() -> None:
    points = [(ms(2026, 1, 5, 10, 0, s), v) for s, v in ((0, 500_000), (10, 500_010), (20, 3), (30, 9))]
    q = aggregate.quarters(points, previous=None, counter=True)
    assert sum(a.delta for a in q.values()) == 10 + 6


def test_gauges_keep_count_sum_min_max_first_last() -> None:
    points = [(ms(2026, 1, 5, 10, 0, s), v) for s, v in ((0, 300), (10, 100), (20, 200))]
    (agg,) = aggregate.quarters(points, previous=None, counter=False).values()
    assert (agg.n, agg.sum_v, agg.min_v, agg.max_v, agg.first_v, agg.last_v, agg.delta) == (
        3,
        600,
        100,
        300,
        300,
        200,
        0,
    )


def test_local_days_have_23_and_25_hours_across_dst() -> None:
    assert hours_in_day(TZ, date(2026, 3, 29)) == 23
    assert hours_in_day(TZ, date(2026, 10, 25)) == 25
    assert hours_in_day(TZ, date(2026, 6, 1)) == 24
    assert hours_in_day("Asia/Kathmandu", date(2026, 6, 1)) == 24


def test_roll_up_of_a_dst_day_has_25_local_hours() -> None:
    start = day_start_ms(TZ, date(2026, 10, 25))
    end = day_start_ms(TZ, date(2026, 10, 26))
    points = [(t, i) for i, t in enumerate(range(start, end, 60_000))]
    rolled = aggregate.roll_up(aggregate.quarters(points, previous=None, counter=True), TZ)
    hours = sorted(b for level, b in rolled if level == HOUR)
    days = [(b, a) for (level, b), a in rolled.items() if level == DAY]
    assert len(hours) == 25
    assert days[0][0] == start and days[0][1].n == 25 * 60 and days[0][1].delta == 25 * 60 - 1
    assert sum(1 for level, _ in rolled if level == QUARTER) == 100


def merged(rows: list[tuple[aggregate.BucketKey, aggregate.Agg]]) -> dict[aggregate.BucketKey, aggregate.Agg]:
    """Rows merged in order, as the database merges appended rows (see store.writes)."""
    out: dict[aggregate.BucketKey, aggregate.Agg] = {}
    for key, agg in rows:
        out[key] = out[key].then(agg) if key in out else agg
    return out


def test_appending_merges_to_the_same_figures_as_computing_at_once() -> None:
    points = [(ms(2026, 1, 5, 23, 50) + i * 7_000, 1000 + i * i) for i in range(300)]
    whole = aggregate.roll_up(aggregate.quarters(points, previous=None, counter=True), TZ)
    first = aggregate.roll_up(aggregate.quarters(points[:120], previous=None, counter=True), TZ)
    rest = aggregate.roll_up(aggregate.quarters(points[120:], previous=points[119], counter=True), TZ)
    assert merged([*first.items(), *rest.items()]) == whole


def test_appending_one_point_at_a_time_gives_the_same_figures() -> None:
    points = [
        (ms(2026, 3, 29, 0, 44, 50) + i * 5_000, 1000 + 3 * i + (i % 4 == 0) * 20 - (i == 17) * 999)
        for i in range(40)
    ]
    rows = []
    for previous, point in zip([None, *points], points, strict=False):
        rows += aggregate.one_point(point, previous=previous, counter=True, tz=TZ)
    assert merged(rows) == aggregate.roll_up(aggregate.quarters(points, previous=None, counter=True), TZ)
