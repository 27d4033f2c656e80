"""Request rate limits every face shares: `check(policy, key)` counts a request and raises
RateLimited (with the seconds to wait) when the policy refuses it.

Two kinds of policy:

- `Window`: at most N requests in any moving window, in the `limits` library's notation ("10/minute"),
  counted by its moving-window strategy.
- `Bucket`: a token bucket, `burst` requests at once and then `per_second` more each second (Victron
  VRM's 200 draining at 3 per second). `limits` has no such strategy (fixed, moving and sliding
  windows only, as of 5.8; a moving "200 per 66.7 s" lets nothing through for a minute after a burst,
  where the bucket lets one through every third of a second), so it is kept here as GCRA (the generic
  cell rate algorithm): one "theoretical arrival time" per key, moved on by 1/per_second for each
  request, the request refused when that lies more than `burst` intervals ahead. Exact to the
  microsecond; in Redis one Lua script on the library's own connection does the step atomically.

The counts are in memory (this process) unless a storage URL (redis://…, METERHUB_REDIS_URL) is
given, so that several workers share them. Bucket times come from the caller's clock (`now`): the
workers of one deployment must keep their clocks in step (NTP), as they do for tokens' expiry.
"""

from __future__ import annotations

import math
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from limits import parse, storage, strategies
from limits.storage import RedisStorage

from meterhub.core.errors import RateLimited

_US = 1_000_000


@dataclass(frozen=True)
class Window:
    """At most so many requests in any moving window: `rate` in limits' notation ("1/second")."""

    name: str
    rate: str


@dataclass(frozen=True)
class Bucket:
    """A token bucket: up to `burst` requests at once, refilled at `per_second` requests a second."""

    name: str
    burst: int
    per_second: float

    @property
    def interval_us(self) -> int:
        """Microseconds between two requests once the burst is spent."""
        return max(1, round(_US / self.per_second))


Policy = Window | Bucket

# The two policies the next faces need (here until those faces are): Victron VRM's API allows a
# bucket of 200 requests that drains at 3 a second; Climkit's one request a second per token (a
# bucket of one is exactly that: the next request one second after the last one let in).
VRM = Bucket("vrm", burst=200, per_second=3)
CLIMKIT = Bucket("climkit", burst=1, per_second=1)

# GCRA's step in Redis, atomic: KEYS[1] holds the theoretical arrival time (µs). ARGV: now (µs),
# interval (µs), burst, mode ("check": count if allowed; "test": do not count; "hit": count
# even if refused). Returns 0 when allowed, else the µs until it would be. Lua's numbers are doubles:
# µs since 1970 (~1.8e15) stay exact below 2^53.
_GCRA_LUA = """
local now, interval = tonumber(ARGV[1]), tonumber(ARGV[2])
local burst, mode = tonumber(ARGV[3]), ARGV[4]
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local after = tat + interval
local wait = after - now - burst * interval
if wait < 0 then wait = 0 end
if mode == 'hit' or (mode == 'check' and wait == 0) then
  redis.call('SET', KEYS[1], string.format('%d', after), 'PX', math.ceil((after - now) / 1000) + 1)
end
return wait
"""


class RateLimits:
    """Counts requests per policy and key, in memory or in the storage the URL names."""

    def __init__(self, storage_url: str = "memory://") -> None:
        self._storage = storage.storage_from_string(storage_url)
        self._windows = strategies.MovingWindowRateLimiter(self._storage)
        self._buckets: _Buckets = (
            _RedisBuckets(self._storage) if isinstance(self._storage, RedisStorage) else _MemoryBuckets()
        )

    def check(self, policy: Policy, key: str, *, now: float | None = None) -> None:
        """Count a request; raise RateLimited (not counting it) when the policy refuses it."""
        self._step(policy, key, "check", now)

    def test(self, policy: Policy, key: str, *, now: float | None = None) -> None:
        """Raise RateLimited while the policy would refuse a request, counting none (to count
        only some requests, failed logins say, with `hit`)."""
        self._step(policy, key, "test", now)

    def hit(self, policy: Policy, key: str, *, now: float | None = None) -> None:
        """Count a request without refusing it (a bucket then owes the time; a full window counts
        no more)."""
        self._step(policy, key, "hit", now)

    def _step(self, policy: Policy, key: str, mode: str, now: float | None) -> None:
        at = time.time() if now is None else now
        if isinstance(policy, Bucket):
            wait_us = self._buckets.step(policy, key, mode, round(at * _US))
            wait_s = wait_us / _US
        else:
            wait_s = self._window(policy, key, mode)
        if wait_s > 0 and mode != "hit":
            raise RateLimited("too many requests; try again later", retry_after_s=max(1, math.ceil(wait_s)))

    def _window(self, policy: Window, key: str, mode: str) -> float:
        """The seconds until the window takes a request (0: it took or would take this one)."""
        item = parse(policy.rate)
        if mode == "test":
            allowed = self._windows.test(item, policy.name, key)
        else:
            allowed = self._windows.hit(item, policy.name, key)
        if allowed:
            return 0
        reset = self._windows.get_window_stats(item, policy.name, key).reset_time
        return max(reset - time.time(), 1e-6)


class _Buckets(ABC):
    """Where the buckets' theoretical arrival times are kept: this process, or Redis."""

    @abstractmethod
    def step(self, policy: Bucket, key: str, mode: str, now_us: int) -> int:
        """GCRA's step; the µs until a request would be let in (0: now)."""


class _MemoryBuckets(_Buckets):
    """Theoretical arrival times in this process, under a lock."""

    def __init__(self) -> None:
        self._tat: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self._sweep_at = 1024

    def step(self, policy: Bucket, key: str, mode: str, now_us: int) -> int:
        interval = policy.interval_us
        with self._lock:
            tat = max(self._tat.get((policy.name, key), now_us), now_us)
            after = tat + interval
            wait = max(0, after - now_us - policy.burst * interval)
            if mode == "hit" or (mode == "check" and wait == 0):
                self._tat[(policy.name, key)] = after
                self._sweep(now_us)
            return wait

    def _sweep(self, now_us: int) -> None:
        # A key whose time has passed is a full bucket, as if it were absent: forget such keys
        # whenever the table has doubled, so that it holds about the keys active lately.
        if len(self._tat) > self._sweep_at:
            self._tat = {k: tat for k, tat in self._tat.items() if tat > now_us}
            self._sweep_at = max(1024, 2 * len(self._tat))


class _RedisBuckets(_Buckets):
    """Theoretical arrival times in Redis, through the limits storage's connection."""

    def __init__(self, redis: RedisStorage) -> None:
        self._script: Any = redis.get_connection().register_script(_GCRA_LUA.encode())

    def step(self, policy: Bucket, key: str, mode: str, now_us: int) -> int:
        stored = f"meterhub:bucket/{policy.name}/{key}"
        args = [now_us, policy.interval_us, policy.burst, mode]
        return int(self._script(keys=[stored], args=args))
