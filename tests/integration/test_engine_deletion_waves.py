"""Deletion waves under faults: resources the program declared together are deleted together.

Re-submissions (throttled handlers), API-level throttling and later runs that update or replace
every resource at once must not make them look dependent on each other: the orphan pass of the
run that drops them all deletes them in one wave, not one at a time.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from cloudforge import App
from cloudforge.aws.connect import SecurityProfile
from cloudforge.engine.ordering import deletion_waves
from cloudforge.events import ResourceEvent
from cloudforge.local import LocalCloud
from cloudforge.state.backends import open_backend

from tests.local_helpers import connect_instance

COUNT = 20
SCOPE = "waves/test"


@pytest.fixture
def instance_arn(local_cloud: LocalCloud) -> str:
    return connect_instance("waves")


def run(state_dir: Path, instance_arn: str, version: str) -> list[ResourceEvent]:
    """Deploy COUNT profiles concurrently ("" declares none); the run's events, in order."""
    events: list[ResourceEvent] = []

    async def main() -> None:
        async with App("waves", stage="test", state=state_dir, listeners=[events.append]):
            if version:
                await asyncio.gather(
                    *(
                        SecurityProfile(
                            f"p{i:02d}",
                            InstanceArn=instance_arn,
                            SecurityProfileName=f"Wave-{i:02d}{'-r' if version == 'v3' else ''}",
                            Description=version,
                        )
                        for i in range(COUNT)
                    )
                )

    asyncio.run(main())
    return events


def delete_order(events: list[ResourceEvent]) -> list[str]:
    return [
        e.status for e in events if e.action == "delete" and e.status in ("started", "succeeded")
    ]


def waves_in_state(state_dir: Path) -> list[int]:
    backend = open_backend(state_dir)
    try:
        return [len(wave) for wave in deletion_waves(backend.load(SCOPE).records.values())]
    finally:
        backend.close()


def test_profiles_created_updated_and_replaced_together_under_faults_go_in_one_wave(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    faults = local_cloud.faults
    state_dir = tmp_path / "state"
    for version in ("v1", "v2", "v3"):  # created, then updated, then replaced: all together
        # Each run: the first API calls throttled (retried in the client) and the first
        # requests ending FAILED with Throttling (re-submitted by the engine, later).
        throttled = faults.throttle(first=COUNT)
        resubmitted = faults.fail_handler("Throttling", first=COUNT // 4)
        run(state_dir, instance_arn, version)
        assert throttled.fired == COUNT and resubmitted.fired == COUNT // 4  # really happened
        assert waves_in_state(state_dir) == [COUNT], version
    order = delete_order(run(state_dir, instance_arn, ""))
    # One wave: every delete starts before the first one finishes.
    assert order == ["started"] * COUNT + ["succeeded"] * COUNT


def test_a_resource_awaited_after_another_is_deleted_before_it(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    # The same run rewrites both, but `second` is awaited only once `first` is ready again,
    # so it may refer to it: two waves, second first.
    state_dir = tmp_path / "state"

    async def chain(description: str) -> None:
        async with App("waves", stage="test", state=state_dir):
            first = await SecurityProfile(
                "first", InstanceArn=instance_arn, SecurityProfileName="First",
                Description=description,
            )
            await SecurityProfile(
                "second", InstanceArn=instance_arn, SecurityProfileName="Second",
                Description=f"{description} after {first.SecurityProfileName}",
            )

    asyncio.run(chain("one"))
    asyncio.run(chain("two"))
    events = run(state_dir, instance_arn, "")
    deletes = [
        (e.logical_id, e.status)
        for e in events
        if e.action == "delete" and e.status in ("started", "succeeded")
    ]
    assert deletes == [
        ("second", "started"), ("second", "succeeded"), ("first", "started"), ("first", "succeeded")
    ]
