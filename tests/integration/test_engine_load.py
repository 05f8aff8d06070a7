"""Many resources at once: concurrency that overlaps latencies, convergence under injected faults.

These suites are about overlap and convergence, not pacing: the client's rate limiter is off
here (CLOUDFORGE_*_RATE=off); tests/integration/test_engine_politeness.py covers it.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from cloudforge import App
from cloudforge.aws.connect import SecurityProfile
from cloudforge.local import LocalCloud

from tests.local_helpers import connect_instance, run_held

pytestmark = pytest.mark.slow  # hundreds of resources

TYPE = "AWS::Connect::SecurityProfile"


@pytest.fixture(autouse=True)
def _no_client_rate_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFORGE_READ_RATE", "off")
    monkeypatch.setenv("CLOUDFORGE_WRITE_RATE", "off")


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


def deploy(state_dir: Path, resources: list[SecurityProfile], **options: Any) -> App:
    async def main() -> App:
        async with App("load", stage="test", state_dir=state_dir, **options) as app:
            await asyncio.gather(*resources)
        return app

    return asyncio.run(main())


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
    # All 100 creates are sent while none may end: they are in flight together (the bound on
    # operations in flight is raised to let them; its own test is in test_engine_politeness.py).
    resources = profiles(instance_arn, 100)
    app = run_held(
        local_cloud, "CreateResource", 100,
        lambda: deploy(tmp_path, resources, max_operations=100),
    )
    assert len(live_names(instance_arn)) == 100
    assert all(c.action == "create" and c.status == "done" for c in app.changes)
    assert local_cloud.calls()["CreateResource"] == 100


def test_creates_poll_when_the_cloud_says_to(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    # Each request answers RetryAfter = its end: the engine sleeps until then and reads the
    # status about once per create, not in a tight loop (how long that takes: `make bench`, 3).
    local_cloud.faults.set_latency(1.0)
    app = deploy(tmp_path, profiles(instance_arn, 20))
    assert all(c.action == "create" and c.status == "done" for c in app.changes)
    calls = local_cloud.calls()
    assert calls["CreateResource"] == 20
    assert calls["GetResourceRequestStatus"] <= 2 * 20  # about one poll each


def test_50_resources_converge_under_throttling_and_handler_failures(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    local_cloud.faults.set_latency(0.05)
    local_cloud.faults.throttle(probability=0.3)
    local_cloud.faults.fail_handler("Throttling", probability=0.2)
    local_cloud.faults.fail_handler("InternalFailure", first=3)
    app = deploy(tmp_path, profiles(instance_arn, 50))
    assert sorted(live_names(instance_arn)) == sorted(f"Profile{i}" for i in range(50))  # once each
    assert all(c.status == "done" for c in app.changes)

    # Under the same faults, an update of all 50 converges too, and a rerun is a no-op.
    app = deploy(tmp_path, profiles(instance_arn, 50, description="updated"))
    assert [c.action for c in app.changes] == ["update"] * 50
    local_cloud.faults.clear()
    local_cloud.reset_calls()
    app = deploy(tmp_path, profiles(instance_arn, 50, description="updated"))
    assert {c.action for c in app.changes} == {"noop"}
    assert sum(local_cloud.calls().values()) == 0


def test_1000_unchanged_resources_redeploy_without_a_call(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    deploy(tmp_path, profiles(instance_arn, 1000))
    local_cloud.reset_calls()
    again = profiles(instance_arn, 1000)
    app = deploy(tmp_path, again)  # how long it takes: `make bench`, figure 4
    assert sum(local_cloud.calls().values()) == 0
    assert {c.action for c in app.changes} == {"noop"}
    assert all(p.SecurityProfileArn.startswith(instance_arn) for p in again)
