"""The local cloud's wire protocol: botocore's waiter and paginators, malformed requests, moto.

Malformed requests are sent as raw HTTP, as a broken client would; each must get an AWS error
shape (`{"__type": ..., "message": ...}`, HTTP 400), never a 500 or a traceback, and the server
must keep serving afterwards.
"""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlparse

import boto3
import pytest
from botocore.exceptions import WaiterError
from cloudforge.local import LocalCloud
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BUCKET = "AWS::S3::Bucket"
OPERATIONS = ["CreateResource", "GetResource", "UpdateResource", "DeleteResource", "ListResources",
              "GetResourceRequestStatus", "CancelResourceRequest", "ListResourceRequests"]


def raw(cloud: LocalCloud, operation: str, body: bytes, target: str | None = None) -> tuple[int, dict[str, Any]]:
    """POST a raw JSON 1.0 request; (HTTP status, decoded JSON body)."""
    url = urlparse(cloud.endpoint_url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=10)
    try:
        conn.request("POST", "/", body=body, headers={
            "X-Amz-Target": target or f"CloudApiService.{operation}",
            "Content-Type": "application/x-amz-json-1.0",
        })
        response = conn.getresponse()
        text = response.read().decode()
    finally:
        conn.close()
    assert "Traceback" not in text
    return response.status, json.loads(text)


def assert_aws_error(status: int, body: dict[str, Any], code: str) -> None:
    assert status == 400
    assert body["__type"] == code
    assert isinstance(body["message"], str) and body["message"]


def test_waiter_succeeds_and_stops_on_failure(cc: Any, local_cloud: LocalCloud) -> None:
    local_cloud.faults.set_latency(0.05)
    token = cc.create_resource(TypeName=BUCKET, DesiredState='{"BucketName": "waited"}')["ProgressEvent"]["RequestToken"]
    cc.get_waiter("resource_request_success").wait(RequestToken=token, WaiterConfig={"Delay": 0.02})
    assert cc.get_resource_request_status(RequestToken=token)["ProgressEvent"]["OperationStatus"] == "SUCCESS"

    again = cc.create_resource(TypeName=BUCKET, DesiredState='{"BucketName": "waited"}')["ProgressEvent"]["RequestToken"]
    with pytest.raises(WaiterError) as caught:
        cc.get_waiter("resource_request_success").wait(RequestToken=again, WaiterConfig={"Delay": 0.02})
    assert caught.value.last_response["ProgressEvent"]["ErrorCode"] == "AlreadyExists"


def test_paginators_walk_every_page(cc: Any, local_cloud: LocalCloud) -> None:
    names = [f"page-{i:02d}" for i in range(7)]
    for name in names:
        cc.create_resource(TypeName=BUCKET, DesiredState=json.dumps({"BucketName": name}))
    pages = list(cc.get_paginator("list_resources").paginate(TypeName=BUCKET, PaginationConfig={"PageSize": 3}))
    assert [len(p["ResourceDescriptions"]) for p in pages] == [3, 3, 1]
    assert [d["Identifier"] for p in pages for d in p["ResourceDescriptions"]] == names

    requests = list(cc.get_paginator("list_resource_requests").paginate(PaginationConfig={"PageSize": 2}))
    assert [len(p["ResourceRequestStatusSummaries"]) for p in requests] == [2, 2, 2, 1]
    tokens = [e["RequestToken"] for p in requests for e in p["ResourceRequestStatusSummaries"]]
    assert len(set(tokens)) == 7


def test_composite_identifiers_are_joined_with_a_bar(cc: Any, local_cloud: LocalCloud) -> None:
    # AWS::SNS::Subscription-like composite ids: a type whose primary identifier has two parts.
    state = {"ApiId": "abc123", "StageName": "prod"}
    event = cc.create_resource(TypeName="AWS::ApiGatewayV2::Stage", DesiredState=json.dumps(state))["ProgressEvent"]
    assert event["Identifier"] == "abc123|prod"
    got = cc.get_resource(TypeName="AWS::ApiGatewayV2::Stage", Identifier="abc123|prod")
    assert json.loads(got["ResourceDescription"]["Properties"])["StageName"] == "prod"


@pytest.mark.parametrize(
    ("operation", "body", "code"),
    [
        ("CreateResource", b"{not json", "SerializationException"),
        ("CreateResource", b"[1, 2]", "SerializationException"),
        ("CreateResource", b'{"TypeName": "AWS::S3::Bucket"}', "ValidationException"),
        ("CreateResource", b'{"DesiredState": "{}"}', "ValidationException"),
        ("CreateResource", b'{"TypeName": "bucket", "DesiredState": "{}"}', "ValidationException"),
        ("CreateResource", b'{"TypeName": "../../etc::passwd::x", "DesiredState": "{}"}', "ValidationException"),
        ("CreateResource", b'{"TypeName": "AWS::S3::Bucket", "DesiredState": "{not json"}', "ValidationException"),
        ("CreateResource", b'{"TypeName": "AWS::S3::Bucket", "DesiredState": "[]"}', "ValidationException"),
        ("CreateResource", b'{"TypeName": "AWS::S3::Bucket", "DesiredState": 5}', "SerializationException"),
        ("CreateResource", b'{"TypeName": 5, "DesiredState": "{}"}', "ValidationException"),
        ("UpdateResource", b'{"TypeName": "AWS::S3::Bucket", "Identifier": "x", "PatchDocument": "{}"}', "ValidationException"),
        ("UpdateResource", b'{"TypeName": "AWS::S3::Bucket", "Identifier": "x", "PatchDocument": "[{\\"op\\": 1}]"}', "ValidationException"),
        ("UpdateResource", b'{"TypeName": "AWS::S3::Bucket", "Identifier": "x"}', "ValidationException"),
        ("GetResource", b'{"TypeName": "AWS::S3::Bucket"}', "ValidationException"),
        ("ListResources", b'{"TypeName": "AWS::S3::Bucket", "MaxResults": 0}', "ValidationException"),
        ("ListResources", b'{"TypeName": "AWS::S3::Bucket", "NextToken": "%%%"}', "ValidationException"),
        ("ListResourceRequests", b'{"ResourceRequestStatusFilter": {"Operations": 5}}', "SerializationException"),
        ("GetResourceRequestStatus", b"{}", "ValidationException"),
        ("Frobnicate", b"{}", "UnknownOperationException"),
    ],
)
def test_malformed_requests_get_aws_error_shapes(local_cloud: LocalCloud, operation: str, body: bytes, code: str) -> None:
    status, answer = raw(local_cloud, operation, body)
    assert_aws_error(status, answer, code)
    # ...and the server keeps serving.
    status, answer = raw(local_cloud, "ListResourceRequests", b"{}")
    assert status == 200 and "ResourceRequestStatusSummaries" in answer


@pytest.mark.parametrize("depth", [70, 100_000])
def test_deeply_nested_documents_are_refused(local_cloud: LocalCloud, depth: int) -> None:
    state = '{"Tags": ' + "[" * depth + "]" * depth + "}"
    status, answer = raw(local_cloud, "CreateResource", json.dumps({"TypeName": BUCKET, "DesiredState": state}).encode())
    assert_aws_error(status, answer, "ValidationException")
    status, answer = raw(local_cloud, "CreateResource", b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    assert_aws_error(status, answer, "SerializationException")


def test_oversized_desired_state_is_refused(local_cloud: LocalCloud) -> None:
    state = json.dumps({"BucketName": "big", "Tags": [{"Key": "k", "Value": "v" * 300_000}]})
    status, answer = raw(local_cloud, "CreateResource", json.dumps({"TypeName": BUCKET, "DesiredState": state}).encode())
    assert_aws_error(status, answer, "ValidationException")
    assert "desiredState" in answer["message"]
    status, answer = raw(local_cloud, "CreateResource", b'{"TypeName": "x", "pad": "' + b"a" * 2_000_000 + b'"}')
    assert_aws_error(status, answer, "ValidationException")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    operation=st.sampled_from(OPERATIONS),
    body=st.dictionaries(
        st.sampled_from(["TypeName", "DesiredState", "Identifier", "PatchDocument", "RequestToken",
                         "ResourceModel", "MaxResults", "NextToken", "ClientToken", "ResourceRequestStatusFilter"]),
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20), st.sampled_from(
            [BUCKET, "{}", "[]", '{"BucketName": 1}', '[{"op": "add", "path": "/Tags", "value": 1}]']),
            st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2)),
        max_size=5,
    ),
)
def test_no_request_body_makes_the_server_fail(local_cloud: LocalCloud, operation: str, body: dict[str, Any]) -> None:
    status, answer = raw(local_cloud, operation, json.dumps(body).encode())
    assert status in (200, 400), answer
    if status == 400:
        assert answer["__type"] and isinstance(answer["message"], str)


def test_other_apis_are_moto_on_the_same_port(local_cloud: LocalCloud) -> None:
    s3 = boto3.client("s3", endpoint_url=local_cloud.endpoint_url)
    s3.create_bucket(Bucket="moto-bucket")
    s3.put_object(Bucket="moto-bucket", Key="k", Body=b"v")
    assert s3.get_object(Bucket="moto-bucket", Key="k")["Body"].read() == b"v"
    ddb = boto3.client("dynamodb", endpoint_url=local_cloud.endpoint_url)
    ddb.create_table(TableName="t", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    assert ddb.list_tables()["TableNames"] == ["t"]
    assert boto3.client("sts", endpoint_url=local_cloud.endpoint_url).get_caller_identity()["Account"] == "123456789012"
    assert local_cloud.calls() == {}  # only Cloud Control calls are counted
    local_cloud.reset()
    assert boto3.client("dynamodb", endpoint_url=local_cloud.endpoint_url).list_tables()["TableNames"] == []


def test_aws_endpoint_url_reaches_the_local_cloud(local_cloud: LocalCloud) -> None:
    # The fixture exports AWS_ENDPOINT_URL; a client made without endpoint_url uses it.
    plain = boto3.client("cloudcontrol")
    assert plain.list_resources(TypeName=BUCKET)["ResourceDescriptions"] == []
    assert local_cloud.calls()["ListResources"] == 1


def test_identifiers_may_be_given_as_json(local_cloud: LocalCloud) -> None:
    cc = boto3.client("cloudcontrol", endpoint_url=local_cloud.endpoint_url)
    # A composite primary identifier as JSON, in any order.
    stage = "AWS::ApiGatewayV2::Stage"
    cc.create_resource(TypeName=stage, DesiredState=json.dumps({"ApiId": "api1", "StageName": "beta"}))
    got = cc.get_resource(TypeName=stage, Identifier=json.dumps({"StageName": "beta", "ApiId": "api1"}))
    assert got["ResourceDescription"]["Identifier"] == "api1|beta"
    # An additional identifier (here BillScenario's Id) names the same resource as its ARN.
    scenario = "AWS::BcmPricingCalculator::BillScenario"
    token = cc.create_resource(TypeName=scenario, DesiredState="{}")["ProgressEvent"]["RequestToken"]
    arn = cc.get_resource_request_status(RequestToken=token)["ProgressEvent"]["Identifier"]
    scenario_id = json.loads(cc.get_resource(TypeName=scenario, Identifier=arn)["ResourceDescription"]["Properties"])["Id"]
    by_id = cc.get_resource(TypeName=scenario, Identifier=json.dumps({"Id": scenario_id}))
    assert by_id["ResourceDescription"]["Identifier"] == arn
    deleted = cc.delete_resource(TypeName=scenario, Identifier=json.dumps({"Id": scenario_id}))["ProgressEvent"]
    assert deleted["Identifier"] == arn
    assert cc.get_resource_request_status(RequestToken=deleted["RequestToken"])["ProgressEvent"]["OperationStatus"] == "SUCCESS"
