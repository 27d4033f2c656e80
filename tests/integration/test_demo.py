"""The demo: a site filled through the one write path, whole across DST, and written once."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from rich.console import Console
from sqlalchemy import text

from meterhub.config import Settings
from meterhub.core.buckets import HOUR, day_start_ms
from meterhub.core.errors import Invalid
from meterhub.demo import TIMEZONE, parse_interval, run_demo
from meterhub.platform import Platform
from meterhub.services import statistics
from meterhub.store import meters, tariffs

# Three days each, the middle one a DST change (the meter is also replaced on it).
SPANS = {
    "spring": (date(2026, 3, 28), date(2026, 3, 31), 23),
    "autumn": (date(2026, 10, 24), date(2026, 10, 27), 25),
}


def point_count(p: Platform) -> int:
    with p.db.reader.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM points")).scalar_one())


@pytest.mark.parametrize("season", SPANS)
def test_three_days_across_a_dst_change_are_whole_and_written_once(platform: Platform, season: str) -> None:
    first, end, dst_hours = SPANS[season]
    settings = Settings(data_dir=platform.settings.data_dir, database_url=platform.settings.database_url)
    out = io.StringIO()
    summary = run_demo(settings, interval="60s", days=3, console=Console(file=out, width=200), end=end)

    assert "API key" in out.getvalue() and "curl" in out.getvalue()
    assert summary.points == point_count(platform) > 0
    # 60 s readings over 23 + 24 + 24 (or 25 + 24 + 24) hours, less the 40 minutes of the meter swap
    assert summary.readings == (dst_hours + 48) * 60 + 1 - 40 + 1
    site = summary.site_id
    dst_day = first + timedelta(days=1)
    with platform.db.reader.connect() as conn:
        _, days = statistics.days(conn, site, first, end - timedelta(days=1), limit=None)
        lo, hi = day_start_ms(TIMEZONE, dst_day), day_start_ms(TIMEZONE, end - timedelta(days=1)) - 1
        hours, periods = statistics.periods(conn, site, HOUR, lo, hi, limit=100)
        found = meters.list_meters(conn, site)
        contracts = tariffs.contracts(conn, site_id=site)

    assert [d.day for d in days] == [first, dst_day, end - timedelta(days=1)]
    for d in days:
        u = d.usage
        assert u.import_t1_wh + u.import_t2_wh > 0
        assert min(u.import_t1_wh, u.import_t2_wh, u.export_t1_wh, u.export_t2_wh) >= 0
        assert u.gas_dm3 is not None and u.gas_dm3 > 0
        assert d.prices is not None
    assert hours == dst_hours
    # Midday hours may import nothing (the panels cover the house), but none goes negative.
    assert all(min(v for v in p.usage if v is not None) >= 0 for p in periods)
    assert sorted((m.meter_type, m.protocol) for m in found) == [
        ("electricity", "dsmr5"),
        ("electricity", "dsmr5"),
        ("gas", "dsmr4"),
    ]
    assert len(contracts) == 2

    again = run_demo(settings, interval="60s", days=3, console=Console(file=io.StringIO()), end=end)
    assert (again.site_id, again.points, again.readings) == (site, 0, 0)
    assert point_count(platform) == summary.points


def test_a_later_run_continues_the_counters(platform: Platform) -> None:
    settings = Settings(data_dir=platform.settings.data_dir, database_url=platform.settings.database_url)
    quiet = Console(file=io.StringIO())
    run_demo(settings, interval="5m", days=1, console=quiet, end=date(2026, 6, 2))
    later = run_demo(settings, interval="5m", days=1, console=quiet, end=date(2026, 6, 3))
    assert later.readings == 24 * 12
    with platform.db.reader.connect() as conn:
        _, days = statistics.days(conn, later.site_id, date(2026, 6, 1), date(2026, 6, 2), limit=None)
    assert [d.day for d in days] == [date(2026, 6, 1), date(2026, 6, 2)]
    # The second day starts where the first ended: the meter was read at midnight.
    assert days[1].positions.import_t1_wh == days[0].positions.import_t1_wh + days[0].usage.import_t1_wh


@pytest.mark.parametrize(
    ("given", "seconds"), [("10s", 10), ("1m", 60), ("60s", 60), ("5m", 300), ("15", 15)]
)
def test_intervals(given: str, seconds: int) -> None:
    assert parse_interval(given) == seconds


@pytest.mark.parametrize("given", ["7s", "0s", "2h", "fast"])
def test_an_interval_that_does_not_divide_an_hour_is_refused(given: str) -> None:
    with pytest.raises(Invalid):
        parse_interval(given)
