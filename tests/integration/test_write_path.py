"""The one write path, on SQLite and PostgreSQL: stored once, clashes refused, aggregates exact."""

from __future__ import annotations

import asyncio
import random
import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from meterhub.config import Settings
from meterhub.core import aggregate
from meterhub.core.buckets import HOUR, day_start_ms, local_hour_and_day
from meterhub.core.errors import Invalid, NotFound
from meterhub.ingest import write_path
from meterhub.ingest.write_path import Clash
from meterhub.platform import Platform
from meterhub.services import statistics
from meterhub.store import writes
from tests.conftest import Account, make_account
from tests.factories import day_of_readings, electricity_meter

TZ = "Europe/Amsterdam"
# An instant to count milliseconds from, in the window of times meterhub stores.
T = day_start_ms(TZ, date(2026, 2, 3))


def aggregates(p: Platform) -> list[tuple[object, ...]]:
    with p.db.reader.connect() as conn:
        return [
            tuple(r) for r in conn.execute(text("SELECT * FROM aggregates ORDER BY stream_id, level, bucket"))
        ]


def point_count(p: Platform) -> int:
    with p.db.reader.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM points")).scalar_one())


def test_a_retried_batch_is_stored_once(platform: Platform, account: Account) -> None:
    meter = electricity_meter(platform, account.site_id)
    rows = day_of_readings(meter, TZ, date(2026, 2, 3), every_s=600)
    first = platform.writer.write(rows)
    again = platform.writer.write(rows)
    assert (first.stored, first.duplicates) == (len(rows), 0)
    assert (again.stored, again.duplicates) == (0, len(rows))
    assert point_count(platform) == len(rows)


def test_a_different_value_for_a_stored_instant_is_refused_whole(
    platform: Platform, account: Account
) -> None:
    meter = electricity_meter(platform, account.site_id)
    rows = day_of_readings(meter, TZ, date(2026, 2, 3), every_s=600)
    platform.writer.write(rows)
    before = aggregates(platform)
    sid, ts, v = rows[10]
    fresh = (sid, ts + 1, v)  # would be new, but travels with the clash
    outcome = platform.writer.write([fresh, (sid, ts, v + 1)])
    assert outcome.stored == 0 and outcome.clashes[0].stored == v and outcome.clashes[0].offered == v + 1
    assert point_count(platform) == len(rows)
    assert aggregates(platform) == before


def test_a_batch_that_keeps_stored_values_stores_all_but_its_clashes(
    platform: Platform, account: Account
) -> None:
    meter = electricity_meter(platform, account.site_id)
    rows = day_of_readings(meter, TZ, date(2026, 2, 3), every_s=600)
    platform.writer.write(rows)
    sid, ts, v = rows[10]
    fresh = (sid, ts + 1, v)
    outcome = platform.writer.submit([fresh, (sid, ts, v + 1)], keep=True).result()
    assert outcome.stored == 1 and outcome.clashes == [Clash(sid, ts, v, v + 1)]
    assert point_count(platform) == len(rows) + 1
    with platform.db.reader.connect() as conn:
        assert writes.stored_points(conn, sid, ts, ts + 1) == [(ts, v), (ts + 1, v)]  # the first kept


def test_the_newest_point_offered_again_is_a_duplicate_or_a_clash(
    platform: Platform, account: Account
) -> None:
    # A DSMR 5 telegram repeats its gas reading until the next one, so the newest point of a
    # stream often comes again, followed by new ones.
    meter = electricity_meter(platform, account.site_id)
    twin = electricity_meter(platform, account.site_id, equipment_id="E0002")
    rows = day_of_readings(meter, TZ, date(2026, 2, 3), every_s=600)
    platform.writer.write(rows[:60])
    newest = {sid: (ts, v) for sid, ts, v in rows[:60]}
    outcome = platform.writer.write([(sid, ts, v) for sid, (ts, v) in newest.items()] + rows[60:90])
    assert (outcome.stored, outcome.duplicates, outcome.clashes) == (30, len(newest), [])

    to_twin = {meter.streams[role]: twin.streams[role] for role in meter.streams}
    platform.writer.write([(to_twin[sid], ts, v) for sid, ts, v in rows[:90]])
    rows_of = {sid: "meter" for sid in to_twin} | {sid: "twin" for sid in to_twin.values()}
    role_of = {sid: role for m in (meter, twin) for role, sid in m.streams.items()}
    figures: dict[str, list[tuple[object, ...]]] = {"meter": [], "twin": []}
    for row in aggregates(platform):
        figures[rows_of[row[0]]].append((role_of[row[0]], *row[1:]))
    assert sorted(figures["meter"]) == sorted(figures["twin"])  # same as written in one go

    before = aggregates(platform)
    sid, ts, v = rows[89]
    clash = platform.writer.write([(sid, ts, v + 1), (sid, ts + 1000, v + 2)])
    assert clash.stored == 0 and clash.clashes == [Clash(sid, ts, v, v + 1)]
    assert aggregates(platform) == before


def test_random_order_with_duplicates_gives_the_same_figures_as_in_order(
    platform: Platform, account: Account
) -> None:
    meter = electricity_meter(platform, account.site_id)
    rows = day_of_readings(meter, TZ, date(2026, 2, 3), every_s=60)
    platform.writer.write(rows)
    in_order = aggregates(platform)
    with platform.db.writer.begin() as conn:
        conn.execute(text("DELETE FROM points"))
        conn.execute(text("DELETE FROM aggregates"))
        conn.execute(text("DELETE FROM stream_state"))
    shuffled = rows + rows[::7]
    random.Random(4).shuffle(shuffled)
    for i in range(0, len(shuffled), 997):
        platform.writer.write(shuffled[i : i + 997])
    assert aggregates(platform) == in_order
    assert point_count(platform) == len(rows)


def test_day_and_hour_figures_of_a_dst_day(platform: Platform, account: Account) -> None:
    meter = electricity_meter(platform, account.site_id)
    rows = day_of_readings(meter, TZ, date(2026, 10, 25), every_s=300)
    rows += day_of_readings(meter, TZ, date(2026, 10, 26), every_s=300, start_wh=2_000_000)
    platform.writer.write(rows)
    lo, hi = day_start_ms(TZ, date(2026, 10, 25)), day_start_ms(TZ, date(2026, 10, 26)) - 1
    with platform.db.reader.connect() as conn:
        count, _ = statistics.periods(conn, account.site_id, HOUR, lo, hi, limit=100)
        _, days = statistics.days(conn, account.site_id, date(2026, 10, 25), date(2026, 10, 25))
    assert count == 25
    t1 = [r for r in rows if r[0] == meter.streams["import_t1_kwh"] and r[1] <= hi + 1]
    assert days[0].usage.import_t1_wh == t1[-1][2] - t1[0][2]


def test_a_meter_replaced_mid_day_gives_no_negative_figure(platform: Platform, account: Account) -> None:
    old = electricity_meter(platform, account.site_id, "OLD")
    new = electricity_meter(platform, account.site_id, "NEW")
    day = date(2026, 5, 6)
    morning = [
        r for r in day_of_readings(old, TZ, day, every_s=300) if r[1] < day_start_ms(TZ, day) + 12 * 3_600_000
    ]
    afternoon = [
        r
        for r in day_of_readings(new, TZ, day, every_s=300, start_wh=5)
        if r[1] >= day_start_ms(TZ, day) + 12 * 3_600_000
    ]
    # and the new meter once reset to zero in the evening
    sid = new.streams["import_t2_kwh"]
    reset_at = day_start_ms(TZ, day) + 20 * 3_600_000
    afternoon = [(s, t, v if not (s == sid and t >= reset_at) else v - 2_000) for s, t, v in afternoon]
    platform.writer.write(morning + afternoon)
    with platform.db.reader.connect() as conn:
        _, days = statistics.days(conn, account.site_id, day, day)
        _, hours = statistics.periods(
            conn,
            account.site_id,
            HOUR,
            day_start_ms(TZ, day),
            day_start_ms(TZ, day) + 86_400_000 - 1,
            limit=30,
        )
    usage = days[0].usage
    assert min(usage.import_t1_wh, usage.import_t2_wh, usage.export_t1_wh) >= 0
    assert all(h.usage.import_t2_wh >= 0 for h in hours)
    assert sum(h.usage.import_t2_wh for h in hours) == usage.import_t2_wh


def stream_aggregates(p: Platform, sid: int) -> dict[tuple[int, int], tuple[object, ...]]:
    with p.db.reader.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT level, bucket, n, sum_v, min_v, max_v, first_ts, first_v, last_ts, last_v, delta, estimated "
                "FROM aggregates WHERE stream_id = :s"
            ),
            {"s": sid},
        )
        return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def test_appends_stay_exact_with_a_second_writer_and_rolled_back_batches(
    platform: Platform, account: Account
) -> None:
    from meterhub.ingest.writer import Writer

    meter = electricity_meter(platform, account.site_id)
    sid = meter.streams["import_t1_kwh"]
    rows = [r for r in day_of_readings(meter, TZ, date(2026, 2, 3), every_s=60) if r[0] == sid]
    other = Writer(platform.db.writer)  # another process writing the same database
    try:
        platform.writer.write(rows[:500])
        other.write(rows[500:900])
        clash = platform.writer.write([*rows[900:950], (sid, rows[10][1], rows[10][2] + 1)])
        assert clash.stored == 0  # refused whole, rolled back
        platform.writer.write(rows[900:])
    finally:
        other.close()
    expected = aggregate.roll_up(
        aggregate.quarters([(t, v) for _, t, v in rows], previous=None, counter=True), TZ
    )
    assert stream_aggregates(platform, sid) == {key: tuple(agg) for key, agg in expected.items()}


def test_gauges_are_kept_per_quarter_and_counters_per_quarter_hour_and_day(
    platform: Platform, account: Account
) -> None:
    meter = electricity_meter(platform, account.site_id)
    rows = day_of_readings(meter, TZ, date(2026, 2, 3), every_s=60)
    late = rows[5000:5010]
    platform.writer.write([r for r in rows if r not in late])
    platform.writer.write(late)  # out of order: the recompute keeps the same levels
    with platform.db.reader.connect() as conn:
        levels = dict(
            conn.execute(
                text("SELECT stream_id, COUNT(DISTINCT level) FROM aggregates GROUP BY stream_id")
            ).all()
        )
    assert levels[meter.streams["import_kw"]] == 1
    assert levels[meter.streams["import_t1_kwh"]] == 3


def test_an_event_loop_awaits_its_batches_and_a_client_that_left_changes_nothing(
    platform: Platform, account: Account
) -> None:
    meter = electricity_meter(platform, account.site_id)
    rows = day_of_readings(meter, TZ, date(2026, 2, 3), every_s=600)

    async def post() -> None:
        outcomes = await asyncio.gather(*(platform.writer.store(rows[i : i + 10]) for i in range(0, 100, 10)))
        assert [o.stored for o in outcomes] == [10] * 10
        with pytest.raises(NotFound):
            await platform.writer.store([(999_999, rows[0][1], 1)])
        gone = asyncio.ensure_future(platform.writer.store(rows[100:110]))
        await asyncio.sleep(0)
        gone.cancel()  # the request was dropped; the batch is still written once
        assert (await platform.writer.store(rows[100:110])).duplicates == 10

    asyncio.run(post())
    assert point_count(platform) == 110


def test_a_moving_batch_takes_the_next_free_millisecond_and_is_found_there_again(
    platform: Platform, account: Account
) -> None:
    # MQTT messages move on when their millisecond holds another value (section 3.6's loop stamps
    # by the clock): the point goes to the first free millisecond, or to one with its own value.
    meter = electricity_meter(platform, account.site_id)
    sid = meter.streams["import_kw"]
    platform.writer.write([(sid, T + 1000, 5), (sid, T + 1001, 6), (sid, T + 1003, 7)])
    refused = platform.writer.write([(sid, T + 1000, 8)])
    assert refused.stored == 0 and refused.clashes  # only a moving batch moves
    moved = platform.writer.write([(sid, T + 1000, 8)], move=True)
    assert (moved.stored, moved.moved) == (1, [(sid, T + 1000, T + 1002)])
    again = platform.writer.write([(sid, T + 1000, 8)], move=True)  # sent again: found where it went
    assert (again.stored, again.duplicates, again.moved) == (0, 1, [(sid, T + 1000, T + 1002)])
    after = platform.writer.write([(sid, T + 1002, 9), (sid, T + 1010, 1)], move=True)
    assert after.moved == [(sid, T + 1002, T + 1004)]
    with platform.db.reader.connect() as conn:
        points = conn.execute(text(f"SELECT ts, v FROM points WHERE stream_id = {sid} ORDER BY ts")).all()
    assert [(ts - T, v) for ts, v in points] == [
        (1000, 5),
        (1001, 6),
        (1002, 8),
        (1003, 7),
        (1004, 9),
        (1010, 1),
    ]


def test_moving_batches_of_one_commit_take_a_millisecond_each(platform: Platform, account: Account) -> None:
    meter = electricity_meter(platform, account.site_id)
    sid = meter.streams["import_kw"]
    gate = threading.Event()
    held = platform.writer.submit([], extra=lambda conn: gate.wait(30) and None)  # the next commit waits
    queued = [platform.writer.submit([(sid, T + 2000, v)], move=True) for v in (1, 2, 3, 2)]
    gate.set()
    held.result(30)
    outcomes = [f.result(30) for f in queued]
    assert [o.stored for o in outcomes] == [1, 1, 1, 0]  # the second 2 is the first sent again
    with platform.db.reader.connect() as conn:
        points = conn.execute(text(f"SELECT ts, v FROM points WHERE stream_id = {sid} ORDER BY ts")).all()
    assert [(ts - T, v) for ts, v in points] == [(2000, 1), (2001, 2), (2002, 3)]


def test_a_moving_batch_with_no_free_millisecond_near_is_refused(
    platform: Platform, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(write_path, "LATER_MS", 2)
    meter = electricity_meter(platform, account.site_id)
    sid = meter.streams["import_kw"]
    platform.writer.write([(sid, T + 3000, 1), (sid, T + 3001, 2), (sid, T + 3002, 3)])
    outcome = platform.writer.write([(sid, T + 3000, 4)], move=True)
    assert outcome.stored == 0 and outcome.clashes == [Clash(sid, T + 3000, 1, 4)]
    assert point_count(platform) == 3


def calendar_lookups() -> int:
    info = local_hour_and_day.cache_info()
    return info.hits + info.misses


def test_a_point_decades_before_a_streams_others_costs_only_its_own_buckets(
    platform: Platform, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A meter with a flat clock battery says 2000-01-01; a gateway with a broken one says tomorrow.
    # Neither may cost the years between it and the stream's other points.
    meter = electricity_meter(platform, account.site_id)
    sid = meter.streams["import_t1_kwh"]
    rows = [r for r in day_of_readings(meter, TZ, date(2026, 2, 3), every_s=10) if r[0] == sid]
    platform.writer.write(rows[1000:])
    earliest = (sid, platform.window.earliest_ms, rows[0][2] - 500)
    ahead = (sid, platform.window.latest_ms() - 3_600_000, rows[-1][2] + 500)
    read: list[int] = []
    stored_points = writes.stored_points
    monkeypatch.setattr(
        writes, "stored_points", lambda *a, **k: read.append(len(found := stored_points(*a, **k))) or found
    )
    before = calendar_lookups()
    platform.writer.write([earliest])
    platform.writer.write([ahead])
    platform.writer.write([earliest, *rows[:1000:100]])  # late, and decades apart, in one batch
    platform.writer.write(rows[:1000])  # ordinary values, now all before the one ahead
    # 911,000 quarters lie between 2000 and 2026; the steps across spread their few Wh over a few
    # thousand of them (a row for each quarter a whole Wh falls in), rebuilt as late points come.
    assert calendar_lookups() - before < 20_000
    assert sum(read) < 3_000  # the points near the late ones, not the stream's 8,640
    points = sorted([(t, v) for _, t, v in [earliest, *rows, ahead]])
    expected = aggregate.roll_up(aggregate.quarters(points, previous=None, counter=True), TZ)
    assert stream_aggregates(platform, sid) == {key: tuple(agg) for key, agg in expected.items()}


def test_a_batch_with_a_point_outside_the_window_is_refused_whole(
    platform: Platform, account: Account
) -> None:
    meter = electricity_meter(platform, account.site_id)
    sid = meter.streams["import_t1_kwh"]
    good = (sid, T, 1000)
    for ts in (platform.window.earliest_ms - 1, platform.window.latest_ms() + 60_000, -(10**15), 10**15):
        with pytest.raises(Invalid, match="nothing was stored"):
            platform.writer.write([good, (sid, ts, 1001)])
    assert point_count(platform) == 0
    assert platform.writer.write([good]).stored == 1


def test_the_earliest_day_is_configurable(tmp_path: Path, database_url: str) -> None:
    p = Platform(Settings(data_dir=tmp_path, database_url=database_url, earliest_timestamp=date(1990, 1, 1)))
    try:
        account = make_account(p)
        sid = electricity_meter(p, account.site_id).streams["import_t1_kwh"]
        assert p.writer.write([(sid, day_start_ms("UTC", date(1996, 3, 1)), 1)]).stored == 1
        with pytest.raises(Invalid, match="1989-12-31 23:59:59 UTC is before 1990-01-01 00:00:00 UTC"):
            p.writer.write([(sid, day_start_ms("UTC", date(1990, 1, 1)) - 1000, 1)])
    finally:
        p.close()
