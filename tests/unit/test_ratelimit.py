"""The client-side rate limiter on a fake clock: token buckets, separate budgets, AIMD.

Assertions are on tokens granted, waits ordered and rates moved, never on time measured.
"""

from __future__ import annotations

import asyncio

import pytest
from cloudforge.cloud.ratelimit import RateLimiter, RateLimits, TokenBucket, kind_of


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def limiter(limits: RateLimits, clock: Clock) -> RateLimiter:
    return RateLimiter(limits, clock=lambda: clock.now, sleep=clock.sleep)


def test_bucket_grants_the_burst_then_one_token_per_interval() -> None:
    bucket = TokenBucket(rate=2.0, burst=3.0)
    assert [bucket.try_take(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.try_take(0.5)  # one token back after 1/rate
    assert not bucket.try_take(0.5)


def test_reservations_queue_up_one_interval_apart() -> None:
    bucket = TokenBucket(rate=10.0, burst=1.0)
    waits = [bucket.reserve(0.0) for _ in range(4)]
    assert waits == pytest.approx([0.0, 0.1, 0.2, 0.3])


def test_bad_bucket_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="rate > 0"):
        TokenBucket(rate=0.0, burst=1.0)
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(RateLimits(read_rate=-1.0))


def test_reads_and_writes_have_separate_budgets() -> None:
    clock = Clock()
    limits = limiter(RateLimits(read_rate=2.0, write_rate=1.0, burst=2.0), clock)

    async def run() -> None:
        for _ in range(2):
            await limits.acquire("read")
            await limits.acquire("write")
        assert clock.sleeps == []  # both bursts are available
        await limits.acquire("write")
        await limits.acquire("read")

    asyncio.run(run())
    assert clock.sleeps == pytest.approx([1.0, 0.5])


def test_a_throttle_cuts_the_rate_once_per_cooldown_and_successes_raise_it_back() -> None:
    clock = Clock()
    limits = limiter(RateLimits(read_rate=10.0, decrease=0.5, increase=1.0, cooldown=1.0), clock)
    for _ in range(5):  # a burst of throttles at once is one signal
        limits.throttled("read")
    assert limits.rate("read") == pytest.approx(5.0)
    clock.now = 2.0
    limits.throttled("read")
    assert limits.rate("read") == pytest.approx(2.5)
    rates = []
    for _ in range(20):
        limits.succeeded("read")
        rates.append(limits.rate("read"))
    assert rates == sorted(rates) and rates[-1] > 2.5
    assert limits.throttle_count() == 6


def test_the_rate_stays_between_floor_and_ceiling() -> None:
    clock = Clock()
    limits = limiter(RateLimits(read_rate=4.0, floor=1.0, headroom=1.5, cooldown=0.0), clock)
    for step in range(50):
        clock.now = float(step)
        limits.throttled("read")
    assert limits.rate("read") == pytest.approx(1.0)
    for _ in range(10_000):
        limits.succeeded("read")
    assert limits.rate("read") == pytest.approx(6.0)


def test_a_throttle_drains_the_saved_burst() -> None:
    clock = Clock()
    limits = limiter(RateLimits(write_rate=5.0, decrease=0.8, burst=5.0), clock)

    async def run() -> None:
        limits.throttled("write")
        await limits.acquire("write")

    asyncio.run(run())
    assert clock.sleeps == pytest.approx([1 / 4.0])  # no burst left: wait one interval at the cut rate


def test_unlimited_budgets_never_wait() -> None:
    clock = Clock()
    limits = limiter(RateLimits(read_rate=None, write_rate=None), clock)

    async def run() -> None:
        for _ in range(100):
            await limits.acquire("read")
            await limits.acquire("write")

    asyncio.run(run())
    assert clock.sleeps == [] and limits.rate("read") is None


def test_operations_are_sorted_into_reads_and_writes() -> None:
    assert kind_of("create_resource") == kind_of("DeleteResource") == "write"
    assert kind_of("get_resource_request_status") == kind_of("ListResources") == "read"


def test_after_a_throttle_the_rate_recovers_fast_to_near_the_quota_then_probes_slowly() -> None:
    clock = Clock()
    limits = limiter(RateLimits(read_rate=20.0, write_rate=None, increase=0.5, decrease=0.8,
                                recovery=2.0, probe=0.1, recover_to=0.9), clock)

    def gain_per_success() -> float:
        before = limits.rate("read")
        assert before is not None
        limits.succeeded("read")
        after = limits.rate("read")
        assert after is not None
        return (after - before) * before  # calls/s gained per second of successes

    assert gain_per_success() == pytest.approx(0.5)  # no throttle yet: plain additive increase
    throttled_at = limits.rate("read")
    assert throttled_at is not None
    limits.throttled("read")
    assert limits.rate("read") == pytest.approx(throttled_at * 0.8)
    assert gain_per_success() == pytest.approx(2.0)  # below 0.9 of where the quota was found
    successes = 0
    while (limits.rate("read") or 0.0) < 0.9 * throttled_at:
        limits.succeeded("read")
        successes += 1
    assert successes < 30  # back near the quota within about a second and a half of calls
    assert gain_per_success() == pytest.approx(0.1)  # past it: probing, not throttling again
