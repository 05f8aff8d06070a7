"""The local cloud as strict as AWS: a per-account quota, RetryAfter modes, read-after-create
inconsistency, introspection over HTTP, and an HTTP server that keeps connections alive and
refuses malformed framing (issue 14)."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from cloudforge.local import LocalCloud

from tests.local_helpers import cloudforge, error_of, final_event

BUCKET = "AWS::S3::Bucket"


def client(cloud: LocalCloud, key: str = "testing", region: str = "us-east-1") -> Any:
    return boto3.client(
        "cloudcontrol", endpoint_url=cloud.endpoint_url, region_name=region,
        aws_access_key_id=key, aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def frozen(cloud: LocalCloud) -> LocalCloud:
    """The quota's clock stands still: no token comes back while the test runs."""
    cloud.quota.clock = lambda: 1000.0
    return cloud


def introspect(cloud: LocalCloud, path: str, method: str = "GET") -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(cloud.endpoint_url + path, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_rate_throttles_past_the_burst_as_aws_does_and_counts_it() -> None:
    with LocalCloud(rate=3) as cloud:
        cc = client(frozen(cloud))
        for _ in range(3):
            cc.list_resource_requests()
        assert error_of(cc.list_resource_requests) == (400, "ThrottlingException", "Rate exceeded")
        assert error_of(cc.create_resource, TypeName=BUCKET, DesiredState="{}")[1] == "ThrottlingException"
        # Another account, or another region, has buckets of its own.
        client(cloud, key="OTHERKEY").list_resource_requests()
        client(cloud, region="eu-west-1").list_resource_requests()
        status, counts = introspect(cloud, "/_cloudforge/calls")
        assert status == 200
        assert counts["calls"] == {"ListResourceRequests": 6, "CreateResource": 1}
        assert counts["throttled"] == {"ListResourceRequests": 1, "CreateResource": 1}
        # A throttled create did nothing.
        assert cloud.backend.store.requests == {}
        assert introspect(cloud, "/_cloudforge/reset", "POST")[0] == 200
        assert introspect(cloud, "/_cloudforge/calls")[1]["calls"] == {}


def test_read_and_write_budgets_are_separate() -> None:
    with LocalCloud(read_rate=2, write_rate=5) as cloud:
        cc = client(frozen(cloud))
        cc.list_resource_requests()
        cc.list_resource_requests()
        assert error_of(cc.list_resource_requests)[1] == "ThrottlingException"
        token = cc.create_resource(TypeName=BUCKET, DesiredState='{"BucketName": "w1"}')["ProgressEvent"]["RequestToken"]
        assert token
        assert cloud.throttled() == {"ListResourceRequests": 1}


def test_the_quota_refills_at_its_rate() -> None:
    with LocalCloud(rate=1) as cloud:
        now = [0.0]
        cloud.quota.clock = lambda: now[0]
        cc = client(cloud)
        cc.list_resource_requests()
        assert error_of(cc.list_resource_requests)[1] == "ThrottlingException"
        now[0] = 1.0  # one second: one token
        cc.list_resource_requests()
        assert error_of(cc.list_resource_requests)[1] == "ThrottlingException"


@pytest.mark.parametrize(("mode", "first_hint", "ends_after"), [
    ("step:2", 2.0, 4.0),  # invoked at 0, 2, 4: a 3 s handler reports its end at 4 s
    ("exact", 3.0, 3.0),
    ("none", None, 3.0),
])
def test_retry_after_modes(mode: str, first_hint: float | None, ends_after: float) -> None:
    with LocalCloud(latency=3.0, retry_after=mode) as cloud:
        cc = client(cloud)
        token = cc.create_resource(TypeName=BUCKET, DesiredState='{"BucketName": "hinted"}')["ProgressEvent"]["RequestToken"]
        event = cc.get_resource_request_status(RequestToken=token)["ProgressEvent"]
        assert event["OperationStatus"] == "IN_PROGRESS"
        if first_hint is None:
            assert "RetryAfter" not in event
        else:
            assert event["RetryAfter"] - event["EventTime"] == pytest.approx(timedelta(seconds=first_hint), abs=timedelta(milliseconds=5))
        request = cloud.backend.store.requests[token]
        assert request.due - request.start == pytest.approx(ends_after)


def test_default_mode_is_a_small_step_and_can_be_switched() -> None:
    with LocalCloud() as cloud:
        assert str(cloud.retry_after) == "step:0.5"
        cloud.set_retry_after("none")
        assert cloud.retry_after.mode == "none"
        cloud.reset()
        assert str(cloud.retry_after) == "step:0.5"
    with pytest.raises(ValueError, match="step:SECONDS"):
        LocalCloud(retry_after="soon")


def test_read_after_create_window_answers_not_found_then_the_resource() -> None:
    with LocalCloud(read_after_create=60.0) as cloud:
        cc = client(cloud)
        token = cc.create_resource(TypeName=BUCKET, DesiredState='{"BucketName": "late"}')["ProgressEvent"]["RequestToken"]
        assert final_event(cc, token)["OperationStatus"] == "SUCCESS"
        assert error_of(cc.get_resource, TypeName=BUCKET, Identifier="late")[1] == "ResourceNotFoundException"
        cloud.backend.read_after_create = 0.0  # the window closes
        assert cc.get_resource(TypeName=BUCKET, Identifier="late")["ResourceDescription"]["Identifier"] == "late"


def test_introspection_paths_refuse_other_methods_and_names(local_cloud: LocalCloud) -> None:
    assert introspect(local_cloud, "/_cloudforge/calls", "POST")[0] == 405
    assert introspect(local_cloud, "/_cloudforge/nothing")[0] == 404


def test_one_client_keeps_one_connection_alive(local_cloud: LocalCloud) -> None:
    cc = client(local_cloud)
    for _ in range(100):
        cc.list_resource_requests()
    assert local_cloud.calls() == {"ListResourceRequests": 100}
    assert local_cloud.connections() == 1


def raw_http(cloud: LocalCloud, head: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", cloud.port), timeout=10) as sock:
        sock.sendall(head)
        return sock.recv(4096)


@pytest.mark.parametrize(("length", "status"), [(b"-5", b"400"), (b"abc", b"400"), (b"99999999999999", b"413")])
def test_malformed_framing_is_refused_not_a_traceback(local_cloud: LocalCloud, length: bytes, status: bytes) -> None:
    head = (b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: CloudApiService.ListResourceRequests\r\n"
            b"Content-Length: " + length + b"\r\n\r\n")
    answer = raw_http(local_cloud, head)
    assert answer.split(b" ")[1] == status
    assert b"Traceback" not in answer
    client(local_cloud).list_resource_requests()  # and the server serves on


def test_idle_and_abandoned_connections_do_not_block_the_server() -> None:
    with LocalCloud(idle_timeout=1.0) as cloud:
        idle = socket.create_connection(("127.0.0.1", cloud.port), timeout=30)
        abandoned = [socket.create_connection(("127.0.0.1", cloud.port)) for _ in range(300)]
        try:
            client(cloud).list_resource_requests()  # served while 301 connections sit idle
            assert idle.recv(1) == b""  # the server closed the idle connection
        finally:
            idle.close()
            for sock in abandoned:
                sock.close()


def test_cli_takes_the_strictness_options_and_prints_every_variable(tmp_path: Any) -> None:
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "cloudforge.cli", "local", "--port", "0", "--rate", "2", "--retry-after", "step:2",
         "--latency", "0", "--fail-rate", "0", "--throttle-rate", "0", "--seed", "3"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(6)]
        endpoint = lines[0].split()[-1]
        text = "".join(lines)
        for name in ("AWS_ENDPOINT_URL=", "AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_REGION=", "AWS_DEFAULT_REGION="):
            assert name in text
        assert "step:2" in text and "every start is empty" in text
        cc = boto3.client("cloudcontrol", endpoint_url=endpoint,
                          config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))
        codes = []
        for _ in range(10):
            try:
                cc.list_resource_requests()
                codes.append("ok")
            except cc.exceptions.ClientError as error:
                codes.append(error.response["Error"]["Code"])
        assert "ThrottlingException" in codes
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_cli_refuses_a_bad_retry_after_mode() -> None:
    result = cloudforge("local", "--port", "0", "--retry-after", "sometimes")
    assert result.returncode == 1
    assert "step:SECONDS" in result.stderr + result.stdout


def test_a_create_checks_only_the_resources_sharing_its_unique_key(local_cloud: LocalCloud,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """O(1) creates: the clash check sees the profiles with the same instance and name, not all."""
    from cloudforge.local.hooks.connect import SecurityProfileHooks

    from tests.local_helpers import connect_instance

    seen: list[int] = []
    original = SecurityProfileHooks.conflict

    def counting(self: Any, ctx: Any, info: Any, model: Any, others: Any) -> str | None:
        others = list(others)
        seen.append(len(others))
        return original(self, ctx, info, model, others)

    monkeypatch.setattr(SecurityProfileHooks, "conflict", counting)
    instance = connect_instance("unique-key")
    cc = client(local_cloud)
    for i in range(30):
        cc.create_resource(TypeName="AWS::Connect::SecurityProfile",
                           DesiredState=json.dumps({"InstanceArn": instance, "SecurityProfileName": f"P{i}"}))
    clash = cc.create_resource(TypeName="AWS::Connect::SecurityProfile",
                               DesiredState=json.dumps({"InstanceArn": instance, "SecurityProfileName": "P7"}))
    assert seen == [0] * 30 + [1]
    assert final_event(cc, clash["ProgressEvent"]["RequestToken"])["ErrorCode"] == "AlreadyExists"
