"""Types moto backs are the same resources in Cloud Control and in the service APIs, both ways.

For every type in `cloudforge.local.moto_adapters.BACKED`: a resource made through Cloud Control
is seen by the service's own API (plain boto3 against the same endpoint), and one made through the
service's API is listed and read by Cloud Control; an update through Cloud Control reaches the
service; a delete through Cloud Control removes it from the service.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from cloudforge.local import LocalCloud
from cloudforge.local.moto_adapters import BACKED

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}
POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


def wait(cc: Any, event: dict[str, Any]) -> dict[str, Any]:
    for _ in range(200):
        event = cc.get_resource_request_status(RequestToken=event["RequestToken"])["ProgressEvent"]
        if event["OperationStatus"] not in ("PENDING", "IN_PROGRESS"):
            assert event["OperationStatus"] == "SUCCESS", event
            return event
        time.sleep(0.02)
    raise AssertionError("request did not finish")


def client(service: str) -> Any:
    return boto3.client(service)


@dataclass
class Case:
    desired: dict[str, Any]  # through Cloud Control
    seen: Callable[[str], bool]  # whether the service API sees the resource of this identifier
    made: Callable[[], str]  # makes one through the service API; its Cloud Control identifier
    patch: list[dict[str, Any]]  # an update through Cloud Control
    updated: Callable[[str], bool]  # whether the service API sees the update
    needs: Callable[[], dict[str, Any]] | None = None  # what must exist first (names into desired)


def _role(name: str) -> str:
    return str(client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"])


def _vpc() -> str:
    return str(client("ec2").create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"])


def _has_tag(tags: list[dict[str, str]], key: str = "team", value: str = "core") -> bool:
    return {"Key": key, "Value": value} in tags


TAG_PATCH = [{"op": "add", "path": "/Tags", "value": [{"Key": "team", "Value": "core"}]}]

CASES: dict[str, Case] = {
    "AWS::S3::Bucket": Case(
        {"BucketName": "cc-bucket", "Tags": [{"Key": "a", "Value": "b"}], "VersioningConfiguration": {"Status": "Enabled"},
         "BucketEncryption": {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}},
        lambda i: client("s3").get_bucket_versioning(Bucket=i)["Status"] == "Enabled"
        and client("s3").get_bucket_tagging(Bucket=i)["TagSet"] == [{"Key": "a", "Value": "b"}]
        and client("s3").get_bucket_encryption(Bucket=i)["ServerSideEncryptionConfiguration"]["Rules"][0]
        ["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256",
        lambda: client("s3").create_bucket(Bucket="api-bucket") and "api-bucket",
        TAG_PATCH, lambda i: _has_tag(client("s3").get_bucket_tagging(Bucket=i)["TagSet"]),
    ),
    "AWS::S3::BucketPolicy": Case(
        {"Bucket": "{bucket}", "PolicyDocument": POLICY},
        lambda i: json.loads(client("s3").get_bucket_policy(Bucket=i)["Policy"]) == POLICY,
        lambda: (client("s3").create_bucket(Bucket="api-policy-bucket"),
                 client("s3").put_bucket_policy(Bucket="api-policy-bucket", Policy=json.dumps(POLICY)))
        and "api-policy-bucket",
        [{"op": "replace", "path": "/PolicyDocument", "value": {**POLICY, "Id": "v2"}}],
        lambda i: json.loads(client("s3").get_bucket_policy(Bucket=i)["Policy"]).get("Id") == "v2",
        needs=lambda: {"bucket": client("s3").create_bucket(Bucket="policy-bucket") and "policy-bucket"},
    ),
    "AWS::SQS::Queue": Case(
        {"QueueName": "cc-queue", "VisibilityTimeout": 45},
        lambda i: client("sqs").get_queue_attributes(QueueUrl=i, AttributeNames=["VisibilityTimeout"])["Attributes"]
        ["VisibilityTimeout"] == "45",
        lambda: client("sqs").create_queue(QueueName="api-queue") and "https://sqs.us-east-1.amazonaws.com/123456789012/api-queue",
        [{"op": "replace", "path": "/VisibilityTimeout", "value": 60}],
        lambda i: client("sqs").get_queue_attributes(QueueUrl=i, AttributeNames=["All"])["Attributes"]["VisibilityTimeout"] == "60",
    ),
    "AWS::SNS::Topic": Case(
        {"TopicName": "cc-topic", "DisplayName": "CC"},
        lambda i: client("sns").get_topic_attributes(TopicArn=i)["Attributes"]["DisplayName"] == "CC",
        lambda: str(client("sns").create_topic(Name="api-topic")["TopicArn"]),
        [{"op": "replace", "path": "/DisplayName", "value": "CC2"}],
        lambda i: client("sns").get_topic_attributes(TopicArn=i)["Attributes"]["DisplayName"] == "CC2",
    ),
    "AWS::IAM::Role": Case(
        {"RoleName": "cc-role", "AssumeRolePolicyDocument": TRUST, "Policies": [{"PolicyName": "p", "PolicyDocument": POLICY}]},
        lambda i: client("iam").list_role_policies(RoleName=i)["PolicyNames"] == ["p"],
        lambda: _role("api-role") and "api-role",
        [{"op": "add", "path": "/Description", "value": "now described"}],
        lambda i: client("iam").get_role(RoleName=i)["Role"].get("Description") == "now described",
    ),
    "AWS::IAM::ManagedPolicy": Case(
        {"ManagedPolicyName": "cc-managed", "PolicyDocument": POLICY, "Roles": ["{role}"]},
        lambda i: [p["PolicyArn"] for p in client("iam").list_attached_role_policies(RoleName="needed-role")["AttachedPolicies"]] == [i],
        lambda: str(client("iam").create_policy(PolicyName="api-managed", PolicyDocument=json.dumps(POLICY))["Policy"]["Arn"]),
        [{"op": "replace", "path": "/PolicyDocument", "value": {**POLICY, "Id": "v2"}}],
        lambda i: client("iam").get_policy(PolicyArn=i)["Policy"]["DefaultVersionId"] == "v2",
        needs=lambda: {"role": _role("needed-role") and "needed-role"},
    ),
    "AWS::IAM::Policy": Case(
        {"PolicyName": "cc-inline", "PolicyDocument": POLICY, "Roles": ["{role}"]},
        lambda i: client("iam").list_role_policies(RoleName="inline-role")["PolicyNames"] == ["cc-inline"],
        lambda: "",  # no list or read handler in the registry: nothing to find from the service side
        [{"op": "replace", "path": "/PolicyDocument", "value": {**POLICY, "Id": "v2"}}],
        lambda i: client("iam").get_role_policy(RoleName="inline-role", PolicyName="cc-inline")["PolicyDocument"].get("Id") == "v2",
        needs=lambda: {"role": _role("inline-role") and "inline-role"},
    ),
    "AWS::Logs::LogGroup": Case(
        {"LogGroupName": "/cc/app", "RetentionInDays": 7},
        lambda i: client("logs").describe_log_groups(logGroupNamePrefix=i)["logGroups"][0]["retentionInDays"] == 7,
        lambda: client("logs").create_log_group(logGroupName="/api/app") and "/api/app",
        [{"op": "replace", "path": "/RetentionInDays", "value": 14}],
        lambda i: client("logs").describe_log_groups(logGroupNamePrefix=i)["logGroups"][0]["retentionInDays"] == 14,
    ),
    "AWS::SecretsManager::Secret": Case(
        {"Name": "cc-secret", "SecretString": "s3cr3t"},
        lambda i: client("secretsmanager").get_secret_value(SecretId=i)["SecretString"] == "s3cr3t",
        lambda: str(client("secretsmanager").create_secret(Name="api-secret", SecretString="x")["ARN"]),
        [{"op": "add", "path": "/Description", "value": "described"}],
        lambda i: client("secretsmanager").describe_secret(SecretId=i).get("Description") == "described",
    ),
    "AWS::DynamoDB::Table": Case(
        {"TableName": "cc-table", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
         "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"},
        lambda i: client("dynamodb").describe_table(TableName=i)["Table"]["KeySchema"][0]["AttributeName"] == "pk",
        lambda: client("dynamodb").create_table(
            TableName="api-table", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST") and "api-table",
        TAG_PATCH,
        lambda i: _has_tag(client("dynamodb").list_tags_of_resource(
            ResourceArn=client("dynamodb").describe_table(TableName=i)["Table"]["TableArn"])["Tags"]),
    ),
    "AWS::KMS::Key": Case(
        {"Description": "cc key"},
        lambda i: client("kms").describe_key(KeyId=i)["KeyMetadata"]["Description"] == "cc key",
        lambda: str(client("kms").create_key(Description="api key")["KeyMetadata"]["KeyId"]),
        [{"op": "replace", "path": "/Description", "value": "cc key 2"}],
        lambda i: client("kms").describe_key(KeyId=i)["KeyMetadata"]["Description"] == "cc key 2",
    ),
    "AWS::Lambda::Function": Case(
        {"FunctionName": "cc-fn", "Runtime": "python3.12", "Handler": "index.handler", "Role": "{role}",
         "Code": {"ZipFile": "def handler(event, context):\n    return 1\n"}},
        lambda i: client("lambda").get_function(FunctionName=i)["Configuration"]["Handler"] == "index.handler",
        lambda: client("lambda").create_function(
            FunctionName="api-fn", Runtime="python3.12", Handler="index.handler", Role=_role("api-fn-role"),
            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18}) and "api-fn",
        [{"op": "add", "path": "/Timeout", "value": 30}],
        lambda i: client("lambda").get_function(FunctionName=i)["Configuration"]["Timeout"] == 30,
        needs=lambda: {"role": _role("fn-role")},
    ),
    "AWS::SSM::Parameter": Case(
        {"Name": "/cc/param", "Type": "String", "Value": "v1"},
        lambda i: client("ssm").get_parameter(Name=i)["Parameter"]["Value"] == "v1",
        lambda: client("ssm").put_parameter(Name="/api/param", Type="String", Value="x") and "/api/param",
        [{"op": "replace", "path": "/Value", "value": "v2"}],
        lambda i: client("ssm").get_parameter(Name=i)["Parameter"]["Value"] == "v2",
    ),
    "AWS::EC2::VPC": Case(
        {"CidrBlock": "10.1.0.0/16"},
        lambda i: client("ec2").describe_vpcs(VpcIds=[i])["Vpcs"][0]["CidrBlock"] == "10.1.0.0/16",
        _vpc, TAG_PATCH,
        lambda i: _has_tag(client("ec2").describe_vpcs(VpcIds=[i])["Vpcs"][0]["Tags"]),
    ),
    "AWS::EC2::Subnet": Case(
        {"VpcId": "{vpc}", "CidrBlock": "10.2.1.0/24"},
        lambda i: client("ec2").describe_subnets(SubnetIds=[i])["Subnets"][0]["CidrBlock"] == "10.2.1.0/24",
        lambda: str(client("ec2").create_subnet(VpcId=_vpc(), CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]),
        TAG_PATCH,
        lambda i: _has_tag(client("ec2").describe_subnets(SubnetIds=[i])["Subnets"][0]["Tags"]),
        needs=lambda: {"vpc": str(client("ec2").create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"])},
    ),
    "AWS::EC2::SecurityGroup": Case(
        {"GroupDescription": "web", "VpcId": "{vpc}",
         "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"}]},
        lambda i: client("ec2").describe_security_groups(GroupIds=[i])["SecurityGroups"][0]["IpPermissions"][0]["FromPort"] == 443,
        lambda: str(client("ec2").create_security_group(GroupName="api-sg", Description="api", VpcId=_vpc())["GroupId"]),
        TAG_PATCH,
        lambda i: _has_tag(client("ec2").describe_security_groups(GroupIds=[i])["SecurityGroups"][0]["Tags"]),
        needs=lambda: {"vpc": _vpc()},
    ),
}


def test_every_backed_type_has_a_case() -> None:
    assert set(CASES) == set(BACKED)


def _filled(value: Any, names: dict[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in names:
        return names[value[1:-1]]
    if isinstance(value, list):
        return [_filled(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _filled(v, names) for k, v in value.items()}
    return value


@pytest.mark.parametrize("type_name", sorted(CASES))
def test_both_ways(type_name: str, cc: Any, local_cloud: LocalCloud) -> None:
    case = CASES[type_name]
    names = case.needs() if case.needs else {}
    desired = _filled(case.desired, names)
    done = wait(cc, cc.create_resource(TypeName=type_name, DesiredState=json.dumps(desired))["ProgressEvent"])
    identifier = done["Identifier"]
    # Cloud Control -> the service.
    assert case.seen(identifier)
    wait(cc, cc.update_resource(TypeName=type_name, Identifier=identifier, PatchDocument=json.dumps(case.patch))["ProgressEvent"])
    assert case.updated(identifier)
    info = local_cloud  # the cloud's account is the one the service clients reach
    assert info.account == "123456789012"
    # The service -> Cloud Control.
    made = case.made()
    if made:
        listed = [d["Identifier"] for d in cc.list_resources(TypeName=type_name)["ResourceDescriptions"]]
        assert made in listed and identifier in listed
        cc.get_resource(TypeName=type_name, Identifier=made)
    # A delete through Cloud Control reaches the service.
    wait(cc, cc.delete_resource(TypeName=type_name, Identifier=identifier)["ProgressEvent"])
    try:
        still = case.seen(identifier)
    except Exception:
        still = False
    assert not still


def _outcome(cc: Any, type_name: str, desired: dict[str, Any]) -> dict[str, Any]:
    event = cc.create_resource(TypeName=type_name, DesiredState=json.dumps(desired))["ProgressEvent"]
    for _ in range(200):
        event = cc.get_resource_request_status(RequestToken=event["RequestToken"])["ProgressEvent"]
        if event["OperationStatus"] not in ("PENDING", "IN_PROGRESS"):
            return event
        time.sleep(0.02)
    raise AssertionError("request did not finish")


def test_a_name_the_service_api_already_used_fails_already_exists(cc: Any, local_cloud: LocalCloud) -> None:
    client("sqs").create_queue(QueueName="taken")
    failed = _outcome(cc, "AWS::SQS::Queue", {"QueueName": "taken"})
    assert (failed["OperationStatus"], failed["ErrorCode"]) == ("FAILED", "AlreadyExists")


def test_a_service_refusal_is_a_failed_request_and_leaves_nothing(cc: Any, local_cloud: LocalCloud) -> None:
    # A subnet in a VPC that does not exist: EC2 refuses, as the real handler's call would be refused.
    failed = _outcome(cc, "AWS::EC2::Subnet", {"VpcId": "vpc-0123456789abcdef0", "CidrBlock": "10.0.0.0/24"})
    assert (failed["OperationStatus"], failed["ErrorCode"]) == ("FAILED", "NotFound")
    # A table without its attribute definitions: moto fails inside; still a FAILED request, not a 500.
    failed = _outcome(cc, "AWS::DynamoDB::Table", {"TableName": "t", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]})
    assert failed["OperationStatus"] == "FAILED"
    assert client("dynamodb").list_tables()["TableNames"] == []
