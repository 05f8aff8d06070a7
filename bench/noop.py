"""Figure 4: redeploying 1,000 unchanged SecurityProfiles.

The profiles are created once (latency 0, not timed as a figure), then the same program runs again
against the same state: cloudforge's default (state says nothing changed, so no call at all)
against the same redeploy with `refresh=True`, which reads every resource live as a stateless
tool must. Wall time of the `App` run in-process, and of the program run as a fresh process
(interpreter start-up and imports included); calls from the local cloud's `calls()`.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.cloud import HINTS, fresh, use_fake_credentials, without_client_limits
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


# The same program as `bench.deploy.deploy`, as a file a user would run: `python program.py`.
PROGRAM = """\
import asyncio, json, os
from cloudforge import App
from cloudforge.aws.connect import SecurityProfile

DOCS = json.loads(open(os.environ["BENCH_DOCS"]).read())


async def main():
    async with App("bench", endpoint_url=os.environ["BENCH_ENDPOINT"],
                   state_dir=os.environ["BENCH_STATE"], refresh=os.environ["BENCH_REFRESH"] == "1"):
        await asyncio.gather(*(SecurityProfile(f"profile{i}", **d) for i, d in enumerate(DOCS)))


asyncio.run(main())
"""


def whole_process(cloud: Any, state: Path, docs: list[dict[str, Any]], refresh: bool) -> float:
    """Wall seconds of `python program.py` redeploying the unchanged program, start to exit."""
    program = state / "program.py"
    program.write_text(PROGRAM)
    (state / "docs.json").write_text(json.dumps(docs))
    env = {
        **os.environ,
        "BENCH_DOCS": str(state / "docs.json"),
        "BENCH_ENDPOINT": cloud.endpoint_url,
        "BENCH_STATE": str(state),
        "BENCH_REFRESH": "1" if refresh else "0",
    }
    start = time.perf_counter()
    subprocess.run([sys.executable, str(program)], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def measure(quick: bool = False) -> Section:
    from cloudforge.local import LocalCloud

    use_fake_credentials()
    without_client_limits()
    os.environ.pop("CLOUDFORGE_PHASE", None)
    os.environ.pop("CLOUDFORGE_REFRESH", None)
    n = QUICK_COUNT if quick else COUNT
    with LocalCloud(port=0, seed=11, retry_after=HINTS) as cloud, tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        docs = documents(fresh(cloud, 0.0), n, "noop")
        start = time.perf_counter()
        asyncio.run(deploy(cloud.endpoint_url, state, docs))
        created = time.perf_counter() - start
        ours, our_calls = redeploy(cloud, state, docs, refresh=False)
        theirs, their_calls = redeploy(cloud, state, docs, refresh=True)
        ours_process = whole_process(cloud, state, docs, refresh=False)
        theirs_process = whole_process(cloud, state, docs, refresh=True)

    def writes(calls: Any) -> float:
        return float(sum(calls.get(op, 0) for op in WRITES))

    return Section(
        title="4. No-op redeploy",
        method=(
            f"{n:,} SecurityProfiles created once (took {created:.1f} s at latency 0), then the "
            f"unchanged program run again on the same state, in-process (`App` start to exit). "
            f"Baseline: the same redeploy with `refresh=True`. Calls from the local cloud, which "
            f"does not throttle here (AWS throttles Cloud Control reads near 25-30 per second; "
            f"cloudforge's own limiter still paces refresh reads at 20/s); RetryAfter {HINTS}."
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
                f"{n:,} unchanged resources: wall time, whole process `python program.py` (s)",
                ours_process,
                {REFRESH: theirs_process},
                target="<= 2 s",
                met=ours_process <= 2.0,
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
