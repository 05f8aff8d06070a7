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
