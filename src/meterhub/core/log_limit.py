"""Log lines that a flood of one event cannot multiply: at most one per key and period, the next
saying how many like it were held back.

Not the `limits` library (auth/login_limits.py): it answers whether a hit is allowed, but the count
of the ones turned away, which the next line reports, would need a counter beside it all the same,
and its shared storage is for limits several workers enforce together, which a log line is not.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable

PERIOD_S = 60.0
# Keys remembered before those whose period is over are forgotten (the addresses of clients that
# tried once are many, on a broker open to the internet).
MAX_KEYS = 10_000


class LimitedLog:
    """Log lines, at most one per key per period (keys name the logger's part too, when several
    loggers share one)."""

    def __init__(self, *, period_s: float = PERIOD_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._period_s = period_s
        self._clock = clock
        # Key -> when its last line was written, and how many were held back since.
        self._seen: dict[Hashable, tuple[float, int]] = {}
        self._lock = threading.Lock()  # brokers report from their event loop and the writer's thread

    def log(self, logger: logging.Logger, level: int, key: Hashable, msg: str, *args: object) -> None:
        """Write the line unless one of the same key was written less than a period ago."""
        now = self._clock()
        with self._lock:
            last, held = self._seen.get(key, (None, 0))
            if last is not None and now - last < self._period_s:
                self._seen[key] = (last, held + 1)
                return
            if len(self._seen) >= MAX_KEYS:
                self._seen = {k: seen for k, seen in self._seen.items() if now - seen[0] < self._period_s}
            self._seen[key] = (now, 0)
        if last is not None and held:
            msg += " … and %d more like it in the last %d s"
            args = (*args, held, round(now - last))
        logger.log(level, msg, *args, stacklevel=2)  # the caller's line, not this one
