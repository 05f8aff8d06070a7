"""Figure 4: redeploying 1,000 unchanged SecurityProfiles.

The profiles are created once (latency 0, not timed as a figure), then the same program runs again
against the same state: cloudforge's default (state says nothing changed, so no call at all)
against the same redeploy with `refresh=True`, which reads every resource live as a stateless
tool must. Wall time is the whole `App` run in-process; calls from the local cloud's `calls()`.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.cloud import fresh, use_fake_credentials
from bench.deploy import deploy, documents
from bench.report import Row, Section

COUNT = 1000
QUICK_COUNT = 100
REFRESH = "refresh=True (reads every resource)"
WRITES = ("CreateResource", "UpdateResource", "DeleteResource")


def redeploy(
    cloud: Any, state: Path, docs: list[dict[str, Any]], refresh: bool
) -> tuple[float, Any]:
    """(wall seconds, the calls made) of one run of the unchanged program."""
    cloud.reset_calls()
    start = time.perf_counter()
    asyncio.run(deploy(cloud.endpoint_url, state, docs, refresh=refresh))
    return time.perf_counter() - start, cloud.calls()


def measure(quick: bool = False) -> Section:
    from cloudforge.local import LocalCloud

    use_fake_credentials()
    os.environ.pop("CLOUDFORGE_PHASE", None)
    os.environ.pop("CLOUDFORGE_REFRESH", None)
    n = QUICK_COUNT if quick else COUNT
    with LocalCloud(port=0, seed=11) as cloud, tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        docs = documents(fresh(cloud, 0.0), n, "noop")
        start = time.perf_counter()
        asyncio.run(deploy(cloud.endpoint_url, state, docs))
        created = time.perf_counter() - start
        ours, our_calls = redeploy(cloud, state, docs, refresh=False)
        theirs, their_calls = redeploy(cloud, state, docs, refresh=True)

    def writes(calls: Any) -> float:
        return float(sum(calls.get(op, 0) for op in WRITES))

    return Section(
        title="4. No-op redeploy",
        method=(
            f"{n:,} SecurityProfiles created once (took {created:.1f} s at latency 0), then the "
            f"unchanged program run again on the same state, in-process (`App` start to exit). "
            f"Baseline: the same redeploy with `refresh=True`. Calls from the local cloud, which "
            f"does not throttle here (AWS throttles Cloud Control reads near 25-30 per second)."
        ),
        baselines=[REFRESH],
        rows=[
            Row(
                f"{n:,} unchanged resources: wall time (s)",
                ours,
                {REFRESH: theirs},
                target="<= 2 s",
                met=ours <= 2.0,
            ),
            Row(
                f"{n:,} unchanged resources: write calls",
                writes(our_calls),
                {REFRESH: writes(their_calls)},
                target="0",
                met=writes(our_calls) == 0,
            ),
            Row(
                f"{n:,} unchanged resources: Cloud Control calls, all kinds",
                float(sum(our_calls.values())),
                {REFRESH: float(sum(their_calls.values()))},
            ),
        ],
    )
