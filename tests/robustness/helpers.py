"""Helpers of the robustness suites: a Connect instance in the local cloud, and a census of
the security profiles the cloud holds, to check "exactly once, nothing orphaned"."""

from __future__ import annotations

import json
from typing import Any

import boto3

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


