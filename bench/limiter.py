"""Figure 12: the run's rate limiter against a quota, simulated on a fake clock.

The real `cloudforge.cloud.ratelimit.RateLimiter` and `TokenBucket` (the local cloud's quota)
drive a discrete-event model of a deploy: N creates, at most 64 in flight, each ending at the
handler invocation (every 2 s) after its latency ±10 %, read back by status polls at the hint.
Only time is simulated, so the figure says how the limiter's policy shares a quota, free of the
machine's load; section 6 measures the whole engine against the local cloud.
Baseline: the same limiter with plain AIMD (+0.5 calls/s per second, x0.7 on a throttle), the
policy before the three-speed recovery.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass

from bench.report import Row, Section

PLAIN_AIMD = "plain AIMD (+0.5/s, x0.7)"
WALL_TARGET = 1.15
THROTTLE_TARGET = 5.0


@dataclass
class Simulated:
    ratio: float  # wall time over the quota-bound ideal (calls that got through / quota)
    per_resource: float  # calls per resource, throttled ones included
    throttled: float  # % of calls


def simulate(limits: object, n: int, quota: float, latency: float, step: float = 2.0,
             in_flight: int = 64, rtt: float = 0.01, seed: int = 1) -> Simulated:
    from cloudforge.cloud.ratelimit import RateLimiter, RateLimits, TokenBucket

    assert isinstance(limits, RateLimits)
    rnd = random.Random(seed)
    now = 0.0
    limiter = RateLimiter(limits, clock=lambda: now)
    server = TokenBucket(quota, quota)
    events: list[tuple[float, int, str, int, str]] = []
    counter = 0
    ends: dict[int, float] = {}
    backlog, running, calls, throttled = n, 0, 0, 0

    def push(at: float, kind: str, op: int, what: str) -> None:
        nonlocal counter
        counter += 1
        heapq.heappush(events, (at, counter, kind, op, what))

    def issue(op: int, kind: str, what: str) -> None:
        budget = limiter.budgets["read" if kind == "read" else "write"]
        push(now + (0.0 if budget is None else budget.bucket.reserve(now)), kind, op, what)

    def start() -> None:
        nonlocal backlog, running
        while backlog and running < in_flight:
            backlog -= 1
            running += 1
            issue(n - backlog, "write", "create")

    start()
    while events:
        at, _, kind, op, what = heapq.heappop(events)
        now = at
        if what == "poll-due":
            issue(op, "read", "poll")
            continue
        calls += 1
        admitted = server.try_take(at + rtt / 2)
        now = at + rtt
        if not admitted:
            throttled += 1
            limiter.throttled("read" if kind == "read" else "write")
            issue(op, kind, what)
            continue
        limiter.succeeded("read" if kind == "read" else "write")
        if what == "create":
            end = at + latency * rnd.uniform(0.9, 1.1)
            ends[op] = (int(end / step) + 1) * step
            push(now + 1.1, "read", op, "poll-due")
        elif now >= ends[op]:
            running -= 1
            start()
        else:
            push(max((int(now / step) + 1) * step + 0.02, now + 0.05), "read", op, "poll-due")
    good = calls - throttled
    return Simulated(now / (good / quota), calls / n, 100 * throttled / calls)


def measure(quick: bool = False) -> Section:
    from cloudforge.cloud.ratelimit import RateLimits

    n = 500 if quick else 2000
    section = Section(
        title="12. The rate limiter's policy, simulated",
        method=(
            f"{n:,} creates against a quota on a fake clock (5 s requests, RetryAfter step:2, 64 "
            "in flight), the real RateLimiter and TokenBucket; the baseline is the same limiter "
            "with plain AIMD. No local cloud: only the policy is measured."
        ),
        baselines=[PLAIN_AIMD],
    )
    plain = RateLimits(decrease=0.7, recovery=0.5, probe=0.5)
    for quota in (10.0, 20.0):
        ours = simulate(RateLimits(), n, quota, 5.0)
        theirs = simulate(plain, n, quota, 5.0)
        label = f"quota {quota:g} calls/s"
        section.rows += [
            Row(f"{label}: wall time / quota-bound ideal", ours.ratio, {PLAIN_AIMD: theirs.ratio},
                target=f"<= {WALL_TARGET}", met=ours.ratio <= WALL_TARGET,
                key={"figure": "limiter-wall", "quota": quota}),
            Row(f"{label}: throttled calls (% of calls)", ours.throttled, {PLAIN_AIMD: theirs.throttled},
                # The issue's target is stated for 20/s; at 10/s the figure is shown, not judged.
                target=f"<= {THROTTLE_TARGET:g} %" if quota == 20.0 else "",
                met=ours.throttled <= THROTTLE_TARGET if quota == 20.0 else None,
                note=f"calls per resource {ours.per_resource:.2f} (plain AIMD {theirs.per_resource:.2f})",
                key={"figure": "limiter-throttled", "quota": quota}),
        ]
    return section
