"""Waiting in tests: for an event that can be observed, never for a fixed time.

Every wait polls a check until it holds or the time is up; the time is a bound for a machine under
load, not how long the test takes (a wait ends as soon as its event is seen).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

POLL_S = 0.01  # short against the tests' events (a commit, a delivery), cheap against their bounds


def until(
    get: Callable[[], T],
    done: Callable[[T], object],
    seconds: float = 10,
    *,
    what: str,
    ignoring: tuple[type[BaseException], ...] = (),
    every: float = POLL_S,
) -> T:
    """Call `get` until `done` holds of its answer, and return that answer; AssertionError naming
    `what` (and the last answer, or the last of the `ignoring` errors: a server that does not answer
    yet) when it does not within `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        last: str
        try:
            answer = get()
        except ignoring as error:
            last = f"the last try failed: {error!r}"
        else:
            if done(answer):
                return answer
            last = f"the last answer was {answer!r}"[:500]
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds} s for {what}, in vain; {last}")
        time.sleep(every)


def eventually(
    check: Callable[[], object],
    seconds: float = 10,
    *,
    what: str,
    ignoring: tuple[type[BaseException], ...] = (),
    every: float = POLL_S,
) -> None:
    """Wait until `check()` is true; AssertionError naming `what` when it is not within `seconds`."""
    until(check, bool, seconds, what=what, ignoring=ignoring, every=every)
