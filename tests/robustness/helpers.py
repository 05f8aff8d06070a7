"""Helpers of the robustness suites: a Connect instance in the local cloud, and a census of
the security profiles the cloud holds, to check "exactly once, nothing orphaned"."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
from cloudforge.state.backends import open_backend
from cloudforge.state.sqlite import ResourceRecord

from tests.robustness.crash_program import declared

PROFILE = "AWS::Connect::SecurityProfile"


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


def records_of(state: Path | str, stage: str) -> dict[str, ResourceRecord]:
    """The records of a stage, read from a state folder or s3:// URL."""
    backend = open_backend(state)
    try:
        return backend.load(stage).records
    finally:
        backend.close()


def pending_records(state: Path | str, stage: str = "crash/suite") -> int:
    return sum(1 for r in records_of(state, stage).values() if r.status == "pending")


def assert_converged(state: Path | str, arn: str, version: str) -> None:
    wanted = declared(version, arn)
    in_cloud = cloud_profiles(arn)
    names = Counter(p["SecurityProfileName"] for p in in_cloud)
    assert names == Counter(p["SecurityProfileName"] for p in wanted.values()), (
        f"{version}: the cloud holds {sorted(names.elements())}"
    )
    records = records_of(state, "crash/suite")
    assert sorted(records) == sorted(wanted), f"{version}: state holds {sorted(records)}"
    assert all(r.status == "ready" and r.pending_token is None for r in records.values())
    assert {r.identifier for r in records.values()} == {p["Identifier"] for p in in_cloud}
    for logical_id, props in wanted.items():
        live = next(p for p in in_cloud if p["Identifier"] == records[logical_id].identifier)
        assert live["SecurityProfileName"] == props["SecurityProfileName"]
        assert live["Description"] == props["Description"]
