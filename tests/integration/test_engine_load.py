"""Many resources at once: concurrency that overlaps latencies, convergence under injected faults."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import boto3
import pytest
from cloudforge import App
from cloudforge.aws.connect import SecurityProfile
from cloudforge.local import LocalCloud

from tests.local_helpers import connect_instance

TYPE = "AWS::Connect::SecurityProfile"


@pytest.fixture
def instance_arn(local_cloud: LocalCloud) -> str:
    return connect_instance("load")


def profiles(instance_arn: str, count: int, description: str = "load") -> list[SecurityProfile]:
    return [
        SecurityProfile(
            f"profile{i}",
            InstanceArn=instance_arn,
            SecurityProfileName=f"Profile{i}",
            Description=description,
            Permissions=["connect:ViewContact"],
        )
        for i in range(count)
    ]


def deploy(state_dir: Path, resources: list[SecurityProfile]) -> tuple[App, float]:
    async def main() -> App:
        async with App("load", stage="test", state_dir=state_dir) as app:
            await asyncio.gather(*resources)
        return app

    started = time.monotonic()
    app = asyncio.run(main())
    return app, time.monotonic() - started


def live_names(instance_arn: str) -> list[str]:
    client = boto3.client("cloudcontrol")
    names = []
    for page in client.get_paginator("list_resources").paginate(
        TypeName=TYPE, ResourceModel=json.dumps({"InstanceArn": instance_arn})
    ):
        names += [json.loads(d["Properties"])["SecurityProfileName"] for d in page["ResourceDescriptions"]]
    return names


def test_100_concurrent_creates_overlap(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    latency = 1.0
    local_cloud.faults.set_latency(latency)
    _, one = deploy(tmp_path / "one", profiles(instance_arn, 1))
    local_cloud.reset()
    arn = connect_instance("load2")
    local_cloud.faults.set_latency(latency)
    app, hundred = deploy(tmp_path / "hundred", profiles(arn, 100))
    ratio = hundred / one
    print(f"\n1 create: {one:.2f} s; 100 concurrent creates: {hundred:.2f} s; ratio {ratio:.2f}; "
          f"sum of latencies {100 * latency:.0f} s")
    assert len(live_names(arn)) == 100
    assert all(c.action == "create" and c.status == "done" for c in app.changes)
    assert one < latency + 0.5  # completion noticed promptly (RetryAfter)
    assert hundred < 100 * latency / 10  # well under the sum of the latencies
    calls = local_cloud.calls()
    assert calls["CreateResource"] == 100
    assert calls["GetResourceRequestStatus"] <= 200  # about one poll each


def test_50_resources_converge_under_throttling_and_handler_failures(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    local_cloud.faults.set_latency(0.05)
    local_cloud.faults.throttle(probability=0.3)
    local_cloud.faults.fail_handler("Throttling", probability=0.2)
    local_cloud.faults.fail_handler("InternalFailure", first=3)
    app, _ = deploy(tmp_path, profiles(instance_arn, 50))
    assert sorted(live_names(instance_arn)) == sorted(f"Profile{i}" for i in range(50))  # once each
    assert all(c.status == "done" for c in app.changes)

    # Under the same faults, an update of all 50 converges too, and a rerun is a no-op.
    app, _ = deploy(tmp_path, profiles(instance_arn, 50, description="updated"))
    assert [c.action for c in app.changes] == ["update"] * 50
    local_cloud.faults.clear()
    local_cloud.reset_calls()
    app, _ = deploy(tmp_path, profiles(instance_arn, 50, description="updated"))
    assert {c.action for c in app.changes} == {"noop"}
    assert sum(local_cloud.calls().values()) == 0


def test_1000_unchanged_resources_redeploy_in_about_a_second_without_a_call(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    deploy(tmp_path, profiles(instance_arn, 1000))
    local_cloud.reset_calls()
    again = profiles(instance_arn, 1000)
    app, elapsed = deploy(tmp_path, again)
    print(f"\n1,000-resource no-op redeploy: {elapsed:.2f} s")
    assert sum(local_cloud.calls().values()) == 0
    assert {c.action for c in app.changes} == {"noop"}
    assert all(p.SecurityProfileArn.startswith(instance_arn) for p in again)
    assert elapsed < 1.5
