"""Which rows of a time-ordered list a caller asks for: the use cases that list take one."""

from __future__ import annotations

from dataclasses import dataclass

from meterhub.core.buckets import FAR_FUTURE, FAR_PAST


@dataclass(frozen=True)
class Span:
    """The rows stamped in [lo, hi] (UTC ms), oldest first unless descending: `limit` of them from
    the `offset`-th on."""

    lo: int = FAR_PAST
    hi: int = FAR_FUTURE
    descending: bool = False
    limit: int = 25
    offset: int = 0
