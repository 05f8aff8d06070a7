"""Figure 6: team state on S3 while 20 SecurityProfiles are created together.

Each state write is a PUT of the stage's whole document; a PUT from outside the bucket's region
takes tens of milliseconds, simulated by a 50 ms delay on each PutObject. cloudforge's S3 backend
as `App` opens it (writes deferred: taken at the journal points, run in a worker thread one at a
time, each covering every change so far) against the same backend writing each journal point
synchronously on the event loop (`deferred=False`). Figures: wall time over the latency, PUTs,
and how late a 10 ms `asyncio.sleep` on the same loop woke up at worst (a blocked loop).
This is where the timing formerly asserted by tests/robustness/test_s3_state_writes.py lives.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.cloud import client, fresh, use_fake_credentials
from bench.report import Row, Section

COUNT = 20
QUICK_COUNT = 10
LATENCY = 0.3
PUT_DELAY = 0.05
SYNC = "deferred=False (a PUT per journal point, on the loop)"


def run(endpoint_url: str, instance_arn: str, bucket: str, n: int, deferred: bool) -> dict[str, float]:
    """One deploy of n profiles with S3 state; its wall time, PUTs and worst loop stall."""
    from cloudforge import App
    from cloudforge.aws.connect import SecurityProfile
    from cloudforge.state.s3 import S3State

    s3 = client("s3", endpoint_url)
    puts = 0

    def delay(**_: Any) -> None:
        nonlocal puts
        puts += 1
        time.sleep(PUT_DELAY)

    s3.meta.events.register("before-call.s3.PutObject", delay)
    backend = S3State(f"s3://{bucket}/cf", client=s3, deferred=deferred)
    stalls: list[float] = [0.0]

    async def ticker() -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            stalls.append(time.perf_counter() - before - 0.01)

    async def main() -> float:
        start = time.perf_counter()
        async with App("bench", stage="s3", backend=backend, endpoint_url=endpoint_url):
            tick = asyncio.ensure_future(ticker())
            await asyncio.gather(*(
                SecurityProfile(f"p{i}", InstanceArn=instance_arn, SecurityProfileName=f"S3{i}")
                for i in range(n)
            ))
            tick.cancel()
        return time.perf_counter() - start

    wall = asyncio.run(main())
    backend.close()
    return {"wall": wall, "puts": float(puts), "stall_ms": max(stalls) * 1000}


def measure(quick: bool = False) -> Section:
    from cloudforge.local import LocalCloud

    use_fake_credentials()
    n = QUICK_COUNT if quick else COUNT
    figures: dict[bool, dict[str, float]] = {}
    with LocalCloud(port=0, seed=13) as cloud:
        for deferred in (True, False):
            arn = fresh(cloud, LATENCY)
            bucket = f"bench-state-{'deferred' if deferred else 'sync'}"
            client("s3", cloud.endpoint_url).create_bucket(Bucket=bucket)
            figures[deferred] = run(cloud.endpoint_url, arn, bucket, n, deferred)
    ours, theirs = figures[True], figures[False]
    return Section(
        title="6. S3 state writes",
        method=(
            f"{n} SecurityProfiles created together at latency {LATENCY} s, state in S3 (the local "
            f"cloud's) with {PUT_DELAY * 1000:.0f} ms added to every PutObject. Baseline: the same "
            f"backend writing every journal point synchronously."
        ),
        baselines=[SYNC],
        rows=[
            Row("wall time over the latency (x)", ours["wall"] / LATENCY, {SYNC: theirs["wall"] / LATENCY}),
            Row("state PUTs", ours["puts"], {SYNC: theirs["puts"]}, target=f"< {2 * n}",
                met=ours["puts"] < 2 * n),
            Row("worst event-loop stall (ms)", ours["stall_ms"], {SYNC: theirs["stall_ms"]},
                note="how late a 10 ms asyncio.sleep woke up"),
        ],
    )
