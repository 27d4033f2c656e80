"""The rate limits faces share: VRM's bucket of 200 draining at 3 a second, Climkit's one request a
second per token, moving windows; in memory, and in Redis shared by several limiters."""

from __future__ import annotations

import uuid

import pytest

from meterhub.auth.rate_limits import CLIMKIT, VRM, Bucket, RateLimits, Window
from meterhub.core.errors import RateLimited

T0 = 1_780_000_000.0  # a clock the tests set: seconds since 1970, as time.time()


@pytest.fixture(params=["memory", "redis"])
def limits(request: pytest.FixtureRequest) -> RateLimits:
    """A limiter with counts in memory, or in Redis."""
    if request.param == "memory":
        return RateLimits()
    return RateLimits(request.getfixturevalue("redis_url"))


def fresh(policy: Bucket) -> Bucket:
    """The policy under a name no other test (or run, on a shared Redis) counts under."""
    return Bucket(f"{policy.name}-{uuid.uuid4().hex}", burst=policy.burst, per_second=policy.per_second)


def refused(limits: RateLimits, policy: Bucket, key: str, at: float) -> int:
    """The Retry-After seconds of a refused request."""
    with pytest.raises(RateLimited) as exc:
        limits.check(policy, key, now=at)
    return exc.value.retry_after_s


def test_vrm_bucket_takes_200_at_once_then_one_each_third_of_a_second(limits: RateLimits) -> None:
    vrm = fresh(VRM)
    for i in range(200):
        limits.check(vrm, "site 1", now=T0 + i / 1000)  # 200 quick requests, 0.2 s in all
    assert refused(limits, vrm, "site 1", T0 + 0.2) == 1  # Retry-After rounds 1/3 s up to 1 s
    # The first 1/3 s has drained by T0 + 1/3: one more, then none until the next third.
    assert refused(limits, vrm, "site 1", T0 + 0.33) == 1
    limits.check(vrm, "site 1", now=T0 + 0.34)
    assert refused(limits, vrm, "site 1", T0 + 0.35) == 1
    limits.check(vrm, "site 1", now=T0 + 0.67)
    # Another key has a bucket of its own.
    limits.check(vrm, "site 2", now=T0 + 0.35)
    # Empty again after 200 / 3 s: a whole burst once more.
    for _ in range(200):
        limits.check(vrm, "site 1", now=T0 + 67.4)
    assert refused(limits, vrm, "site 1", T0 + 67.4) == 1


def test_a_refused_request_costs_nothing_and_a_long_wait_is_told(limits: RateLimits) -> None:
    slow = fresh(Bucket("slow", burst=2, per_second=0.1))  # one each 10 s
    limits.check(slow, "k", now=T0)
    limits.check(slow, "k", now=T0)
    for _ in range(50):  # a client hammering a full bucket does not push its own turn away
        assert refused(limits, slow, "k", T0 + 1) == 9
    limits.check(slow, "k", now=T0 + 10)


def test_climkit_allows_one_request_a_second_per_token(limits: RateLimits) -> None:
    climkit = fresh(CLIMKIT)
    limits.check(climkit, "token a", now=T0)
    assert refused(limits, climkit, "token a", T0 + 0.5) == 1
    limits.check(climkit, "token b", now=T0 + 0.5)
    limits.check(climkit, "token a", now=T0 + 1.0)
    assert refused(limits, climkit, "token a", T0 + 1.999) == 1
    limits.check(climkit, "token a", now=T0 + 2.0)


def test_test_and_hit_count_only_what_the_caller_says(limits: RateLimits) -> None:
    failures = fresh(Bucket("failures", burst=2, per_second=1))
    for _ in range(5):
        limits.test(failures, "k", now=T0)  # asking counts nothing
    limits.hit(failures, "k", now=T0)
    limits.hit(failures, "k", now=T0)
    limits.hit(failures, "k", now=T0)  # counted even over the limit: it owes a second more
    with pytest.raises(RateLimited):
        limits.test(failures, "k", now=T0 + 1.5)
    limits.test(failures, "k", now=T0 + 2)


def test_a_moving_window_counts_in_the_limits_library(limits: RateLimits) -> None:
    window = Window(f"window-{uuid.uuid4().hex}", "2/minute")
    limits.check(window, "address")
    limits.check(window, "address")
    with pytest.raises(RateLimited) as exc:
        limits.check(window, "address")
    assert 0 < exc.value.retry_after_s <= 60
    limits.check(window, "another address")


def test_limiters_on_one_redis_share_their_counts_and_in_memory_do_not(redis_url: str) -> None:
    vrm = fresh(VRM)
    first, second = RateLimits(redis_url), RateLimits(redis_url)
    for _ in range(100):
        first.check(vrm, "site 1", now=T0)
        second.check(vrm, "site 1", now=T0)
    assert refused(first, vrm, "site 1", T0) == refused(second, vrm, "site 1", T0) == 1
    window = Window(f"window-{uuid.uuid4().hex}", "1/minute")
    first.check(window, "address")
    with pytest.raises(RateLimited):
        second.check(window, "address")

    apart = [RateLimits(), RateLimits()]
    for limiter in apart:
        for _ in range(200):
            limiter.check(vrm, "site 1", now=T0)
