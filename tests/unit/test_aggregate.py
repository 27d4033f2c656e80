"""Bucket aggregates: counter deltas, resets, quarter boundaries and local days across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime

from meterhub.core import aggregate
from meterhub.core.buckets import DAY, HOUR, QUARTER, day_start_ms, hours_in_day, to_ms

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
