"""Figure 5: a one-property change on a large SecurityProfile: the patch sent, and the calls.

The profile carries 499 permissions, 50 tags, 10 applications and every restriction list. Two
changes: its Description, and one permission added (an `insertionOrder: false` array). The
patch is read off the wire (`bench.wire`). Baselines: a full-document patch (every updatable
declared property replaced, as a tool without a diff sends) driven by plain boto3 and botocore's
waiter on an identical profile, and the minimal index-level patch `jsonpatch.make_patch` computes.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import jsonpatch

from bench.cloud import HINTS, client, fresh, use_fake_credentials, without_client_limits
from bench.pollers import botocore_waiter, update
from bench.report import Row, Section
from bench.wire import recording

TYPE_NAME = "AWS::Connect::SecurityProfile"
CREATE_ONLY = ("InstanceArn", "SecurityProfileName")
LATENCY = 2.0
FULL = "full-document patch + botocore waiter"
MINIMAL = "minimal patch (jsonpatch.make_patch)"


def large_profile(instance_arn: str, name: str) -> dict[str, Any]:
    resource = f"{instance_arn}/agent-group"
    return {
        "InstanceArn": instance_arn,
        "SecurityProfileName": name,
        "Description": "A large security profile: every list near its maximum.",
        "Permissions": [f"connect:BenchPermission{i:03d}" for i in range(499)],
        "AllowedAccessControlTags": [{"Key": f"Team{i}", "Value": f"Value{i}"} for i in range(4)],
        "TagRestrictedResources": [f"{resource}/{i}" for i in range(10)],
        "HierarchyRestrictedResources": [f"{resource}/hierarchy/{i}" for i in range(10)],
        "Applications": [
            {
                "Namespace": f"bench.application.{i}",
                "ApplicationPermissions": [f"Action{j}" for j in range(20)],
                "Type": "THIRD_PARTY_APPLICATION",
            }
            for i in range(10)
        ],
        "Tags": [{"Key": f"Tag{i}", "Value": f"Value{i}"} for i in range(50)],
    }


CHANGES = {
    "Description changed": lambda d: {**d, "Description": "The same profile, described anew."},
    "one permission added (to 500)": lambda d: {
        **d,
        "Permissions": [*d["Permissions"], "connect:BenchPermissionAdded"],
    },
}


async def apply(endpoint_url: str, state: Path, document: dict[str, Any]) -> Any:
    from cloudforge import App
    from cloudforge.aws.connect import SecurityProfile

    async with App("bench-update", endpoint_url=endpoint_url, state_dir=state):
        return await SecurityProfile("large", **document)


def full_patch(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"op": "replace" if key in old else "add", "path": f"/{key}", "value": value}
        for key, value in new.items()
        if key not in CREATE_ONLY
    ]


def size(patch: list[Any]) -> float:
    return float(len(json.dumps(patch).encode()))


def measure(quick: bool = False) -> Section:
    from cloudforge.local import LocalCloud

    use_fake_credentials()
    without_client_limits()
    os.environ.pop("CLOUDFORGE_PHASE", None)
    os.environ.pop("CLOUDFORGE_REFRESH", None)
    section = Section(
        title="5. Update",
        method=(
            f"A SecurityProfile of {len(json.dumps(large_profile('x' * 70, 'large')))} bytes "
            f"(499 permissions, 50 tags, 10 applications, every restriction list), created, then "
            f"changed in one property; latency {LATENCY:g} s, RetryAfter {HINTS}. Patch size is the PatchDocument's "
            f"bytes as sent; calls are those of the update run, from the local cloud. The minimal "
            f"patch is a bound, not a strategy: index-level operations on an unordered list go "
            f"wrong when the live order differs from the last-read one."
        ),
        baselines=[FULL, MINIMAL],
    )
    with LocalCloud(port=0, seed=13, retry_after=HINTS) as cloud:
        for label, change in CHANGES.items():
            section.rows += change_rows(cloud, label, change)
    return section


def change_rows(cloud: Any, label: str, change: Any) -> list[Row]:
    # Both profiles are created at latency 0 (not a figure); the latency applies to the updates.
    instance_arn = fresh(cloud, 0.0)
    old = large_profile(instance_arn, "large-cloudforge")
    new = change(old)
    cc = client("cloudcontrol", cloud.endpoint_url)
    base_old = {**old, "SecurityProfileName": "large-baseline"}
    token = cc.create_resource(TypeName=TYPE_NAME, DesiredState=json.dumps(base_old))[
        "ProgressEvent"
    ]["RequestToken"]
    botocore_waiter(cc, token)
    identifier = cc.get_resource_request_status(RequestToken=token)["ProgressEvent"]["Identifier"]
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(apply(cloud.endpoint_url, Path(tmp), old))
        cloud.faults.set_latency(LATENCY)
        cloud.reset_calls()
        with recording() as sent:
            start = time.perf_counter()
            asyncio.run(apply(cloud.endpoint_url, Path(tmp), new))
            ours_wall = time.perf_counter() - start
        ours_calls = float(sum(cloud.calls().values()))
    patches = [
        json.loads(s.json()["PatchDocument"]) for s in sent if s.operation == "UpdateResource"
    ]

    # The baseline updates its own profile, identical but for its name, with plain boto3.
    base_patch = full_patch(base_old, {**new, "SecurityProfileName": "large-baseline"})
    cloud.reset_calls()
    start = time.perf_counter()
    update(cc, botocore_waiter, TYPE_NAME, identifier, base_patch)
    base_wall = time.perf_counter() - start
    base_calls = float(sum(cloud.calls().values()))
    minimal = jsonpatch.make_patch(old, new).patch

    ours_patch = patches[0] if len(patches) == 1 else None
    note = "" if ours_patch is not None else f"{len(patches)} UpdateResource calls sent"
    return [
        Row(
            f"{label}: patch size (bytes)",
            size(ours_patch) if ours_patch is not None else None,
            {FULL: size(base_patch), MINIMAL: size(minimal)},
            note=note,
        ),
        Row(
            f"{label}: patch operations",
            float(len(ours_patch)) if ours_patch is not None else None,
            {FULL: float(len(base_patch)), MINIMAL: float(len(minimal))},
            note=note,
        ),
        Row(f"{label}: Cloud Control calls", ours_calls, {FULL: base_calls, MINIMAL: None}),
        Row(
            f"{label}: wall time / latency",
            ours_wall / LATENCY,
            {FULL: base_wall / LATENCY, MINIMAL: None},
        ),
    ]
