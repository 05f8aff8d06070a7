"""The local cloud's resource lifecycle over HTTP with plain boto3 clients (AWS::S3::Bucket).

Facts from AWS's recorded behaviour: Create answers 200 IN_PROGRESS (with Identifier when the
name is given), then SUCCESS; Get shows read-only attributes; Delete answers IN_PROGRESS then
SUCCESS; Get after delete is 400 ResourceNotFoundException "... Handler returned status FAILED:
Bucket not found (HandlerErrorCode: NotFound, RequestToken: ...)".
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from cloudforge.local import LocalCloud

BUCKET = "AWS::S3::Bucket"


@pytest.fixture
def cc(local_cloud: LocalCloud) -> Any:
    return boto3.client("cloudcontrol", endpoint_url=local_cloud.endpoint_url)


def wait(cc: Any, token: str) -> dict[str, Any]:
    cc.get_waiter("resource_request_success").wait(RequestToken=token, WaiterConfig={"Delay": 0.02})
    event: dict[str, Any] = cc.get_resource_request_status(RequestToken=token)["ProgressEvent"]
    return event


def test_bucket_lifecycle_matches_aws(cc: Any, local_cloud: LocalCloud) -> None:
    local_cloud.faults.set_latency(0.05)
    created = cc.create_resource(TypeName=BUCKET, DesiredState=json.dumps({"BucketName": "life-1"}))
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 200
    event = created["ProgressEvent"]
    assert set(event) == {"EventTime", "Identifier", "Operation", "OperationStatus", "RequestToken", "TypeName"}
    polled = cc.get_resource_request_status(RequestToken=event["RequestToken"])["ProgressEvent"]
    assert polled["OperationStatus"] == "IN_PROGRESS"
    assert polled["RetryAfter"] >= polled["EventTime"]  # when the next read is useful
    assert (event["Identifier"], event["Operation"], event["OperationStatus"]) == ("life-1", "CREATE", "IN_PROGRESS")

    done = wait(cc, event["RequestToken"])
    assert set(done) == {"EventTime", "Identifier", "Operation", "OperationStatus", "RequestToken", "TypeName"}
    assert done["OperationStatus"] == "SUCCESS"

    got = cc.get_resource(TypeName=BUCKET, Identifier="life-1")
    assert got["TypeName"] == BUCKET
    assert json.loads(got["ResourceDescription"]["Properties"]) == {
        "BucketName": "life-1",
        "RegionalDomainName": "life-1.s3.us-east-1.amazonaws.com",
        "DomainName": "life-1.s3.amazonaws.com",
        "WebsiteURL": "http://life-1.s3-website-us-east-1.amazonaws.com",
        "DualStackDomainName": "life-1.s3.dualstack.us-east-1.amazonaws.com",
        "Arn": "arn:aws:s3:::life-1",
    }

    deleted = cc.delete_resource(TypeName=BUCKET, Identifier="life-1")["ProgressEvent"]
    assert (deleted["Operation"], deleted["OperationStatus"], deleted["Identifier"]) == ("DELETE", "IN_PROGRESS", "life-1")
    assert wait(cc, deleted["RequestToken"])["OperationStatus"] == "SUCCESS"

    with pytest.raises(ClientError) as caught:
        cc.get_resource(TypeName=BUCKET, Identifier="life-1")
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert error["Error"]["Message"].startswith(
        "AWS::S3::Bucket Handler returned status FAILED: Bucket not found (HandlerErrorCode: NotFound, RequestToken: "
    )
    assert local_cloud.calls()["CreateResource"] == 1
    assert local_cloud.calls()["DeleteResource"] == 1


def test_reset_forgets_resources_and_calls(cc: Any, local_cloud: LocalCloud) -> None:
    token = cc.create_resource(TypeName=BUCKET, DesiredState=json.dumps({"BucketName": "gone"}))["ProgressEvent"]["RequestToken"]
    wait(cc, token)
    local_cloud.reset()
    assert local_cloud.calls() == {}
    assert cc.list_resources(TypeName=BUCKET)["ResourceDescriptions"] == []
    with pytest.raises(ClientError) as caught:
        cc.get_resource_request_status(RequestToken=token)
    assert caught.value.response["Error"]["Code"] == "RequestTokenNotFoundException"
