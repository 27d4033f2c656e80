"""When a point may be stamped: from a configured earliest day up to a day after the server's clock.

A meter with a flat clock battery says 1996, a typo in a CSV says 1026 or 20260, and a broken
gateway says 2100. None of them is a reading anyone can use, and each one far from a stream's other
points would make the statistics of the years between it and them someone's problem. Every way
in refuses them with this one rule, before anything is stored.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime

from meterhub.core.buckets import HOUR_MS, from_ms, to_ms

DEFAULT_EARLIEST = date(2000, 1, 1)
AHEAD_MS = 24 * HOUR_MS


def _start_ms(day: date) -> int:
    return to_ms(datetime(day.year, day.month, day.day, tzinfo=UTC))


@dataclass(frozen=True)
class TimeWindow:
    """The instants points may have: earliest_ms and later, and at most ahead_ms after now."""

    earliest_ms: int = _start_ms(DEFAULT_EARLIEST)
    ahead_ms: int = AHEAD_MS

    @classmethod
    def from_day(cls, earliest: date) -> TimeWindow:
        """The window opening at the start (UTC) of the given day."""
        return cls(_start_ms(earliest))

    def latest_ms(self, now_ms: int | None = None) -> int:
        """The last instant a point may have now."""
        return (now_ms if now_ms is not None else time.time_ns() // 1_000_000) + self.ahead_ms

    def problem(self, ts_ms: int, now_ms: int | None = None) -> str | None:
        """Why a point stamped ts_ms cannot be stored (what to do about it included), or None."""
        if ts_ms < self.earliest_ms:
            return (
                f"{_shown(ts_ms)} is before {_shown(self.earliest_ms)}, the earliest time meterhub stores; "
                "set the clock of the device that sent it right (an earlier limit is set with "
                "METERHUB_EARLIEST_TIMESTAMP)"
            )
        latest = self.latest_ms(now_ms)
        if ts_ms > latest:
            return (
                f"{_shown(ts_ms)} is more than {self.ahead_ms // HOUR_MS} hours after the server's clock "
                f"({_shown(latest - self.ahead_ms)}); set the clock of the device that sent it, "
                "or the server's, right"
            )
        return None


def _shown(ts_ms: int) -> str:
    """The instant as people read it; instants past what datetime holds, as milliseconds."""
    try:
        return from_ms(ts_ms).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, ValueError, OSError):
        return f"{ts_ms} ms since 1970"


# Points from 2000-01-01 on, up to a day ahead: what a server without settings takes.
DEFAULT_WINDOW = TimeWindow()
