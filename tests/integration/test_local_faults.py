"""Fault injection on the local cloud: throttling, handler failures, HTTP 5xx and latency, seeded."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cloudforge.local import Latency, LocalCloud

BUCKET = "AWS::S3::Bucket"


def client(cloud: LocalCloud, attempts: int = 1) -> Any:
    return boto3.client("cloudcontrol", endpoint_url=cloud.endpoint_url,
                        config=Config(retries={"total_max_attempts": attempts, "mode": "standard"}))


def create(cc: Any, name: str) -> dict[str, Any]:
    event: dict[str, Any] = cc.create_resource(TypeName=BUCKET, DesiredState=json.dumps({"BucketName": name}))["ProgressEvent"]
    return event


def status(cc: Any, token: str) -> dict[str, Any]:
    event: dict[str, Any] = cc.get_resource_request_status(RequestToken=token)["ProgressEvent"]
    return event


def test_throttling_the_first_calls(local_cloud: LocalCloud) -> None:
    cc = client(local_cloud)
    local_cloud.faults.throttle(first=2, operations=("ListResources",))
    for _ in range(2):
        with pytest.raises(ClientError) as caught:
            cc.list_resources(TypeName=BUCKET)
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert caught.value.response["Error"] == {"Code": "ThrottlingException", "Message": "Rate exceeded"}
    assert cc.list_resources(TypeName=BUCKET)["ResourceDescriptions"] == []
    # Other operations were never throttled.
    create(cc, "not-throttled")
    assert local_cloud.calls()["ListResources"] == 3


def test_a_retrying_client_rides_out_throttling_and_5xx(local_cloud: LocalCloud) -> None:
    local_cloud.faults.throttle(first=1)
    local_cloud.faults.http_error(503, first=1)
    cc = client(local_cloud, attempts=5)
    assert create(cc, "retried")["OperationStatus"] == "IN_PROGRESS"
    assert local_cloud.calls()["CreateResource"] == 3


def test_http_5xx_is_an_aws_error(local_cloud: LocalCloud) -> None:
    local_cloud.faults.http_error(500, first=1, type_name=BUCKET)
    with pytest.raises(ClientError) as caught:
        client(local_cloud).get_resource(TypeName=BUCKET, Identifier="x")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert caught.value.response["Error"]["Code"] == "InternalFailure"


def test_handler_failures_end_requests_failed_and_leave_nothing(local_cloud: LocalCloud) -> None:
    cc = client(local_cloud)
    local_cloud.faults.fail_handler("Throttling", first=1, type_name=BUCKET, operations=("CREATE",))
    first = create(cc, "flaky")
    assert first["OperationStatus"] == "IN_PROGRESS"
    failed = status(cc, first["RequestToken"])
    assert (failed["OperationStatus"], failed["ErrorCode"]) == ("FAILED", "Throttling")
    # A re-submitted create succeeds: the failed one reserved nothing.
    assert status(cc, create(cc, "flaky")["RequestToken"])["OperationStatus"] == "SUCCESS"


def test_a_failed_update_leaves_the_resource_as_it_was(local_cloud: LocalCloud) -> None:
    cc = client(local_cloud)
    create(cc, "stable")
    local_cloud.faults.fail_handler("NotStabilized", first=1, operations=("UPDATE",))
    patch = json.dumps([{"op": "add", "path": "/Tags", "value": [{"Key": "a", "Value": "b"}]}])
    event = cc.update_resource(TypeName=BUCKET, Identifier="stable", PatchDocument=patch)["ProgressEvent"]
    assert status(cc, event["RequestToken"])["ErrorCode"] == "NotStabilized"
    props = json.loads(cc.get_resource(TypeName=BUCKET, Identifier="stable")["ResourceDescription"]["Properties"])
    assert "Tags" not in props
    # The resource is free for the next operation.
    event = cc.update_resource(TypeName=BUCKET, Identifier="stable", PatchDocument=patch)["ProgressEvent"]
    assert status(cc, event["RequestToken"])["OperationStatus"] == "SUCCESS"


def outcomes(cloud: LocalCloud) -> list[str]:
    cc = client(cloud)
    cloud.faults.fail_handler("InternalFailure", probability=0.3)
    tokens = [create(cc, f"seeded-{i}")["RequestToken"] for i in range(30)]
    return [status(cc, t)["OperationStatus"] for t in tokens]


def test_probabilistic_failures_repeat_with_the_same_seed(local_cloud: LocalCloud) -> None:
    first = outcomes(local_cloud)
    local_cloud.reset()  # back to the fixture's seed
    second = outcomes(local_cloud)
    assert first == second
    assert 0 < first.count("FAILED") < 30


def test_latency_distribution_and_per_type_latency(local_cloud: LocalCloud) -> None:
    cc = client(local_cloud)
    local_cloud.set_retry_after("exact")  # the hint is the latency drawn: what this test reads
    local_cloud.faults.set_latency(Latency(uniform=(2.0, 3.0)), type_name=BUCKET)
    event = status(cc, create(cc, "slow")["RequestToken"])
    assert event["OperationStatus"] == "IN_PROGRESS"
    wait = (event["RetryAfter"] - event["EventTime"]).total_seconds()
    assert 2.0 <= wait <= 3.0
    # Another type keeps the server-wide latency (none): done at once.
    other = cc.create_resource(TypeName="AWS::SQS::Queue", DesiredState="{}")["ProgressEvent"]
    assert status(cc, other["RequestToken"])["OperationStatus"] == "SUCCESS"


def test_held_requests_stay_in_progress_until_released(local_cloud: LocalCloud) -> None:
    cc = client(local_cloud)
    local_cloud.faults.hold()
    tokens = [create(cc, f"held-{i}")["RequestToken"] for i in range(3)]  # latency 0: due at once
    assert {status(cc, t)["OperationStatus"] for t in tokens} == {"IN_PROGRESS"}
    assert cc.list_resources(TypeName=BUCKET)["ResourceDescriptions"] == []
    local_cloud.faults.release()
    assert {status(cc, t)["OperationStatus"] for t in tokens} == {"SUCCESS"}
    assert len(cc.list_resources(TypeName=BUCKET)["ResourceDescriptions"]) == 3


def test_clearing_the_faults_releases_held_requests(local_cloud: LocalCloud) -> None:
    cc = client(local_cloud)
    local_cloud.faults.hold()
    token = create(cc, "held")["RequestToken"]
    local_cloud.faults.clear()
    assert status(cc, token)["OperationStatus"] == "SUCCESS"
