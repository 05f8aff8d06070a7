"""One channel for outcomes: each resource's outcome is reported once, as an event, and
`App.changes` is exactly what those events say (issue 11)."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cloudforge import App
from cloudforge.aws.connect import SecurityProfile
from cloudforge.errors import RequestTimeoutError
from cloudforge.events import ResourceEvent
from cloudforge.local import LocalCloud

from tests.local_helpers import connect_instance


@pytest.fixture
def instance_arn(local_cloud: LocalCloud) -> str:
    return connect_instance("outcome-tests")


def run(state_dir: Path, *resources: SecurityProfile, **app_args: Any) -> tuple[App, list[ResourceEvent]]:
    events: list[ResourceEvent] = []

    async def main() -> App:
        async with App("outcomes", stage="test", state_dir=state_dir, listeners=[events.append], **app_args) as app:
            await asyncio.gather(*resources)
        return app

    return asyncio.run(main()), events


def outcomes(events: list[ResourceEvent]) -> list[ResourceEvent]:
    return [e for e in events if e.is_outcome]


def assert_one_channel(app: App, events: list[ResourceEvent]) -> None:
    reported = outcomes(events)
    per_resource = Counter(e.logical_id for e in reported)
    assert all(n == 1 for n in per_resource.values()), per_resource
    status = {"planned": "planned", "succeeded": "done", "failed": "failed", "skipped": "skipped"}
    assert [(c.logical_id, c.action, c.status, c.identifier, c.detail, tuple(c.diff)) for c in app.changes] == [
        (e.logical_id, e.action, status[e.status], e.identifier, e.detail, e.diff) for e in reported
    ]


def profile(logical_id: str, arn: str, name: str, description: str) -> SecurityProfile:
    return SecurityProfile(logical_id, InstanceArn=arn, SecurityProfileName=name, Description=description)


def test_every_outcome_is_one_event_and_app_changes_is_built_from_them(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    app, events = run(
        tmp_path,
        profile("kept", instance_arn, "Kept", "v1"),
        profile("renamed", instance_arn, "Old", "v1"),
        profile("orphan", instance_arn, "Orphan", "v1"),
    )
    assert_one_channel(app, events)
    assert sorted((c.logical_id, c.action) for c in app.changes) == [
        ("kept", "create"), ("orphan", "create"), ("renamed", "create")
    ]
    assert all(c.identifier and c.identifier.startswith(instance_arn) for c in app.changes)

    changed = (profile("kept", instance_arn, "Kept", "v2"), profile("renamed", instance_arn, "New", "v1"))
    app, events = run(tmp_path, *changed, phase="plan")
    assert_one_channel(app, events)
    assert sorted((c.logical_id, c.action, c.status) for c in app.changes) == [
        ("kept", "update", "planned"), ("orphan", "delete", "planned"), ("renamed", "replace", "planned")
    ]

    app, events = run(tmp_path, *changed)
    assert_one_channel(app, events)
    assert sorted((c.logical_id, c.action, c.status) for c in app.changes) == [
        ("kept", "update", "done"), ("orphan", "delete", "done"), ("renamed", "replace", "done")
    ]
    update = next(c for c in app.changes if c.action == "update")
    assert [(d.path, d.before, d.after) for d in update.diff] == [("/Description", "v1", "v2")]


class QuickTimeoutProfile(SecurityProfile):
    """SecurityProfile whose create handler allows no time at all."""

    metadata = replace(SecurityProfile.metadata, handlers={**SecurityProfile.metadata.handlers, "create": 0})


def test_a_resumed_request_is_one_outcome(local_cloud: LocalCloud, instance_arn: str, tmp_path: Path) -> None:
    # The resume used to report its own "succeeded" before the resource's outcome: two events.
    local_cloud.faults.set_latency(0.5)
    with pytest.raises(RequestTimeoutError):
        run(tmp_path, QuickTimeoutProfile("slow", InstanceArn=instance_arn, SecurityProfileName="Slow"))
    app, events = run(tmp_path, SecurityProfile("slow", InstanceArn=instance_arn, SecurityProfileName="Slow"))
    assert_one_channel(app, events)
    assert [(e.action, e.status, e.detail) for e in outcomes(events)] == [
        ("create", "succeeded", "resumed the request an earlier run left pending")
    ]
    assert any(e.status == "polling" and e.detail.startswith("resuming ") for e in events)
