"""Figure 6: deploys at scale under a quota, cloudforge against terraform-provider-awscc's strategy.

The local cloud runs as strict as AWS: `--rate 20 --retry-after step:2 --latency 5` (20 Cloud
Control calls/s per account and region, burst 20, ThrottlingException past it; handlers invoked
every 2 s; 5 s per request). N independent SecurityProfiles are created from an empty cloud:

- cloudforge: one `App`, `asyncio.gather` over all of them, default settings (adaptive limiter
  starting at 20 reads/s + 10 writes/s, 64 requests in flight);
- baseline, terraform-provider-awscc's strategy: 32 resources at a time, each call with the
  SDK's standard retry (3 attempts) and then failure, polling with an SDK waiter (1 s doubling to
  10 s), one read after the create.

N defaults to 1,000 and 5,000; `CLOUDFORGE_BENCH_SCALE=200,500` runs other sizes (the quota
makes a run last at least calls / 20 s: about 2.5 min per 1,000 resources).
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.cloud import REGION, use_fake_credentials
from bench.deploy import TYPE_NAME, documents
from bench.report import Row, Section

RATE = 20.0
STEP = "step:2"
LATENCY = 5.0
DEFAULT_SIZES = (1000, 5000)
BASELINE = "terraform-provider-awscc strategy"
THROTTLE_TARGET = 5.0  # % of calls
WALL_TARGET = 1.15  # over the quota-bound ideal


@dataclass
class Outcome:
    failed: int
    calls: int  # every call the cloud answered, throttled ones included
    throttled: int
    wall: float

    def ideal(self) -> float:
        """The quota-bound wall time: the calls that got through, at the quota's rate."""
        return (self.calls - self.throttled) / RATE


def sizes() -> tuple[int, ...]:
    text = os.environ.get("CLOUDFORGE_BENCH_SCALE", "")
    return tuple(int(n) for n in text.split(",") if n.strip()) or DEFAULT_SIZES


def strict_cloud() -> Any:
    from cloudforge.local import LocalCloud

    return LocalCloud(port=0, seed=7, rate=RATE, retry_after=STEP, threads=16)


def connect_instance(cloud: Any) -> str:
    import boto3

    connect = boto3.client("connect", endpoint_url=cloud.endpoint_url, region_name=REGION)
    return str(connect.create_instance(IdentityManagementType="CONNECT_MANAGED", InstanceAlias="scale",
                                       InboundCallsEnabled=True, OutboundCallsEnabled=True)["Arn"])


def prepared(cloud: Any, n: int, prefix: str) -> list[dict[str, Any]]:
    cloud.reset()
    docs = documents(connect_instance(cloud), n, prefix)
    cloud.faults.set_latency(LATENCY)
    cloud.reset_calls()
    return docs


def outcome(cloud: Any, failed: int, wall: float) -> Outcome:
    return Outcome(failed, sum(cloud.calls().values()), sum(cloud.throttled().values()), wall)


async def _deploy(endpoint: str, state: Path, docs: list[dict[str, Any]]) -> int:
    from cloudforge import App
    from cloudforge.aws.connect import SecurityProfile

    async with App("scale", endpoint_url=endpoint, state_dir=state, stage="bench") as app:
        results = await asyncio.gather(
            *(app.deploy(SecurityProfile(f"p{i}", **d)) for i, d in enumerate(docs)),
            return_exceptions=True,
        )
    return sum(1 for r in results if isinstance(r, BaseException))


def run_cloudforge(cloud: Any, n: int) -> Outcome:
    docs = prepared(cloud, n, "cf")
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as state:
        start = time.perf_counter()
        try:
            failed = asyncio.run(_deploy(cloud.endpoint_url, Path(state), docs))
        except Exception:  # the App raises at exit when a resource failed: count them from the cloud
            failed = n - created(cloud)
        wall = time.perf_counter() - start
    return outcome(cloud, failed, wall)


def created(cloud: Any) -> int:
    store = cloud.backend.store
    with store.lock:
        return sum(1 for r in store.of_type(TYPE_NAME) if r.visible)


def run_awscc(cloud: Any, n: int) -> Outcome:
    """32 workers; SDK standard retry (3 attempts) on every call, then the resource fails."""
    import boto3
    from botocore.config import Config

    docs = prepared(cloud, n, "tf")
    cc = boto3.client("cloudcontrol", endpoint_url=cloud.endpoint_url, region_name=REGION,
                      config=Config(retries={"mode": "standard", "max_attempts": 3}, max_pool_connections=40))
    failures = [0]
    lock = threading.Lock()

    def one(doc: dict[str, Any]) -> None:
        try:
            token = cc.create_resource(TypeName=TYPE_NAME, DesiredState=json.dumps(doc))["ProgressEvent"]["RequestToken"]
            delay = 1.0
            while True:
                time.sleep(delay)
                event = cc.get_resource_request_status(RequestToken=token)["ProgressEvent"]
                if event["OperationStatus"] == "SUCCESS":
                    break
                if event["OperationStatus"] in ("FAILED", "CANCEL_COMPLETE"):
                    raise RuntimeError(event.get("ErrorCode"))
                delay = min(delay * 2, 10.0)
            cc.get_resource(TypeName=TYPE_NAME, Identifier=event["Identifier"])
        except Exception:
            with lock:
                failures[0] += 1

    start = time.perf_counter()
    with ThreadPoolExecutor(32) as pool:
        list(pool.map(one, docs))
    return outcome(cloud, failures[0], time.perf_counter() - start)


def rows(n: int, ours: Outcome, theirs: Outcome) -> list[Row]:
    label = f"{n:,} × create at rate {RATE:g}/s, {STEP}, latency {LATENCY:g} s"
    ours_pct = 100.0 * ours.throttled / max(ours.calls, 1)
    theirs_pct = 100.0 * theirs.throttled / max(theirs.calls, 1)
    ours_wall = ours.wall / ours.ideal() if ours.ideal() else None
    theirs_wall = theirs.wall / theirs.ideal() if theirs.ideal() else None
    return [
        Row(f"{label}: failed resources", ours.failed, {BASELINE: theirs.failed}, target="0",
            met=ours.failed == 0, key={"figure": "scale-failed", "n": n}),
        Row(f"{label}: Cloud Control calls per resource", ours.calls / n, {BASELINE: theirs.calls / n},
            note="throttled calls included", key={"figure": "scale-calls", "n": n}),
        Row(f"{label}: throttled calls (% of calls)", ours_pct, {BASELINE: theirs_pct},
            target=f"<= {THROTTLE_TARGET:g} %", met=ours_pct <= THROTTLE_TARGET,
            key={"figure": "scale-throttled", "n": n}),
        Row(f"{label}: wall time / quota-bound ideal (calls that got through / rate)", ours_wall,
            {BASELINE: theirs_wall}, target=f"<= {WALL_TARGET:g}",
            met=ours_wall is not None and ours_wall <= WALL_TARGET,
            note=f"cloudforge {ours.wall:.0f} s, baseline {theirs.wall:.0f} s (the baseline does less: its failed resources stop early)",
            key={"figure": "scale-wall", "n": n}),
    ]


def measure(quick: bool = False) -> Section:
    use_fake_credentials()
    for name in ("CLOUDFORGE_READ_RATE", "CLOUDFORGE_WRITE_RATE"):
        os.environ.pop(name, None)  # the defaults are what is measured here
    os.environ.pop("CLOUDFORGE_PHASE", None)
    os.environ.pop("CLOUDFORGE_REFRESH", None)
    chosen = sizes()[:1] if quick else sizes()
    section = Section(
        title="7. Deploy at scale under a quota",
        method=(
            f"SecurityProfiles created from an empty local cloud started as `cloudforge local --rate "
            f"{RATE:g} --retry-after {STEP} --latency {LATENCY:g}` (in-process). cloudforge: one App, "
            "all resources under asyncio.gather, default limiter and bounds. Baseline: "
            "terraform-provider-awscc's strategy (32 at a time, the SDK's standard retry of 3 "
            "attempts then failure, a 1 s doubling waiter, a read after create). Calls and "
            "throttles from the local cloud; the ideal is the calls that got through at the "
            f"quota's {RATE:g}/s. Sizes: {', '.join(f'{n:,}' for n in chosen)} "
            "(CLOUDFORGE_BENCH_SCALE)."
        ),
        baselines=[BASELINE],
    )
    with strict_cloud() as cloud:
        for n in chosen:
            ours = run_cloudforge(cloud, n)
            theirs = run_awscc(cloud, n)
            section.rows += rows(n, ours, theirs)
    return section
