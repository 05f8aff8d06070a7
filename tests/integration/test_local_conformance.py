"""The local cloud reproduces AWS's recorded Cloud Control behaviour for AWS::S3::Bucket.

Each test restates one recorded scenario (us-east-1, real AWS): HTTP status, error code, message
shape and the fields of each answer. Plain boto3 over HTTP; nothing in botocore is stubbed.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from cloudforge.local import LocalCloud

from tests.local_helpers import error_of

BUCKET = "AWS::S3::Bucket"
MISSING_TYPE = "AWS::LocalStack::DoesNotExist"
# The answer to Create/Update/Delete: EventTime, Operation, OperationStatus, RequestToken, TypeName
# (+ Identifier when it is known up front), no RetryAfter. A status read or a ListResourceRequests
# summary of a request in progress adds RetryAfter; a finished one has none.
SUBMITTED_FIELDS = {"EventTime", "Operation", "OperationStatus", "RequestToken", "TypeName"}
IN_PROGRESS_FIELDS = SUBMITTED_FIELDS | {"RetryAfter"}
DONE_FIELDS = {"EventTime", "Identifier", "Operation", "OperationStatus", "RequestToken", "TypeName"}


def wait(cc: Any, token: str) -> dict[str, Any]:
    waiter = cc.get_waiter("resource_request_success")
    try:
        waiter.wait(RequestToken=token, WaiterConfig={"Delay": 0.02, "MaxAttempts": 200})
    except Exception:
        pass  # FAILED and CANCEL_COMPLETE stop the waiter: the caller checks the status
    event: dict[str, Any] = cc.get_resource_request_status(RequestToken=token)["ProgressEvent"]
    return event


def create(cc: Any, state: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    answer = cc.create_resource(TypeName=BUCKET, DesiredState=json.dumps(state), **kwargs)
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    event: dict[str, Any] = answer["ProgressEvent"]
    return event


def test_duplicate_create_is_accepted_then_fails_already_exists(cc: Any, local_cloud: LocalCloud) -> None:
    local_cloud.faults.set_latency(0.05)
    first = create(cc, {"BucketName": "dup-bucket"})
    assert set(first) == SUBMITTED_FIELDS | {"Identifier"}
    assert wait(cc, first["RequestToken"])["OperationStatus"] == "SUCCESS"

    second = create(cc, {"BucketName": "dup-bucket"})
    assert (second["OperationStatus"], second["Identifier"]) == ("IN_PROGRESS", "dup-bucket")
    assert second["RequestToken"] != first["RequestToken"]
    failed = wait(cc, second["RequestToken"])
    assert set(failed) == DONE_FIELDS | {"ErrorCode", "StatusMessage"}
    assert failed["OperationStatus"] == "FAILED"
    assert failed["ErrorCode"] == "AlreadyExists"
    assert failed["Identifier"] == "dup-bucket"
    assert failed["StatusMessage"] == "The bucket Already Exists"


def test_create_without_the_optional_name_generates_the_identifier(cc: Any, local_cloud: LocalCloud) -> None:
    local_cloud.faults.set_latency(0.05)
    event = create(cc, {})
    assert set(event) == SUBMITTED_FIELDS  # the name is not known up front: no Identifier yet
    done = wait(cc, event["RequestToken"])
    assert done["OperationStatus"] == "SUCCESS"
    name = done["Identifier"]
    props = json.loads(cc.get_resource(TypeName=BUCKET, Identifier=name)["ResourceDescription"]["Properties"])
    assert props["BucketName"] == name
    assert props["Arn"] == f"arn:aws:s3:::{name}"


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ({"BucketName": "x-bucket", "BucketSomething": "x"}, "Model validation failed (#: extraneous key [BucketSomething] is not permitted)"),
        ({"DOESNOTEXIST": "invalid"}, "Model validation failed (#: extraneous key [DOESNOTEXIST] is not permitted)"),
        ({"BucketName": True}, "Model validation failed (#/BucketName: expected type: String, found: Boolean)"),
        ([], "Model validation failed (#: expected type: JSONObject, found: JSONArray)"),
        (None, "Model validation failed (#: expected type: JSONObject, found: Null)"),
    ],
)
def test_invalid_desired_state_fails_at_once(cc: Any, local_cloud: LocalCloud, state: Any, message: str) -> None:
    status, code, text = error_of(cc.create_resource, TypeName=BUCKET, DesiredState=json.dumps(state))
    assert (status, code, text) == (400, "ValidationException", message)
    assert cc.list_resource_requests()["ResourceRequestStatusSummaries"] == []


def test_same_client_token_with_other_desired_state_conflicts(cc: Any, local_cloud: LocalCloud) -> None:
    first = create(cc, {"BucketName": "token-a"}, ClientToken="token-1")
    status, code, text = error_of(cc.create_resource, TypeName=BUCKET,
                                  DesiredState=json.dumps({"BucketName": "token-b"}), ClientToken="token-1")
    assert (status, code) == (400, "ClientTokenConflictException")
    assert text == (f"ClientToken token-1 is already associated with an existing operation "
                    f"with RequestToken {first['RequestToken']}")


def test_same_client_token_and_desired_state_is_the_same_request(cc: Any, local_cloud: LocalCloud) -> None:
    first = create(cc, {"BucketName": "token-same"}, ClientToken="token-2")
    again = create(cc, {"BucketName": "token-same"}, ClientToken="token-2")
    assert again["RequestToken"] == first["RequestToken"]
    assert wait(cc, first["RequestToken"])["OperationStatus"] == "SUCCESS"
    assert len(cc.list_resource_requests()["ResourceRequestStatusSummaries"]) == 1


def test_update_of_a_create_only_property_is_refused(cc: Any, local_cloud: LocalCloud) -> None:
    wait(cc, create(cc, {"BucketName": "upd-bucket"})["RequestToken"])
    patch = [{"op": "replace", "path": "/BucketName", "value": "other-name"}]
    assert error_of(cc.update_resource, TypeName=BUCKET, Identifier="upd-bucket", PatchDocument=json.dumps(patch)) == (
        400, "NotUpdatableException",
        "Invalid patch update: createOnlyProperties [/properties/BucketName] cannot be updated",
    )


def test_update_applies_an_rfc6902_patch(cc: Any, local_cloud: LocalCloud) -> None:
    wait(cc, create(cc, {"BucketName": "patched"})["RequestToken"])
    patch = [
        {"op": "add", "path": "/Tags", "value": [{"Key": "team", "Value": "a"}]},
        {"op": "add", "path": "VersioningConfiguration", "value": {"Status": "Enabled"}},  # no leading slash
    ]
    event = cc.update_resource(TypeName=BUCKET, Identifier="patched", PatchDocument=json.dumps(patch))["ProgressEvent"]
    assert (event["Operation"], event["OperationStatus"], event["Identifier"]) == ("UPDATE", "IN_PROGRESS", "patched")
    assert wait(cc, event["RequestToken"])["OperationStatus"] == "SUCCESS"
    props = json.loads(cc.get_resource(TypeName=BUCKET, Identifier="patched")["ResourceDescription"]["Properties"])
    assert props["Tags"] == [{"Key": "team", "Value": "a"}]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["Arn"] == "arn:aws:s3:::patched"


def test_update_of_a_read_only_property_is_refused(cc: Any, local_cloud: LocalCloud) -> None:
    wait(cc, create(cc, {"BucketName": "ro-bucket"})["RequestToken"])
    patch = [{"op": "replace", "path": "/Arn", "value": "arn:aws:s3:::elsewhere"}]
    assert error_of(cc.update_resource, TypeName=BUCKET, Identifier="ro-bucket", PatchDocument=json.dumps(patch)) == (
        400, "NotUpdatableException",
        "Invalid patch update: readOnlyProperties [/properties/Arn] cannot be updated",
    )


def test_update_that_breaks_the_schema_is_refused(cc: Any, local_cloud: LocalCloud) -> None:
    wait(cc, create(cc, {"BucketName": "bad-patch"})["RequestToken"])
    patch = [{"op": "add", "path": "/VersioningConfiguration", "value": {"Status": 3}}]
    status, code, text = error_of(cc.update_resource, TypeName=BUCKET, Identifier="bad-patch", PatchDocument=json.dumps(patch))
    assert (status, code) == (400, "ValidationException")
    assert text.startswith("Model validation failed (#/VersioningConfiguration/Status: ")


def test_every_operation_on_an_unknown_type_is_type_not_found(cc: Any, local_cloud: LocalCloud) -> None:
    expected = (400, "TypeNotFoundException", f"The type '{MISSING_TYPE}' cannot be found.")
    assert error_of(cc.create_resource, TypeName=MISSING_TYPE, DesiredState="{}") == expected
    assert error_of(cc.get_resource, TypeName=MISSING_TYPE, Identifier="x") == expected
    assert error_of(cc.delete_resource, TypeName=MISSING_TYPE, Identifier="x") == expected
    assert error_of(cc.list_resources, TypeName=MISSING_TYPE) == expected
    # The type is checked before the patch document is looked at.
    assert error_of(cc.update_resource, TypeName=MISSING_TYPE, Identifier="x", PatchDocument="not json") == expected


def test_delete_of_a_missing_resource_is_accepted_and_fails_not_found(cc: Any, local_cloud: LocalCloud) -> None:
    event = cc.delete_resource(TypeName=BUCKET, Identifier="never-made")["ProgressEvent"]
    assert set(event) == SUBMITTED_FIELDS | {"Identifier"}
    assert (event["Operation"], event["OperationStatus"]) == ("DELETE", "IN_PROGRESS")
    failed = wait(cc, event["RequestToken"])
    assert (failed["OperationStatus"], failed["ErrorCode"]) == ("FAILED", "NotFound")


def test_list_resources_shows_identifiers_and_reduced_properties(cc: Any, local_cloud: LocalCloud) -> None:
    for name in ("list-b", "list-a"):
        wait(cc, create(cc, {"BucketName": name, "Tags": [{"Key": "k", "Value": "v"}]})["RequestToken"])
    answer = cc.list_resources(TypeName=BUCKET)
    assert answer["TypeName"] == BUCKET
    assert [(d["Identifier"], json.loads(d["Properties"])) for d in answer["ResourceDescriptions"]] == [
        ("list-a", {"BucketName": "list-a"}),
        ("list-b", {"BucketName": "list-b"}),
    ]
    assert error_of(cc.list_resources, TypeName="AWS::DoesNot::Exist") == (
        400, "TypeNotFoundException", "The type 'AWS::DoesNot::Exist' cannot be found.")


def test_unknown_request_token(cc: Any, local_cloud: LocalCloud) -> None:
    expected = (400, "RequestTokenNotFoundException", "Request with token DOESNOTEXIST was not found")
    assert error_of(cc.get_resource_request_status, RequestToken="DOESNOTEXIST") == expected
    assert error_of(cc.cancel_resource_request, RequestToken="DOESNOTEXIST") == expected


def test_cancel_of_an_in_progress_request(cc: Any, local_cloud: LocalCloud) -> None:
    local_cloud.faults.set_latency(5.0)
    event = create(cc, {"BucketName": "cancelled"})
    cancelled = cc.cancel_resource_request(RequestToken=event["RequestToken"])["ProgressEvent"]
    assert set(cancelled) == DONE_FIELDS
    assert (cancelled["OperationStatus"], cancelled["Identifier"], cancelled["Operation"]) == ("CANCEL_COMPLETE", "cancelled", "CREATE")
    again = cc.cancel_resource_request(RequestToken=event["RequestToken"])["ProgressEvent"]
    assert again["OperationStatus"] == "CANCEL_COMPLETE"
    assert cc.get_resource_request_status(RequestToken=event["RequestToken"])["ProgressEvent"]["OperationStatus"] == "CANCEL_COMPLETE"
    # A cancelled create leaves nothing behind, so the name is free again.
    assert error_of(cc.get_resource, TypeName=BUCKET, Identifier="cancelled")[1] == "ResourceNotFoundException"


def test_cancel_of_a_finished_request_is_refused(cc: Any, local_cloud: LocalCloud) -> None:
    token = create(cc, {"BucketName": "finished"})["RequestToken"]
    assert wait(cc, token)["OperationStatus"] == "SUCCESS"
    assert error_of(cc.cancel_resource_request, RequestToken=token) == (
        400, "ValidationException", f"Request {token} is already in status SUCCESS")


def test_list_resource_requests_with_and_without_a_filter(cc: Any, local_cloud: LocalCloud) -> None:
    local_cloud.faults.set_latency(5.0)
    event = create(cc, {"BucketName": "listed-request"})
    everything = cc.list_resource_requests()["ResourceRequestStatusSummaries"]
    assert [e["RequestToken"] for e in everything] == [event["RequestToken"]]
    filtered = cc.list_resource_requests(
        ResourceRequestStatusFilter={"Operations": ["CREATE"], "OperationStatuses": ["IN_PROGRESS"]}
    )["ResourceRequestStatusSummaries"]
    assert len(filtered) == 1
    assert set(filtered[0]) == IN_PROGRESS_FIELDS | {"Identifier"}
    assert filtered[0]["OperationStatus"] == "IN_PROGRESS"
    assert cc.list_resource_requests(ResourceRequestStatusFilter={"Operations": ["UPDATE"]})["ResourceRequestStatusSummaries"] == []


def test_operations_on_a_resource_with_a_request_in_progress_conflict(cc: Any, local_cloud: LocalCloud) -> None:
    local_cloud.faults.set_latency(5.0)
    create(cc, {"BucketName": "busy-bucket"})
    status, code, _ = error_of(cc.delete_resource, TypeName=BUCKET, Identifier="busy-bucket")
    assert (status, code) == (400, "ConcurrentOperationException")
    # Not visible until the create finishes.
    assert error_of(cc.get_resource, TypeName=BUCKET, Identifier="busy-bucket")[1] == "ResourceNotFoundException"


def test_update_while_an_update_is_in_progress_conflicts(cc: Any, local_cloud: LocalCloud) -> None:
    wait(cc, create(cc, {"BucketName": "busy-update"})["RequestToken"])
    local_cloud.faults.set_latency(5.0)
    patch = json.dumps([{"op": "add", "path": "/Tags", "value": [{"Key": "a", "Value": "b"}]}])
    cc.update_resource(TypeName=BUCKET, Identifier="busy-update", PatchDocument=patch)
    assert error_of(cc.update_resource, TypeName=BUCKET, Identifier="busy-update", PatchDocument=patch)[1] == "ConcurrentOperationException"
    # Until the update finishes, Get shows the resource as it was.
    props = json.loads(cc.get_resource(TypeName=BUCKET, Identifier="busy-update")["ResourceDescription"]["Properties"])
    assert "Tags" not in props


def test_write_only_properties_are_kept_out_of_get_and_list(cc: Any, local_cloud: LocalCloud) -> None:
    wait(cc, create(cc, {"BucketName": "wo-bucket", "AccessControl": "Private"})["RequestToken"])
    props = json.loads(cc.get_resource(TypeName=BUCKET, Identifier="wo-bucket")["ResourceDescription"]["Properties"])
    assert "AccessControl" not in props
    assert props["BucketName"] == "wo-bucket"


def test_update_of_a_missing_resource_is_not_found(cc: Any, local_cloud: LocalCloud) -> None:
    patch = json.dumps([{"op": "add", "path": "/Tags", "value": []}])
    status, code, text = error_of(cc.update_resource, TypeName=BUCKET, Identifier="nope", PatchDocument=patch)
    assert (status, code) == (400, "ResourceNotFoundException")
    assert "Bucket not found (HandlerErrorCode: NotFound" in text


def test_a_cloud_control_bucket_is_a_moto_bucket(cc: Any, local_cloud: LocalCloud) -> None:
    s3 = boto3.client("s3", endpoint_url=local_cloud.endpoint_url)
    wait(cc, create(cc, {"BucketName": "shared-bucket"})["RequestToken"])
    s3.put_object(Bucket="shared-bucket", Key="k", Body=b"v")
    # A bucket with objects cannot be deleted; once empty it can, and moto forgets it too.
    failed = wait(cc, cc.delete_resource(TypeName=BUCKET, Identifier="shared-bucket")["ProgressEvent"]["RequestToken"])
    assert (failed["OperationStatus"], failed["StatusMessage"]) == ("FAILED", "The bucket you tried to delete is not empty")
    s3.delete_object(Bucket="shared-bucket", Key="k")
    done = wait(cc, cc.delete_resource(TypeName=BUCKET, Identifier="shared-bucket")["ProgressEvent"]["RequestToken"])
    assert done["OperationStatus"] == "SUCCESS"
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == []


def test_a_name_moto_already_has_is_already_exists(cc: Any, local_cloud: LocalCloud) -> None:
    boto3.client("s3", endpoint_url=local_cloud.endpoint_url).create_bucket(Bucket="made-by-s3")
    failed = wait(cc, create(cc, {"BucketName": "made-by-s3"})["RequestToken"])
    assert (failed["OperationStatus"], failed["ErrorCode"], failed["Identifier"]) == ("FAILED", "AlreadyExists", "made-by-s3")


def test_cancelling_an_update_leaves_the_resource_as_it_was(cc: Any, local_cloud: LocalCloud) -> None:
    wait(cc, create(cc, {"BucketName": "cancel-update"})["RequestToken"])
    local_cloud.faults.set_latency(5.0)
    patch = json.dumps([{"op": "add", "path": "/Tags", "value": [{"Key": "a", "Value": "b"}]}])
    token = cc.update_resource(TypeName=BUCKET, Identifier="cancel-update", PatchDocument=patch)["ProgressEvent"]["RequestToken"]
    assert cc.cancel_resource_request(RequestToken=token)["ProgressEvent"]["OperationStatus"] == "CANCEL_COMPLETE"
    props = json.loads(cc.get_resource(TypeName=BUCKET, Identifier="cancel-update")["ResourceDescription"]["Properties"])
    assert "Tags" not in props
    # The resource is free again: a new update is accepted.
    assert cc.update_resource(TypeName=BUCKET, Identifier="cancel-update", PatchDocument=patch)["ProgressEvent"]["OperationStatus"] == "IN_PROGRESS"


def test_a_type_without_an_update_handler_refuses_updates(cc: Any, local_cloud: LocalCloud) -> None:
    # AWS::AppRunner::AutoScalingConfiguration has create, read, delete and list handlers only.
    kind = "AWS::AppRunner::AutoScalingConfiguration"
    identifier = wait(cc, cc.create_resource(TypeName=kind, DesiredState="{}")["ProgressEvent"]["RequestToken"])["Identifier"]
    assert identifier.startswith("arn:aws:apprunner:us-east-1:123456789012:")
    status, code, _ = error_of(cc.update_resource, TypeName=kind, Identifier=identifier, PatchDocument="[]")
    assert (status, code) == (400, "UnsupportedActionException")


def test_a_name_s3_itself_refuses_fails_the_request(cc: Any, local_cloud: LocalCloud) -> None:
    failed = wait(cc, create(cc, {"BucketName": "ab"})["RequestToken"])
    assert (failed["OperationStatus"], failed["ErrorCode"]) == ("FAILED", "InvalidRequest")
    assert cc.list_resources(TypeName=BUCKET)["ResourceDescriptions"] == []
