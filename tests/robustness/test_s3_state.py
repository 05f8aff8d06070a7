"""Team state in S3 (`App(state="s3://bucket/prefix")`) against moto's S3 on the local cloud.

moto (5.2) honours S3 conditional writes (`IfNoneMatch="*"` and `IfMatch` on PutObject, `IfMatch`
on DeleteObject), so the backend uses S3 alone: no DynamoDB table. The first test pins that.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from cloudforge import App
from cloudforge.aws.connect import SecurityProfile
from cloudforge.errors import CloudforgeError, StateConflictError, StateLockedError
from cloudforge.local import LocalCloud
from cloudforge.state.s3 import S3State
from cloudforge.state.sqlite import ResourceRecord

from tests.robustness.helpers import cloud_profiles

STAGE = "team/dev"


def test_the_s3_of_the_local_cloud_honours_conditional_writes(state_bucket: str) -> None:
    s3 = boto3.client("s3")
    first = s3.put_object(Bucket=state_bucket, Key="k", Body=b"1", IfNoneMatch="*")
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=state_bucket, Key="k", Body=b"2", IfNoneMatch="*")
    assert caught.value.response["Error"]["Code"] == "PreconditionFailed"
    with pytest.raises(ClientError):
        s3.put_object(Bucket=state_bucket, Key="k", Body=b"3", IfMatch='"not-the-etag"')
    s3.put_object(Bucket=state_bucket, Key="k", Body=b"4", IfMatch=first["ETag"])
    with pytest.raises(ClientError):
        s3.delete_object(Bucket=state_bucket, Key="k", IfMatch=first["ETag"])  # stale ETag
    assert s3.get_object(Bucket=state_bucket, Key="k")["Body"].read() == b"4"


async def deploy(arn: str, url: str, description: str) -> App:
    async with App("team", stage="dev", state=url) as app:
        await SecurityProfile(
            "profile", InstanceArn=arn, SecurityProfileName="Shared", Description=description
        )
    return app


def test_a_stage_deployed_with_s3_state_is_a_noop_from_another_machine(
    local_cloud: LocalCloud, instance_arn: str, state_bucket: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # a local .cloudforge/ would show up here
    url = f"s3://{state_bucket}/cloudforge"
    first = asyncio.run(deploy(instance_arn, url, "v1"))
    assert [c.action for c in first.changes] == ["create"]
    assert not (tmp_path / ".cloudforge").exists()
    doc = json.loads(
        boto3.client("s3").get_object(Bucket=state_bucket, Key="cloudforge/team/dev/state.json")[
            "Body"
        ].read()
    )
    assert doc["records"]["profile"]["identifier"].startswith(instance_arn)
    # "Another machine": a fresh backend object, nothing cached, only S3.
    local_cloud.reset_calls()
    again = asyncio.run(deploy(instance_arn, url, "v1"))
    assert [c.action for c in again.changes] == ["noop"]
    assert sum(local_cloud.calls().values()) == 0
    changed = asyncio.run(deploy(instance_arn, url, "v2"))
    assert [c.action for c in changed.changes] == ["update"]
    assert [p["Description"] for p in cloud_profiles(instance_arn)] == ["v2"]
    # The lock is gone after each run.
    assert S3State(url).holder(STAGE) is None


def test_a_second_deploy_of_a_locked_stage_fails_naming_the_holder(
    local_cloud: LocalCloud, instance_arn: str, state_bucket: str
) -> None:
    url = f"s3://{state_bucket}/p"
    holder = S3State(url)
    holder.lock(STAGE)
    with pytest.raises(StateLockedError) as caught:
        asyncio.run(deploy(instance_arn, url, "blocked"))
    assert f"pid {os.getpid()}" in str(caught.value) and "cloudforge unlock" in str(caught.value)
    assert sum(local_cloud.calls().values()) == 0  # nothing was sent
    holder.unlock(STAGE)
    assert [c.action for c in asyncio.run(deploy(instance_arn, url, "free")).changes] == ["create"]


def test_of_many_racing_lockers_exactly_one_wins(state_bucket: str) -> None:
    url = f"s3://{state_bucket}/race"
    won: list[int] = []
    lost: list[str] = []
    barrier = threading.Barrier(8)

    def contend(n: int) -> None:
        backend = S3State(url)
        barrier.wait()
        try:
            backend.lock(STAGE)
            won.append(n)
        except StateLockedError as err:
            lost.append(str(err))

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1 and len(lost) == 7


def test_a_writer_whose_lock_was_broken_cannot_overwrite_newer_state(state_bucket: str) -> None:
    url = f"s3://{state_bucket}/broken"
    stale = S3State(url)
    stale.lock(STAGE)
    stale.load(STAGE)
    stale.put(STAGE, ResourceRecord("a", "AWS::X::Y", "id-a", {}, {}))
    # `cloudforge unlock`: the stale holder's lock is broken, and a second deploy takes over.
    assert "pid" in (S3State(url).break_lock(STAGE) or "")
    fresh = S3State(url)
    fresh.lock(STAGE)
    assert set(fresh.load(STAGE).records) == {"a"}
    fresh.put(STAGE, ResourceRecord("b", "AWS::X::Y", "id-b", {}, {}))
    with pytest.raises(StateConflictError) as caught:
        stale.put(STAGE, ResourceRecord("c", "AWS::X::Y", "id-c", {}, {}))
    assert "cloudforge unlock" in str(caught.value)
    stale.unlock(STAGE)  # must not release the lock the fresh writer holds
    assert fresh.holder(STAGE) is not None
    fresh.unlock(STAGE)
    assert set(S3State(url).load(STAGE).records) == {"a", "b"}
    assert fresh.holder(STAGE) is None


def test_every_machine_of_the_team_derives_the_same_key(state_bucket: str) -> None:
    url = f"s3://{state_bucket}/keys"
    keys = {S3State(url).secret() for _ in range(3)}
    assert len(keys) == 1 and len(next(iter(keys))) == 32
    assert S3State(url).stages() == []
    backend = S3State(url)
    backend.load("app/one")
    backend.put("app/one", ResourceRecord("a", "AWS::X::Y", "id", {}, {}))
    assert S3State(url).stages() == ["app/one"]


@pytest.mark.parametrize(
    "body", [b'{"records": {"a": {"logical', b"[1, 2]", b'{"records": {"a": {"type_name": 3}}}'],
)
def test_a_damaged_state_document_is_named_not_crashed_on(state_bucket: str, body: bytes) -> None:
    boto3.client("s3").put_object(Bucket=state_bucket, Key="d/team/dev/state.json", Body=body)
    with pytest.raises(CloudforgeError) as caught:
        S3State(f"s3://{state_bucket}/d").load(STAGE)
    assert "s3://team-state/d/team/dev/state.json" in str(caught.value)
    assert "restore an earlier version" in str(caught.value)


def test_fields_from_a_newer_version_are_ignored_and_missing_ones_defaulted(
    state_bucket: str,
) -> None:
    record = {"logical_id": "a", "type_name": "AWS::X::Y", "identifier": "id-a", "declared": {},
              "properties": {}, "field_from_the_future": 1}
    doc = {"version": 1, "records": {"a": record}, "generations": {"a": 2}}
    boto3.client("s3").put_object(
        Bucket=state_bucket, Key="n/team/dev/state.json", Body=json.dumps(doc).encode()
    )
    loaded = S3State(f"s3://{state_bucket}/n").load(STAGE)
    assert loaded.records["a"].identifier == "id-a" and loaded.records["a"].status == "ready"
    assert loaded.generations == {"a": 2}
