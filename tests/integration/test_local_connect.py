"""AWS::Connect::SecurityProfile on the local cloud, inside a Connect instance made in moto.

The equivalents of the S3 conformance scenarios, plus what the type's hooks add: the instance
must exist, the ARN is `<InstanceArn>/security-profile/<id>`, names are unique per instance,
and ListResources needs (and filters by) InstanceArn.
"""

from __future__ import annotations

import json
import re
from typing import Any

import boto3
import pytest
from botocore.exceptions import WaiterError
from cloudforge.local import LocalCloud

from tests.local_helpers import error_of

PROFILE = "AWS::Connect::SecurityProfile"


def new_instance(local_cloud: LocalCloud) -> str:
    connect = boto3.client("connect", endpoint_url=local_cloud.endpoint_url)
    made = connect.create_instance(IdentityManagementType="CONNECT_MANAGED",
                                   InboundCallsEnabled=True, OutboundCallsEnabled=True)
    arn: str = made["Arn"]
    return arn


@pytest.fixture
def instance_arn(local_cloud: LocalCloud) -> str:
    return new_instance(local_cloud)


def finish(cc: Any, event: dict[str, Any]) -> dict[str, Any]:
    try:
        cc.get_waiter("resource_request_success").wait(
            RequestToken=event["RequestToken"], WaiterConfig={"Delay": 0.02, "MaxAttempts": 200})
    except WaiterError:
        pass  # FAILED: the caller checks
    done: dict[str, Any] = cc.get_resource_request_status(RequestToken=event["RequestToken"])["ProgressEvent"]
    return done


def create(cc: Any, **state: Any) -> dict[str, Any]:
    event: dict[str, Any] = cc.create_resource(TypeName=PROFILE, DesiredState=json.dumps(state))["ProgressEvent"]
    return event


def props(cc: Any, identifier: str) -> dict[str, Any]:
    got: dict[str, Any] = json.loads(cc.get_resource(TypeName=PROFILE, Identifier=identifier)["ResourceDescription"]["Properties"])
    return got


def test_lifecycle_of_the_minimal_example(cc: Any, local_cloud: LocalCloud, instance_arn: str) -> None:
    local_cloud.faults.set_latency(0.05)
    event = create(cc, InstanceArn=instance_arn, SecurityProfileName="BasicProfile",
                   Description="A basic security profile with limited permissions.",
                   Permissions=["connect:StartChatContact", "connect:StopContact"])
    # The primary identifier is the generated ARN: not known while the create runs.
    assert (event["OperationStatus"], "Identifier" in event) == ("IN_PROGRESS", False)
    done = finish(cc, event)
    assert done["OperationStatus"] == "SUCCESS"
    arn = done["Identifier"]
    assert re.fullmatch(re.escape(instance_arn) + r"/security-profile/[-a-zA-Z0-9]+", arn)

    got = props(cc, arn)
    assert got["SecurityProfileArn"] == arn
    assert got["SecurityProfileName"] == "BasicProfile"
    assert got["InstanceArn"] == instance_arn
    assert got["LastModifiedRegion"] == "us-east-1"
    assert isinstance(got["LastModifiedTime"], float)
    assert sorted(got["Permissions"]) == ["connect:StartChatContact", "connect:StopContact"]

    patch = [{"op": "replace", "path": "/Description", "value": "Changed."}]
    updated = cc.update_resource(TypeName=PROFILE, Identifier=arn, PatchDocument=json.dumps(patch))["ProgressEvent"]
    assert finish(cc, updated)["OperationStatus"] == "SUCCESS"
    after = props(cc, arn)
    assert after["Description"] == "Changed."
    assert after["LastModifiedTime"] > got["LastModifiedTime"]

    deleted = cc.delete_resource(TypeName=PROFILE, Identifier=arn)["ProgressEvent"]
    assert finish(cc, deleted)["OperationStatus"] == "SUCCESS"
    status, code, message = error_of(cc.get_resource, TypeName=PROFILE, Identifier=arn)
    assert (status, code) == (400, "ResourceNotFoundException")
    assert message.startswith(f"{PROFILE} Handler returned status FAILED: ")
    assert "(HandlerErrorCode: NotFound, RequestToken: " in message


def test_the_seed_examples_are_accepted(cc: Any, instance_arn: str) -> None:
    advanced = create(cc, InstanceArn=instance_arn, SecurityProfileName="AdvancedProfile",
                      Permissions=["connect:ViewContact"],
                      AllowedAccessControlTags=[{"Key": "Department", "Value": "Support"},
                                                {"Key": "Region", "Value": "US-East"}])
    tagged = create(cc, InstanceArn=instance_arn, SecurityProfileName="TaggedProfile",
                    Permissions=["connect:CreateUser"],
                    TagRestrictedResources=[f"{instance_arn}/user/12345678"],
                    HierarchyRestrictedResources=[f"{instance_arn}/hierarchy/1"])
    assert finish(cc, advanced)["OperationStatus"] == "SUCCESS"
    assert finish(cc, tagged)["OperationStatus"] == "SUCCESS"


@pytest.mark.parametrize("missing", [
    "arn:aws:connect:us-east-1:123456789012:instance/abcdefg-1234-5678-abcd-efghijklmnop",
    "arn:aws:connect:zz-nowhere-1:123456789012:instance/abc",  # a region moto does not know
])
def test_profile_in_an_instance_moto_does_not_have_fails(cc: Any, local_cloud: LocalCloud, missing: str) -> None:
    event = create(cc, InstanceArn=missing, SecurityProfileName="Orphan")
    assert event["OperationStatus"] == "IN_PROGRESS"
    failed = finish(cc, event)
    assert (failed["OperationStatus"], failed["ErrorCode"]) == ("FAILED", "NotFound")
    assert missing in failed["StatusMessage"]


def test_names_are_unique_per_instance(cc: Any, local_cloud: LocalCloud, instance_arn: str) -> None:
    assert finish(cc, create(cc, InstanceArn=instance_arn, SecurityProfileName="Dup"))["OperationStatus"] == "SUCCESS"
    duplicate = create(cc, InstanceArn=instance_arn, SecurityProfileName="Dup")
    assert duplicate["OperationStatus"] == "IN_PROGRESS"  # accepted, fails later, as AWS does
    failed = finish(cc, duplicate)
    assert (failed["OperationStatus"], failed["ErrorCode"]) == ("FAILED", "AlreadyExists")
    assert "Dup" in failed["StatusMessage"]
    # The same name in another instance is another profile.
    other = new_instance(local_cloud)
    assert finish(cc, create(cc, InstanceArn=other, SecurityProfileName="Dup"))["OperationStatus"] == "SUCCESS"


def test_list_needs_instance_arn_and_filters_by_it(cc: Any, local_cloud: LocalCloud, instance_arn: str) -> None:
    other = new_instance(local_cloud)
    for name, instance in (("One", instance_arn), ("Two", instance_arn), ("Elsewhere", other)):
        finish(cc, create(cc, InstanceArn=instance, SecurityProfileName=name))
    # AWS's wording (seen for AWS::EKS::Nodegroup without ClusterName), run-on sentence included.
    assert error_of(cc.list_resources, TypeName=PROFILE) == (
        400, "InvalidRequestException",
        f"Missing or invalid ResourceModel property in {PROFILE} list handler request input."
        "Required property: (#: required key [InstanceArn] not found)",
    )
    status, code, message = error_of(cc.list_resources, TypeName=PROFILE, ResourceModel=json.dumps({"InstanceArn": "not-an-arn"}))
    assert (status, code) == (400, "InvalidRequestException")
    assert message.endswith("Required property: (#/InstanceArn: string [not-an-arn] does not match pattern "
                            "^arn:aws[-a-z0-9]*:connect:[-a-z0-9]*:[0-9]{12}:instance/[-a-zA-Z0-9]*$)")
    listed = cc.list_resources(TypeName=PROFILE, ResourceModel=json.dumps({"InstanceArn": instance_arn}))
    models = [json.loads(d["Properties"]) for d in listed["ResourceDescriptions"]]
    assert sorted(m["SecurityProfileName"] for m in models) == ["One", "Two"]
    assert all(d["Identifier"] == json.loads(d["Properties"])["SecurityProfileArn"] for d in listed["ResourceDescriptions"])


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ({"SecurityProfileName": "NoInstance"}, "Model validation failed (#: required key [InstanceArn] not found)"),
        ({"InstanceArn": "INSTANCE", "SecurityProfileName": "P", "Colour": "red"},
         "Model validation failed (#: extraneous key [Colour] is not permitted)"),
        ({"InstanceArn": "INSTANCE", "SecurityProfileName": 7},
         "Model validation failed (#/SecurityProfileName: expected type: String, found: Integer)"),
        ({"InstanceArn": "INSTANCE", "SecurityProfileName": "bad/name"},
         "Model validation failed (#/SecurityProfileName: string [bad/name] does not match pattern ^[ a-zA-Z0-9_@-]+$)"),
        ({"InstanceArn": "INSTANCE", "SecurityProfileName": "P", "AllowedAccessControlTags": [{"Key": "k"}]},
         "Model validation failed (#/AllowedAccessControlTags/0: required key [Value] not found)"),
    ],
)
def test_invalid_desired_state_fails_at_once(cc: Any, instance_arn: str, state: dict[str, Any], message: str) -> None:
    state = {k: instance_arn if v == "INSTANCE" else v for k, v in state.items()}
    assert error_of(cc.create_resource, TypeName=PROFILE, DesiredState=json.dumps(state)) == (
        400, "ValidationException", message)


@pytest.mark.parametrize(
    ("path", "kind"),
    [("/SecurityProfileName", "createOnlyProperties"), ("/InstanceArn", "createOnlyProperties"),
     ("/SecurityProfileArn", "readOnlyProperties")],
)
def test_patches_to_create_only_and_read_only_properties_are_refused(
    cc: Any, instance_arn: str, path: str, kind: str
) -> None:
    arn = finish(cc, create(cc, InstanceArn=instance_arn, SecurityProfileName="Fixed"))["Identifier"]
    patch = json.dumps([{"op": "replace", "path": path, "value": "x"}])
    assert error_of(cc.update_resource, TypeName=PROFILE, Identifier=arn, PatchDocument=patch) == (
        400, "NotUpdatableException", f"Invalid patch update: {kind} [/properties{path}] cannot be updated")
