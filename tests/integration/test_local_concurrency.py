"""Concurrent clients: 200 creates from 16 threads lose nothing and duplicate nothing."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
from botocore.config import Config
from cloudforge.local import LocalCloud

from tests.local_helpers import final_event

BUCKET = "AWS::S3::Bucket"
PROFILE = "AWS::Connect::SecurityProfile"


def clients(cloud: LocalCloud, n: int) -> list[Any]:
    """`n` handles on one client: boto3 clients are thread-safe, and a pool of 16 connections
    lets the 16 threads send at the same time."""
    config = Config(retries={"total_max_attempts": 1, "mode": "standard"}, max_pool_connections=n)
    client = boto3.client("cloudcontrol", endpoint_url=cloud.endpoint_url, config=config)
    return [client] * n


def status_of(cc: Any, token: str) -> dict[str, Any]:
    event: dict[str, Any] = cc.get_resource_request_status(RequestToken=token)["ProgressEvent"]
    return event


def test_200_creates_from_16_threads(local_cloud: LocalCloud) -> None:
    local_cloud.faults.set_latency(0.02)
    pool = clients(local_cloud, 16)
    # 150 distinct names, 50 of them asked for twice: exactly one of each pair may win.
    names = [f"conc-{i:03d}" for i in range(150)] + [f"conc-{i:03d}" for i in range(0, 150, 3)]

    def create(i: int) -> str:
        event = pool[i % 16].create_resource(TypeName=BUCKET, DesiredState=json.dumps({"BucketName": names[i]}))
        token: str = event["ProgressEvent"]["RequestToken"]
        return token

    with ThreadPoolExecutor(16) as executor:
        tokens = list(executor.map(create, range(len(names))))
    assert len(tokens) == 200 and len(set(tokens)) == 200

    events = [final_event(pool[0], t) for t in tokens]
    succeeded = [e["Identifier"] for e in events if e["OperationStatus"] == "SUCCESS"]
    failed = [e for e in events if e["OperationStatus"] == "FAILED"]
    assert sorted(succeeded) == sorted(set(names))
    assert len(failed) == 50 and {e["ErrorCode"] for e in failed} == {"AlreadyExists"}

    listed = [d["Identifier"] for p in pool[0].get_paginator("list_resources").paginate(TypeName=BUCKET)
              for d in p["ResourceDescriptions"]]
    assert sorted(listed) == sorted(set(names))


def test_concurrent_generated_identifiers_are_all_distinct(local_cloud: LocalCloud) -> None:
    connect = boto3.client("connect", endpoint_url=local_cloud.endpoint_url)
    instance = connect.create_instance(IdentityManagementType="CONNECT_MANAGED",
                                       InboundCallsEnabled=True, OutboundCallsEnabled=True)["Arn"]
    pool = clients(local_cloud, 16)

    def create(i: int) -> str:
        state = {"InstanceArn": instance, "SecurityProfileName": f"P{i % 60}"}
        token: str = pool[i % 16].create_resource(TypeName=PROFILE, DesiredState=json.dumps(state))["ProgressEvent"]["RequestToken"]
        return token

    with ThreadPoolExecutor(16) as executor:
        tokens = list(executor.map(create, range(120)))
    events = [status_of(pool[0], t) for t in tokens]
    arns = [e["Identifier"] for e in events if e["OperationStatus"] == "SUCCESS"]
    assert len(arns) == 60 and len(set(arns)) == 60
    assert sum(e.get("ErrorCode") == "AlreadyExists" for e in events) == 60
