"""Moto-backed resources survive a restart with `state_file`, and two LocalClouds are isolated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
from cloudforge.local import LocalCloud, reset_moto

from tests.local_helpers import wait_for


def _client(service: str, cloud: LocalCloud) -> Any:
    return boto3.client(service, endpoint_url=cloud.endpoint_url)


def test_a_restart_restores_what_cloud_control_and_the_service_apis_made(tmp_path: Path, monkeypatch: Any) -> None:
    state = tmp_path / "state.jsonl"
    with LocalCloud(state_file=state) as first:
        monkeypatch.setenv("AWS_ENDPOINT_URL", first.endpoint_url)
        cc = _client("cloudcontrol", first)
        token = cc.create_resource(TypeName="AWS::SQS::Queue", DesiredState=json.dumps({"QueueName": "cc-made"}))
        wait_for(token["ProgressEvent"]["RequestToken"])
        _client("sqs", first).create_queue(QueueName="api-made")
        _client("ssm", first).put_parameter(Name="/api/flag", Type="String", Value="on")
    reset_moto()  # a new process starts with an empty moto
    with LocalCloud(state_file=state) as second:
        sqs = _client("sqs", second)
        names = sorted(url.rsplit("/", 1)[-1] for url in sqs.list_queues()["QueueUrls"])
        assert names == ["api-made", "cc-made"]
        assert _client("ssm", second).get_parameter(Name="/api/flag")["Parameter"]["Value"] == "on"
        listed = _client("cloudcontrol", second).list_resources(TypeName="AWS::SQS::Queue")["ResourceDescriptions"]
        assert [d["Identifier"].rsplit("/", 1)[-1] for d in listed] == ["api-made", "cc-made"]


def test_two_clouds_in_one_process_do_not_share_moto_resources() -> None:
    with LocalCloud() as one, LocalCloud() as two:
        assert one.account != two.account
        _client("sqs", one).create_queue(QueueName="only-in-one")
        cc = _client("cloudcontrol", two)
        token = cc.create_resource(TypeName="AWS::SNS::Topic", DesiredState=json.dumps({"TopicName": "only-in-two"}))
        assert cc.get_resource_request_status(RequestToken=token["ProgressEvent"]["RequestToken"])["ProgressEvent"]["OperationStatus"] == "SUCCESS"
        assert "QueueUrls" not in _client("sqs", two).list_queues()
        assert _client("sns", one).list_topics()["Topics"] == []
        assert [t["TopicArn"] for t in _client("sns", two).list_topics()["Topics"]] == [
            f"arn:aws:sns:us-east-1:{two.account}:only-in-two"]
        assert _client("sts", two).get_caller_identity()["Account"] == two.account


def test_identifiers_the_services_generated_survive_a_restart(tmp_path: Path, monkeypatch: Any) -> None:
    state = tmp_path / "ids.jsonl"
    desired = {
        "AWS::EC2::VPC": {"CidrBlock": "10.3.0.0/16"},
        "AWS::KMS::Key": {"Description": "kept"},
        "AWS::IAM::Role": {"RoleName": "kept-role", "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}},
        "AWS::SecretsManager::Secret": {"Name": "kept-secret", "SecretString": "v"},
    }
    before: dict[str, dict[str, Any]] = {}
    with LocalCloud(state_file=state) as first:
        monkeypatch.setenv("AWS_ENDPOINT_URL", first.endpoint_url)
        cc = _client("cloudcontrol", first)
        for type_name, props in desired.items():
            token = cc.create_resource(TypeName=type_name, DesiredState=json.dumps(props))["ProgressEvent"]["RequestToken"]
            identifier = wait_for(token)["Identifier"]
            before[type_name] = json.loads(cc.get_resource(TypeName=type_name, Identifier=identifier)
                                           ["ResourceDescription"]["Properties"])
            before[type_name]["Identifier"] = identifier
    reset_moto()
    with LocalCloud(state_file=state) as second:
        cc = _client("cloudcontrol", second)
        for type_name, old in before.items():
            now = json.loads(cc.get_resource(TypeName=type_name, Identifier=old["Identifier"])
                             ["ResourceDescription"]["Properties"])
            assert {k: now.get(k) for k in ("VpcId", "KeyId", "Arn", "RoleId", "Id")} == \
                {k: old.get(k) for k in ("VpcId", "KeyId", "Arn", "RoleId", "Id")}
        assert _client("secretsmanager", second).get_secret_value(SecretId=before["AWS::SecretsManager::Secret"]["Id"])[
            "SecretString"] == "v"
        assert _client("iam", second).get_role(RoleName="kept-role")["Role"]["RoleId"] == before["AWS::IAM::Role"]["RoleId"]
