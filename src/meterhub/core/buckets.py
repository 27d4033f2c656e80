"""Time buckets: 15-minute UTC quarters, and hours and days on a site's local calendar.

Every real UTC offset is a multiple of 15 minutes, so each quarter lies inside exactly one
local hour and one local day; local hours and days are therefore found per quarter (cached),
never per point. A local day is 23 or 25 hours long across DST changes, and so is its bucket.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

QUARTER_MS = 15 * 60 * 1000
HOUR_MS = 60 * 60 * 1000
# The open ends of a time range: before and after every instant a point may have.
FAR_PAST = -(2**62)
FAR_FUTURE = 2**62

QUARTER, HOUR, DAY = 0, 1, 2
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MILLISECOND = timedelta(milliseconds=1)
LEVELS = (QUARTER, HOUR, DAY)


def quarter_of(ts_ms: int) -> int:
    """Start of the quarter that holds the instant."""
    return ts_ms - ts_ms % QUARTER_MS


def quarter_ending(ts_ms: int) -> int:
    """Start of the quarter a counter step ending at ts_ms belongs to.

    A meter position read at 15:00:00 closes the interval that ended at 15:00, so the energy
    since the previous reading belongs to the quarter before, not the one starting at 15:00.
    """
    return quarter_of(ts_ms - 1)


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The IANA time zone, cached."""
    return ZoneInfo(name)


def ambiguous_or_missing(naive: datetime, tz: str) -> bool:
    """Whether a wall-clock time happens twice in the zone, or not at all (the DST changes)."""
    # zoneinfo gives either kind two offsets, one for each fold.
    local = naive.replace(tzinfo=zone(tz))
    return local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset()


def to_ms(moment: datetime) -> int:
    """UTC milliseconds of an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: meterhub needs to know the time zone")
    return (moment - EPOCH) // MILLISECOND


def from_ms(ts_ms: int, tz: str = "UTC") -> datetime:
    """Aware datetime of UTC milliseconds, in the given zone."""
    moment = datetime.fromtimestamp(ts_ms / 1000, UTC)
    return moment if tz == "UTC" else moment.astimezone(zone(tz))


@lru_cache(maxsize=200_000)
def local_hour_and_day(tz: str, quarter_ms: int) -> tuple[int, int]:
    """UTC starts of the local hour and local day that hold the quarter."""
    local = from_ms(quarter_ms, tz)
    hour = local.replace(minute=0, second=0, microsecond=0)
    return to_ms(hour), day_start_ms(tz, local.date())


@lru_cache(maxsize=20_000)
def day_start_ms(tz: str, day: date) -> int:
    """UTC milliseconds of local midnight (or the first instant of the day where none exists)."""
    start = datetime(day.year, day.month, day.day, tzinfo=zone(tz))
    # fold=0 picks the earlier of two midnights; a skipped midnight round-trips past it.
    return to_ms(start.astimezone(UTC).astimezone(zone(tz)))


def day_of(tz: str, ts_ms: int) -> date:
    """The local date of an instant."""
    return from_ms(ts_ms, tz).date()


@lru_cache(maxsize=20_000)
def day_starting(tz: str, day_start: int) -> date:
    """The local date of a day bucket (cached: statistics list the same days again and again)."""
    return day_of(tz, day_start)


def hours_in_day(tz: str, day: date) -> int:
    """23, 24 or 25: how many hours the local day has."""
    return (day_start_ms(tz, day + timedelta(days=1)) - day_start_ms(tz, day)) // HOUR_MS


def bucket_of(level: int, tz: str, quarter_ms: int) -> int:
    """Start of the bucket of the given level that holds the quarter."""
    if level == QUARTER:
        return quarter_ms
    hour, day = local_hour_and_day(tz, quarter_ms)
    return hour if level == HOUR else day
