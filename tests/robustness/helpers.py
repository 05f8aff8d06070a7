"""Helpers of the robustness suites: a Connect instance in the local cloud, and a census of
the security profiles the cloud holds, to check "exactly once, nothing orphaned"."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
from cloudforge.state import SqliteState

from tests.robustness.crash_program import declared

PROFILE = "AWS::Connect::SecurityProfile"


def connect_instance(alias: str = "robust") -> str:
    return str(
        boto3.client("connect").create_instance(
            IdentityManagementType="CONNECT_MANAGED",
            InstanceAlias=alias,
            InboundCallsEnabled=True,
            OutboundCallsEnabled=True,
        )["Arn"]
    )


def cloud_profiles(instance_arn: str) -> list[dict[str, Any]]:
    """Every security profile the local cloud holds in the instance (all pages)."""
    client = boto3.client("cloudcontrol")
    found: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {
        "TypeName": PROFILE,
        "ResourceModel": json.dumps({"InstanceArn": instance_arn}),
    }
    while True:
        out = client.list_resources(**kwargs)
        for item in out["ResourceDescriptions"]:
            found.append({"Identifier": item["Identifier"], **json.loads(item["Properties"])})
        if not out.get("NextToken"):
            return found
        kwargs["NextToken"] = out["NextToken"]




def pending_records(state_dir: Path, stage: str = "crash/suite") -> int:
    backend = SqliteState(state_dir)
    try:
        records = backend.load(stage).records.values()
    finally:
        backend.close()
    return sum(1 for r in records if r.status == "pending")


def assert_converged(state_dir: Path, arn: str, version: str) -> None:
    wanted = declared(version, arn)
    in_cloud = cloud_profiles(arn)
    names = Counter(p["SecurityProfileName"] for p in in_cloud)
    assert names == Counter(p["SecurityProfileName"] for p in wanted.values()), (
        f"{version}: the cloud holds {sorted(names.elements())}"
    )
    backend = SqliteState(state_dir)
    try:
        records = backend.load("crash/suite").records
    finally:
        backend.close()
    assert sorted(records) == sorted(wanted), f"{version}: state holds {sorted(records)}"
    assert all(r.status == "ready" and r.pending_token is None for r in records.values())
    assert {r.identifier for r in records.values()} == {p["Identifier"] for p in in_cloud}
    for logical_id, props in wanted.items():
        live = next(p for p in in_cloud if p["Identifier"] == records[logical_id].identifier)
        assert live["SecurityProfileName"] == props["SecurityProfileName"]
        assert live["Description"] == props["Description"]
