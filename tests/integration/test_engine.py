"""The engine end to end: the seed's SecurityProfiles against the local cloud over HTTP.

Each test drives `App` + the generated `SecurityProfile` exactly as a user program does, and
checks the result in the local cloud with a plain boto3 Cloud Control client.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from cloudforge import App
from cloudforge.aws.connect import SecurityProfile
from cloudforge.engine.plan import UNKNOWN
from cloudforge.errors import (
    AlreadyExistsError,
    CloudforgeError,
    RequestFailedError,
    RequestTimeoutError,
)
from cloudforge.events import ResourceEvent
from cloudforge.local import LocalCloud
from cloudforge.local import operations as local_operations

from tests.local_helpers import connect_instance, run_held

TYPE = "AWS::Connect::SecurityProfile"
WRITES = ("CreateResource", "UpdateResource", "DeleteResource")

Program = Callable[[str], Awaitable[None]]


@pytest.fixture
def instance_arn(local_cloud: LocalCloud) -> str:
    return connect_instance("engine-tests")


def seed_profiles(instance_arn: str, **changes: dict[str, Any] | None) -> list[SecurityProfile]:
    """The seed's four examples; `changes` overrides properties per logical id (None drops one)."""
    examples: dict[str, dict[str, Any]] = {
        "basicSecurityProfile": {
            "SecurityProfileName": "BasicProfile",
            "Description": "A basic security profile with limited permissions.",
            "Permissions": ["connect:StartChatContact", "connect:StopContact"],
        },
        "advancedSecurityProfile": {
            "SecurityProfileName": "AdvancedProfile",
            "Description": "An advanced security profile with comprehensive permissions.",
            "Permissions": [
                "connect:StartOutboundVoiceContact",
                "connect:UpdateContactAttributes",
                "connect:ViewContact",
            ],
            "AllowedAccessControlTags": [
                {"Key": "Department", "Value": "Support"},
                {"Key": "Region", "Value": "US-East"},
            ],
        },
        "taggedSecurityProfile": {
            "SecurityProfileName": "TaggedProfile",
            "Permissions": ["connect:CreateUser", "connect:DeleteUser"],
            "TagRestrictedResources": [f"{instance_arn}/user/12345678"],
            "HierarchyRestrictedResources": [f"{instance_arn}/hierarchy/1"],
        },
        "adoptedSecurityProfile": {"SecurityProfileName": "AdoptedProfile", "adopt": True},
    }
    profiles = []
    for logical_id, props in examples.items():
        if logical_id in changes and changes[logical_id] is None:
            continue
        props = {**props, **(changes.get(logical_id) or {})}
        declared = {k: v for k, v in props.items() if v is not None}
        profiles.append(SecurityProfile(logical_id, InstanceArn=instance_arn, **declared))
    return profiles


def run(state_dir: Path, *resources: SecurityProfile, **app_args: Any) -> App:
    async def main() -> App:
        async with App("contact-center", stage="test", state_dir=state_dir, **app_args) as app:
            await asyncio.gather(*resources)
        return app

    return asyncio.run(main())


def live_profiles(instance_arn: str) -> dict[str, dict[str, Any]]:
    """SecurityProfileName -> properties, as the cloud has them."""
    client = boto3.client("cloudcontrol")
    found = {}
    for page in client.get_paginator("list_resources").paginate(
        TypeName=TYPE, ResourceModel=json.dumps({"InstanceArn": instance_arn})
    ):
        for description in page["ResourceDescriptions"]:
            props = json.loads(
                client.get_resource(TypeName=TYPE, Identifier=description["Identifier"])[
                    "ResourceDescription"
                ]["Properties"]
            )
            found[props["SecurityProfileName"]] = props
    return found


def writes(cloud: LocalCloud) -> int:
    calls = cloud.calls()
    return sum(calls[name] for name in WRITES)


def test_seed_examples_create_then_rerun_is_a_noop(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    profiles = seed_profiles(instance_arn)
    app = run(tmp_path, *profiles)
    assert sorted(c.action for c in app.changes) == ["create"] * 3 + ["create"]
    live = live_profiles(instance_arn)
    assert sorted(live) == ["AdoptedProfile", "AdvancedProfile", "BasicProfile", "TaggedProfile"]
    basic = profiles[0]
    assert basic.SecurityProfileArn == live["BasicProfile"]["SecurityProfileArn"]
    assert basic.SecurityProfileArn.startswith(instance_arn + "/security-profile/")
    assert live["AdvancedProfile"]["AllowedAccessControlTags"] == [
        {"Key": "Department", "Value": "Support"},
        {"Key": "Region", "Value": "US-East"},
    ]

    local_cloud.reset_calls()
    again = seed_profiles(instance_arn)
    app = run(tmp_path, *again)
    assert sum(local_cloud.calls().values()) == 0  # not even a read
    assert [c.action for c in app.changes] == ["noop"] * 4
    assert again[0].SecurityProfileArn == basic.SecurityProfileArn  # attributes from state


def test_description_change_sends_a_patch_of_that_path_only(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(tmp_path, *seed_profiles(instance_arn))
    patches: list[Any] = []
    update = local_operations.OPERATIONS["UpdateResource"]

    def recording_update(backend: Any, body: dict[str, Any]) -> dict[str, Any]:
        patches.append(json.loads(body["PatchDocument"]))
        return update(backend, body)

    monkeypatch.setitem(local_operations.OPERATIONS, "UpdateResource", recording_update)
    local_cloud.reset_calls()
    changed = seed_profiles(instance_arn, basicSecurityProfile={"Description": "Now with more."})
    app = run(tmp_path, *changed)

    assert patches == [[{"op": "replace", "path": "/Description", "value": "Now with more."}]]
    assert writes(local_cloud) == 1
    (update_change,) = [c for c in app.changes if c.action == "update"]
    assert [(d.path, d.after) for d in update_change.diff] == [("/Description", "Now with more.")]
    live = live_profiles(instance_arn)["BasicProfile"]
    assert live["Description"] == "Now with more."
    assert sorted(live["Permissions"]) == ["connect:StartChatContact", "connect:StopContact"]


def test_reordered_unordered_list_is_not_a_change(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    run(tmp_path, *seed_profiles(instance_arn))
    local_cloud.reset_calls()
    reordered = seed_profiles(
        instance_arn,
        basicSecurityProfile={"Permissions": ["connect:StopContact", "connect:StartChatContact"]},
    )
    run(tmp_path, *reordered, refresh=True)  # even compared with the live state
    assert writes(local_cloud) == 0


def test_name_change_replaces_the_profile(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    first = seed_profiles(instance_arn)
    run(tmp_path, *first)
    old_arn = first[0].SecurityProfileArn
    renamed = seed_profiles(instance_arn, basicSecurityProfile={"SecurityProfileName": "Renamed"})
    app = run(tmp_path, *renamed)

    (replace,) = [c for c in app.changes if c.action == "replace"]
    assert replace.logical_id == "basicSecurityProfile"
    assert "/SecurityProfileName" in replace.detail
    assert renamed[0].SecurityProfileArn != old_arn
    live = live_profiles(instance_arn)
    assert "BasicProfile" not in live
    assert live["Renamed"]["SecurityProfileArn"] == renamed[0].SecurityProfileArn
    client = boto3.client("cloudcontrol")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_resource(TypeName=TYPE, Identifier=old_arn)


def test_a_resource_removed_from_the_program_is_deleted_at_the_end(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    run(tmp_path, *seed_profiles(instance_arn))
    app = run(tmp_path, *seed_profiles(instance_arn, taggedSecurityProfile=None))
    assert [(c.logical_id, c.action, c.status) for c in app.changes if c.action != "noop"] == [
        ("taggedSecurityProfile", "delete", "done")
    ]
    assert "TaggedProfile" not in live_profiles(instance_arn)


def test_orphans_are_kept_when_the_run_fails(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    run(tmp_path, *seed_profiles(instance_arn))

    async def failing() -> None:
        async with App("contact-center", stage="test", state_dir=tmp_path) as app:
            await seed_profiles(instance_arn)[0]
            raise RuntimeError("the program broke")
        assert app  # pragma: no cover

    events: list[ResourceEvent] = []
    from cloudforge.events import subscribe

    unsubscribe = subscribe(events.append)
    try:
        with pytest.raises(RuntimeError):
            asyncio.run(failing())
    finally:
        unsubscribe()
    assert len(live_profiles(instance_arn)) == 4
    skipped = [e for e in events if e.status == "skipped"]
    assert {e.logical_id for e in skipped} == {
        "advancedSecurityProfile",
        "taggedSecurityProfile",
        "adoptedSecurityProfile",
    }
    assert all("failed" in e.detail for e in skipped)


def test_destroy_leaves_the_stage_and_the_cloud_empty(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    profiles = seed_profiles(instance_arn)
    run(tmp_path, *profiles)
    order = [p.logical_id for p in profiles]
    app = run(tmp_path, *seed_profiles(instance_arn), phase="destroy")
    deletes = [c for c in app.changes if c.action == "delete"]
    assert all(c.status == "done" for c in deletes)
    assert live_profiles(instance_arn) == {}
    assert sorted(c.logical_id for c in deletes) == sorted(order)
    local_cloud.reset_calls()
    app = run(tmp_path, phase="plan")
    assert app.changes == []  # nothing left in the stage
    assert sum(local_cloud.calls().values()) == 0


def test_destroy_goes_in_reverse_creation_order(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    async def program() -> None:
        async with App("contact-center", stage="test", state_dir=tmp_path):
            for profile in seed_profiles(instance_arn):
                await profile  # one after the other: a known creation order

    asyncio.run(program())
    app = run(tmp_path, phase="destroy")
    assert [c.logical_id for c in app.changes] == [
        "adoptedSecurityProfile",
        "taggedSecurityProfile",
        "advancedSecurityProfile",
        "basicSecurityProfile",
    ]


def create_out_of_band(instance_arn: str, name: str, description: str) -> str:
    client = boto3.client("cloudcontrol")
    event = client.create_resource(
        TypeName=TYPE,
        DesiredState=json.dumps(
            {"InstanceArn": instance_arn, "SecurityProfileName": name, "Description": description}
        ),
    )["ProgressEvent"]
    client.get_waiter("resource_request_success").wait(
        RequestToken=event["RequestToken"], WaiterConfig={"Delay": 1}
    )
    status = client.get_resource_request_status(RequestToken=event["RequestToken"])
    return str(status["ProgressEvent"]["Identifier"])


def test_adopt_takes_over_an_existing_profile_and_updates_it(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    arn = create_out_of_band(instance_arn, "AdoptedProfile", "made by hand")
    adopted = SecurityProfile(
        "adoptedSecurityProfile",
        InstanceArn=instance_arn,
        SecurityProfileName="AdoptedProfile",
        Permissions=["connect:ViewContact"],
        adopt=True,
    )
    local_cloud.reset_calls()
    app = run(tmp_path, adopted)
    assert [c.action for c in app.changes] == ["adopt"]
    assert adopted.SecurityProfileArn == arn
    # Found before creating: the only write is the update to the declared permissions.
    assert local_cloud.calls()["CreateResource"] == 0
    assert local_cloud.calls()["UpdateResource"] == 1
    live = live_profiles(instance_arn)
    assert list(live) == ["AdoptedProfile"]  # no duplicate
    assert live["AdoptedProfile"]["Permissions"] == ["connect:ViewContact"]
    assert live["AdoptedProfile"]["Description"] == "made by hand"  # not declared: left as found

    local_cloud.reset_calls()
    again = SecurityProfile(
        "adoptedSecurityProfile",
        InstanceArn=instance_arn,
        SecurityProfileName="AdoptedProfile",
        Permissions=["connect:ViewContact"],
        adopt=True,
    )
    assert [c.action for c in run(tmp_path, again).changes] == ["noop"]
    assert writes(local_cloud) == 0


def test_without_adopt_an_existing_profile_is_an_error_naming_adopt(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    create_out_of_band(instance_arn, "Taken", "made by hand")
    clash = SecurityProfile("clash", InstanceArn=instance_arn, SecurityProfileName="Taken")
    with pytest.raises(AlreadyExistsError, match=r"adopt=True"):
        run(tmp_path, clash)
    assert len(live_profiles(instance_arn)) == 1
    # Nothing half-made is left in state: the next run plans a create again.
    app = run(tmp_path, SecurityProfile("clash", InstanceArn=instance_arn, SecurityProfileName="Taken"), phase="plan")
    assert [c.action for c in app.changes] == ["create"]


def test_plan_reports_actions_and_makes_no_write_call(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    run(tmp_path, *seed_profiles(instance_arn, adoptedSecurityProfile=None))
    local_cloud.reset_calls()
    planned = seed_profiles(
        instance_arn,
        basicSecurityProfile={"Description": "changed"},
        advancedSecurityProfile={"SecurityProfileName": "AdvancedRenamed"},
        taggedSecurityProfile=None,
    )
    events: list[ResourceEvent] = []
    app = run(tmp_path, *planned, phase="plan", listeners=[events.append])
    actions = {c.logical_id: c.action for c in app.changes}
    assert actions == {
        "basicSecurityProfile": "update",
        "advancedSecurityProfile": "replace",
        "adoptedSecurityProfile": "create",
        "taggedSecurityProfile": "delete",
    }
    assert all(c.status == "planned" for c in app.changes)
    update = next(c for c in app.changes if c.action == "update")
    assert [(d.path, d.before, d.after) for d in update.diff] == [
        ("/Description", "A basic security profile with limited permissions.", "changed")
    ]
    assert writes(local_cloud) == 0
    # The one read: looking for an existing profile for the adopt=True resource.
    assert local_cloud.calls() == {"ListResources": 1}
    assert {e.status for e in events} == {"planned"}
    created = next(p for p in planned if p.logical_id == "adoptedSecurityProfile")
    assert created.SecurityProfileArn is UNKNOWN
    assert "unknown" in repr(created.SecurityProfileArn)
    assert planned[0].SecurityProfileArn.startswith(instance_arn)  # known from state
    # Nothing changed: the plan wrote nothing.
    assert sorted(live_profiles(instance_arn)) == ["AdvancedProfile", "BasicProfile", "TaggedProfile"]


def test_refresh_recreates_what_was_deleted_and_patches_back_drift(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    profiles = seed_profiles(instance_arn, adoptedSecurityProfile=None)
    run(tmp_path, *profiles)
    client = boto3.client("cloudcontrol")
    basic_arn, advanced_arn = profiles[0].SecurityProfileArn, profiles[1].SecurityProfileArn
    for request in (
        client.delete_resource(TypeName=TYPE, Identifier=basic_arn),
        client.update_resource(
            TypeName=TYPE,
            Identifier=advanced_arn,
            PatchDocument=json.dumps([{"op": "replace", "path": "/Description", "value": "drifted"}]),
        ),
    ):
        client.get_waiter("resource_request_success").wait(
            RequestToken=request["ProgressEvent"]["RequestToken"], WaiterConfig={"Delay": 1}
        )
    planned = run(
        tmp_path, *seed_profiles(instance_arn, adoptedSecurityProfile=None), refresh=True, phase="plan"
    )
    assert {c.logical_id: c.detail for c in planned.changes if c.action != "noop"} == {
        "basicSecurityProfile": "drift: deleted out of band",
        "advancedSecurityProfile": "drift: changed out of band",
    }
    again = seed_profiles(instance_arn, adoptedSecurityProfile=None)
    app = run(tmp_path, *again, refresh=True)
    actions = {c.logical_id: c.action for c in app.changes}
    assert actions == {
        "basicSecurityProfile": "create",
        "advancedSecurityProfile": "update",
        "taggedSecurityProfile": "noop",
    }
    live = live_profiles(instance_arn)
    assert live["AdvancedProfile"]["Description"].startswith("An advanced")
    assert live["BasicProfile"]["SecurityProfileArn"] == again[0].SecurityProfileArn != basic_arn


def test_declared_empty_list_is_sent_and_undeclared_property_removed(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    run(tmp_path, *seed_profiles(instance_arn, adoptedSecurityProfile=None))
    changed = seed_profiles(
        instance_arn,
        adoptedSecurityProfile=None,
        basicSecurityProfile={"Permissions": [], "Description": None},
    )
    app = run(tmp_path, *changed)
    update = next(c for c in app.changes if c.action == "update")
    assert sorted((d.path, d.after) for d in update.diff) == [("/Description", None), ("/Permissions", [])]
    live = live_profiles(instance_arn)["BasicProfile"]
    assert live.get("Permissions", []) == []
    assert "Description" not in live


def test_same_logical_id_twice_is_an_error(instance_arn: str, tmp_path: Path) -> None:
    a = SecurityProfile("x", InstanceArn=instance_arn, SecurityProfileName="A")
    b = SecurityProfile("x", InstanceArn=instance_arn, SecurityProfileName="B")
    with pytest.raises(CloudforgeError, match="declared twice"):
        run(tmp_path, a, b, phase="plan")


def test_awaiting_outside_an_app_says_what_to_do(instance_arn: str) -> None:
    async def main() -> None:
        await SecurityProfile("x", InstanceArn=instance_arn, SecurityProfileName="A")

    with pytest.raises(CloudforgeError, match=r"async with App"):
        asyncio.run(main())


def test_adopt_when_the_create_reports_already_exists_late(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lookup before the create misses the profile (a list that lags), so the create runs,
    ends FAILED with AlreadyExists, and adoption finds the profile after all."""
    arn = create_out_of_band(instance_arn, "AdoptedProfile", "made by hand")
    list_resources = local_operations.OPERATIONS["ListResources"]
    lists: list[int] = []

    def lagging_list(backend: Any, body: dict[str, Any]) -> dict[str, Any]:
        lists.append(1)
        if len(lists) == 1:
            return {"TypeName": body["TypeName"], "ResourceDescriptions": []}
        return list_resources(backend, body)

    monkeypatch.setitem(local_operations.OPERATIONS, "ListResources", lagging_list)
    local_cloud.reset_calls()
    adopted = SecurityProfile(
        "adoptedSecurityProfile",
        InstanceArn=instance_arn,
        SecurityProfileName="AdoptedProfile",
        adopt=True,
    )
    app = run(tmp_path, adopted)
    assert [c.action for c in app.changes] == ["adopt"]
    assert adopted.SecurityProfileArn == arn
    assert local_cloud.calls()["CreateResource"] == 1
    assert len(lists) == 2
    assert list(live_profiles(instance_arn)) == ["AdoptedProfile"]


def test_plan_shows_an_adoption_with_its_diff(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    arn = create_out_of_band(instance_arn, "AdoptedProfile", "made by hand")
    local_cloud.reset_calls()
    profile = SecurityProfile(
        "adoptedSecurityProfile",
        InstanceArn=instance_arn,
        SecurityProfileName="AdoptedProfile",
        Description="declared",
        adopt=True,
    )
    app = run(tmp_path, profile, phase="plan")
    (change,) = app.changes
    assert (change.action, change.identifier) == ("adopt", arn)
    assert [(d.path, d.before, d.after) for d in change.diff] == [
        ("/Description", "made by hand", "declared")
    ]
    assert profile.SecurityProfileArn == arn
    assert writes(local_cloud) == 0


def test_a_failed_create_leaves_no_state_and_the_next_run_sends_a_new_request(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    local_cloud.faults.fail_handler("InvalidRequest", first=1, message="injected refusal")
    with pytest.raises(CloudforgeError, match=r"InvalidRequest: injected refusal") as caught:
        run(tmp_path, *seed_profiles(instance_arn)[:1])
    assert caught.value.request_token  # type: ignore[attr-defined]
    app = run(tmp_path, phase="plan")
    assert app.changes == []  # nothing half-made in state
    # Same declared properties: a new ClientToken, so not the old FAILED request again.
    app = run(tmp_path, *seed_profiles(instance_arn)[:1])
    assert [(c.action, c.status) for c in app.changes] == [("create", "done")]
    assert local_cloud.calls()["CreateResource"] == 2
    assert list(live_profiles(instance_arn)) == ["BasicProfile"]


def test_cancelled_request_is_a_failure(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    local_cloud.faults.set_latency(1.0)
    client = boto3.client("cloudcontrol")

    async def cancel_soon() -> None:
        while True:
            await asyncio.sleep(0.05)
            requests = await asyncio.to_thread(
                client.list_resource_requests,
                ResourceRequestStatusFilter={"OperationStatuses": ["IN_PROGRESS"]},
            )
            for summary in requests["ResourceRequestStatusSummaries"]:
                await asyncio.to_thread(
                    client.cancel_resource_request, RequestToken=summary["RequestToken"]
                )
                return

    async def main() -> None:
        async with App("contact-center", stage="test", state_dir=tmp_path):
            await asyncio.gather(seed_profiles(instance_arn)[0], cancel_soon())

    with pytest.raises(RequestFailedError, match=r"create of .* failed: Cancelled"):
        asyncio.run(main())


def test_deleting_an_orphan_already_gone_counts_as_deleted(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    profiles = seed_profiles(instance_arn, adoptedSecurityProfile=None)
    run(tmp_path, *profiles)
    client = boto3.client("cloudcontrol")
    request = client.delete_resource(TypeName=TYPE, Identifier=profiles[2].SecurityProfileArn)
    client.get_waiter("resource_request_success").wait(
        RequestToken=request["ProgressEvent"]["RequestToken"], WaiterConfig={"Delay": 1}
    )
    app = run(tmp_path, *seed_profiles(instance_arn, adoptedSecurityProfile=None, taggedSecurityProfile=None))
    assert [(c.action, c.status) for c in app.changes if c.action == "delete"] == [("delete", "done")]
    assert [c.action for c in run(tmp_path, phase="destroy").changes] == ["delete", "delete"]
    assert live_profiles(instance_arn) == {}


class QuickTimeoutProfile(SecurityProfile):
    """SecurityProfile whose create handler allows no time at all (a fixture for the deadline)."""

    metadata = replace(SecurityProfile.metadata, handlers={**SecurityProfile.metadata.handlers, "create": 0})


def test_a_request_past_its_handler_timeout_is_resumed_by_the_next_run(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    local_cloud.faults.set_latency(0.5)
    slow = QuickTimeoutProfile("slow", InstanceArn=instance_arn, SecurityProfileName="Slow")
    with pytest.raises(RequestTimeoutError, match=r"within 0 minutes .*the next run resumes it") as caught:
        run(tmp_path, slow)
    assert caught.value.request_token  # type: ignore[attr-defined]
    app = run(tmp_path, SecurityProfile("slow", InstanceArn=instance_arn, SecurityProfileName="Slow"))
    assert [(c.action, c.detail) for c in app.changes] == [
        ("create", "resumed the request an earlier run left pending")
    ]
    assert local_cloud.calls()["CreateResource"] == 1
    assert list(live_profiles(instance_arn)) == ["Slow"]


def test_adopt_that_cannot_find_the_existing_resource_says_why(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_out_of_band(instance_arn, "Hidden", "made by hand")

    def empty_list(backend: Any, body: dict[str, Any]) -> dict[str, Any]:
        return {"TypeName": body["TypeName"], "ResourceDescriptions": []}

    monkeypatch.setitem(local_operations.OPERATIONS, "ListResources", empty_list)
    hidden = SecurityProfile("hidden", InstanceArn=instance_arn, SecurityProfileName="Hidden", adopt=True)
    with pytest.raises(AlreadyExistsError) as caught:
        run(tmp_path, hidden)
    message = str(caught.value)
    assert "adopt=True cannot take it over" in message
    assert "SecurityProfileName='Hidden'" in message and "ListResources" in message


def test_a_replaced_resource_keeps_its_place_in_the_deletion_order(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    async def program(first_name: str) -> None:
        async with App("contact-center", stage="test", state_dir=tmp_path):
            await SecurityProfile("first", InstanceArn=instance_arn, SecurityProfileName=first_name)
            await SecurityProfile("second", InstanceArn=instance_arn, SecurityProfileName="Second")

    asyncio.run(program("First"))
    asyncio.run(program("FirstRenamed"))  # replaces "first", created before "second"
    app = run(tmp_path, phase="destroy")
    assert [c.logical_id for c in app.changes] == ["second", "first"]


def test_destroy_deletes_resources_created_together_concurrently(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    profiles = [
        SecurityProfile(f"p{i}", InstanceArn=instance_arn, SecurityProfileName=f"P{i}")
        for i in range(10)
    ]
    run(tmp_path, *profiles)  # gather: none can refer to another
    # One wave: all ten deletes are sent while none may end.
    app = run_held(local_cloud, "DeleteResource", 10, lambda: run(tmp_path, phase="destroy"))
    assert sorted(c.logical_id for c in app.changes) == sorted(p.logical_id for p in profiles)
    assert all(c.status == "done" for c in app.changes)
    assert live_profiles(instance_arn) == {}
    assert local_cloud.calls()["DeleteResource"] == 10
