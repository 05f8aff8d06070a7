"""The local cloud's state file: a restart loses no resource and no request; the CLI entry point."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from cloudforge.local import LocalCloud

BUCKET = "AWS::S3::Bucket"


def cc_for(endpoint: str) -> Any:
    return boto3.client("cloudcontrol", endpoint_url=endpoint)


def test_restart_with_a_state_file_keeps_resources_and_requests(tmp_path: Path) -> None:
    state = tmp_path / "cloud.json"
    with LocalCloud(state_file=state) as first:
        cc = cc_for(first.endpoint_url)
        done = cc.create_resource(TypeName=BUCKET, DesiredState='{"BucketName": "kept"}', ClientToken="ct-1")["ProgressEvent"]
        first.faults.set_latency(0.3)
        pending = cc.create_resource(TypeName=BUCKET, DesiredState='{"BucketName": "pending"}')["ProgressEvent"]
        assert cc.get_resource_request_status(RequestToken=pending["RequestToken"])["ProgressEvent"]["OperationStatus"] == "IN_PROGRESS"
    assert state.is_file()

    with LocalCloud(state_file=state) as second:
        cc = cc_for(second.endpoint_url)
        props = json.loads(cc.get_resource(TypeName=BUCKET, Identifier="kept")["ResourceDescription"]["Properties"])
        assert props["Arn"] == "arn:aws:s3:::kept"
        assert cc.get_resource_request_status(RequestToken=done["RequestToken"])["ProgressEvent"]["OperationStatus"] == "SUCCESS"
        # The ClientToken still names the same request after the restart.
        again = cc.create_resource(TypeName=BUCKET, DesiredState='{"BucketName": "kept"}', ClientToken="ct-1")["ProgressEvent"]
        assert again["RequestToken"] == done["RequestToken"]
        # The request in flight finishes on its original schedule: by the time its hint names.
        event = cc.get_resource_request_status(RequestToken=pending["RequestToken"])["ProgressEvent"]
        if event["OperationStatus"] == "IN_PROGRESS":
            time.sleep(max(0.0, event["RetryAfter"].timestamp() - time.time()) + 0.02)
        assert cc.get_resource_request_status(RequestToken=pending["RequestToken"])["ProgressEvent"]["OperationStatus"] == "SUCCESS"
        assert sorted(d["Identifier"] for d in cc.list_resources(TypeName=BUCKET)["ResourceDescriptions"]) == ["kept", "pending"]


def test_without_a_state_file_a_restart_starts_empty() -> None:
    with LocalCloud() as first:
        cc_for(first.endpoint_url).create_resource(TypeName=BUCKET, DesiredState='{"BucketName": "lost"}')
    with LocalCloud() as second, pytest.raises(ClientError) as caught:
        cc_for(second.endpoint_url).get_resource(TypeName=BUCKET, Identifier="lost")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_python_m_cloudforge_local_serves_and_prints_the_endpoint(tmp_path: Path) -> None:
    state = tmp_path / "cli.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "cloudforge.local", "--port", "0", "--state", str(state)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("cloudforge local cloud listening on http://127.0.0.1:")
        endpoint = line.split()[-1]
        cc = cc_for(endpoint)
        token = cc.create_resource(TypeName=BUCKET, DesiredState='{"BucketName": "cli"}')["ProgressEvent"]["RequestToken"]
        assert cc.get_resource_request_status(RequestToken=token)["ProgressEvent"]["OperationStatus"] == "SUCCESS"
        connect = boto3.client("connect", endpoint_url=endpoint)
        assert connect.list_instances()["InstanceSummaryList"] == []
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert proc.returncode == 0  # SIGTERM is a clean stop
    assert "cli" in state.read_text()


def test_the_state_file_survives_a_torn_write_and_restores_moto_buckets(tmp_path: Path) -> None:
    from cloudforge.local import reset_moto

    state = tmp_path / "torn.json"
    with LocalCloud(state_file=state) as first:
        cc = cc_for(first.endpoint_url)
        for name in ("keep-a", "keep-b", "dropped"):
            cc.create_resource(TypeName=BUCKET, DesiredState=json.dumps({"BucketName": name}))
        cc.delete_resource(TypeName=BUCKET, Identifier="dropped")
        cc.list_resources(TypeName=BUCKET)  # settles the delete
    with state.open("a") as handle:
        handle.write('{"resource": {"type_name": "AWS::S3::Bu')  # a crash in the middle of a line
    reset_moto()  # a new process would start with an empty moto

    with LocalCloud(state_file=state) as second:
        cc = cc_for(second.endpoint_url)
        listed = [d["Identifier"] for d in cc.list_resources(TypeName=BUCKET)["ResourceDescriptions"]]
        assert listed == ["keep-a", "keep-b"]
        s3 = boto3.client("s3", endpoint_url=second.endpoint_url)
        assert sorted(b["Name"] for b in s3.list_buckets()["Buckets"]) == ["keep-a", "keep-b"]
    # Opening compacted the journal: one line per resource and request, the torn line gone.
    lines = state.read_text().splitlines()
    assert len(lines) == 2 + 4 and all(json.loads(line) for line in lines)
