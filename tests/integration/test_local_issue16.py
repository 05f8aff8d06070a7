"""Issue 16's repros: what a program deploys through Cloud Control is what the service APIs see,
and the read-only values the local cloud makes up look like AWS's."""

from __future__ import annotations

import json
import re
from typing import Any

import boto3
from cloudforge.local import LocalCloud

from tests.local_helpers import wait_for

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}
POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                  "Resource": "arn:aws:s3:::nc-bucket/*"}]}


def _create(cc: Any, type_name: str, desired: dict[str, Any]) -> dict[str, Any]:
    token = cc.create_resource(TypeName=type_name, DesiredState=json.dumps(desired))["ProgressEvent"]["RequestToken"]
    identifier = wait_for(token)["Identifier"]
    properties: dict[str, Any] = json.loads(
        cc.get_resource(TypeName=type_name, Identifier=identifier)["ResourceDescription"]["Properties"])
    return properties


def test_the_service_apis_see_what_cloud_control_made(cc: Any, local_cloud: LocalCloud) -> None:
    _create(cc, "AWS::S3::Bucket", {"BucketName": "nc-bucket", "Tags": [{"Key": "team", "Value": "nc"}]})
    _create(cc, "AWS::S3::BucketPolicy", {"Bucket": "nc-bucket", "PolicyDocument": POLICY})
    _create(cc, "AWS::SQS::Queue", {"QueueName": "nc-jobs"})
    _create(cc, "AWS::Logs::LogGroup", {"LogGroupName": "/nc/app"})
    _create(cc, "AWS::IAM::Role", {"RoleName": "nc-role", "AssumeRolePolicyDocument": TRUST})
    _create(cc, "AWS::SecretsManager::Secret", {"Name": "nc-secret", "SecretString": "x"})

    assert [u.rsplit("/", 1)[-1] for u in boto3.client("sqs").list_queues()["QueueUrls"]] == ["nc-jobs"]
    assert boto3.client("iam").get_role(RoleName="nc-role")["Role"]["RoleName"] == "nc-role"
    assert [g["logGroupName"] for g in boto3.client("logs").describe_log_groups()["logGroups"]] == ["/nc/app"]
    assert [s["Name"] for s in boto3.client("secretsmanager").list_secrets()["SecretList"]] == ["nc-secret"]
    s3 = boto3.client("s3")
    assert json.loads(s3.get_bucket_policy(Bucket="nc-bucket")["Policy"]) == POLICY
    assert s3.get_bucket_tagging(Bucket="nc-bucket")["TagSet"] == [{"Key": "team", "Value": "nc"}]


def test_cloud_control_lists_what_the_service_api_made(cc: Any, local_cloud: LocalCloud) -> None:
    boto3.client("sqs").create_queue(QueueName="made-by-sqs")
    listed = cc.list_resources(TypeName="AWS::SQS::Queue")["ResourceDescriptions"]
    assert [d["Identifier"] for d in listed] == [f"https://sqs.us-east-1.amazonaws.com/{local_cloud.account}/made-by-sqs"]


def test_read_only_values_look_like_aws(cc: Any, local_cloud: LocalCloud) -> None:
    account = local_cloud.account
    assert _create(cc, "AWS::Logs::LogGroup", {"LogGroupName": "/nc/app"})["Arn"] == \
        f"arn:aws:logs:us-east-1:{account}:log-group:/nc/app:*"
    assert _create(cc, "AWS::SQS::Queue", {"QueueName": "nc-jobs"})["Arn"] == f"arn:aws:sqs:us-east-1:{account}:nc-jobs"
    role = _create(cc, "AWS::IAM::Role", {"RoleName": "nc-role", "AssumeRolePolicyDocument": TRUST})
    assert re.fullmatch(r"AROA[A-Z0-9]{17}", role["RoleId"]), role["RoleId"]
    cluster = _create(cc, "AWS::RDS::DBCluster", {"Engine": "aurora-mysql"})
    assert cluster["Endpoint"]["Port"].isdigit(), cluster["Endpoint"]  # the schema types it as a string
    assert cluster["DBClusterArn"] == f"arn:aws:rds:us-east-1:{account}:cluster:{cluster['DBClusterIdentifier']}"
    assert cluster["Endpoint"]["Address"].endswith(".us-east-1.rds.amazonaws.com")
