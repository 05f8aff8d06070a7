"""Issue 12, finding 2: state knows the target (account, region, endpoint) it describes.

After a deploy, pointing AWS_ENDPOINT_URL at a fresh local cloud gave `Apply complete: 4
unchanged`, and `plan --region eu-west-1` gave `No changes: 4 unchanged`: nothing existed there.
Now such a run stops before any Cloud Control call, naming both targets and the way forward;
`--refresh` moves the stage to the new target; a no-op at the same target still makes no Cloud
Control call and at most one STS call (none when the credentials carry their account).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from cloudforge import App
from cloudforge.aws.secretsmanager import Secret
from cloudforge.cloud.target import Target as CloudTarget
from cloudforge.errors import CloudforgeError
from cloudforge.local import LocalCloud

from tests.local_helpers import cloudforge

PROGRAM = '''
import asyncio
from cloudforge import App
from cloudforge.aws.secretsmanager import Secret
from cloudforge.cloud.target import Target as CloudTarget

async def main():
    async with App("shop", stage="dev"):
        for i in range(4):
            await Secret(f"s{i}", Name=f"secret-{i}", Description="d")

asyncio.run(main())
'''


@pytest.fixture(scope="module")
def fresh_cloud() -> Iterator[LocalCloud]:
    with LocalCloud(port=0, latency=0.0, seed=7) as cloud:
        yield cloud


def secrets(endpoint: str) -> int:
    client = boto3.client("cloudcontrol", endpoint_url=endpoint)
    return len(client.list_resources(TypeName="AWS::SecretsManager::Secret")["ResourceDescriptions"])


@pytest.fixture
def deployed(local_cloud: LocalCloud, tmp_path: Path) -> Path:
    program = tmp_path / "prog.py"
    program.write_text(PROGRAM)
    first = cloudforge("up", str(program), cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert secrets(local_cloud.endpoint_url) == 4
    return program


def test_another_endpoint_is_never_told_its_resources_are_unchanged(
    local_cloud: LocalCloud, fresh_cloud: LocalCloud, deployed: Path, tmp_path: Path
) -> None:
    fresh_cloud.reset()
    there = {"AWS_ENDPOINT_URL": fresh_cloud.endpoint_url}

    planned = cloudforge("plan", str(deployed), cwd=tmp_path, **there)
    applied = cloudforge("up", str(deployed), cwd=tmp_path, **there)

    for result in (planned, applied):
        out = result.stdout + result.stderr
        assert result.returncode != 0, out
        assert "unchanged" not in out.replace("reported unchanged", "")
        assert f"endpoint {local_cloud.endpoint_url}" in out  # the recorded target
        assert f"endpoint {fresh_cloud.endpoint_url}" in out  # this run's
        assert "--refresh" in out and "--stage" in out  # the ways forward
    assert sum(fresh_cloud.calls().values()) == 0
    assert secrets(fresh_cloud.endpoint_url) == 0


def test_another_region_is_never_told_no_changes(
    local_cloud: LocalCloud, deployed: Path, tmp_path: Path
) -> None:
    before = sum(local_cloud.calls().values())
    planned = cloudforge("plan", "--region", "eu-west-1", str(deployed), cwd=tmp_path)
    out = planned.stdout + planned.stderr
    assert planned.returncode != 0, out
    assert "unchanged" not in out.replace("reported unchanged", "")  # was: No changes: 4 unchanged
    assert "region us-east-1" in out and "region eu-west-1" in out
    assert sum(local_cloud.calls().values()) == before


def test_refresh_moves_the_stage_to_the_new_target(
    local_cloud: LocalCloud, fresh_cloud: LocalCloud, deployed: Path, tmp_path: Path
) -> None:
    fresh_cloud.reset()
    there = {"AWS_ENDPOINT_URL": fresh_cloud.endpoint_url}

    planned = cloudforge("plan", "--refresh", str(deployed), cwd=tmp_path, **there)
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert "4 to create" in planned.stdout or "create" in planned.stdout
    moved = cloudforge("up", "--refresh", str(deployed), cwd=tmp_path, **there)
    assert moved.returncode == 0, moved.stdout + moved.stderr

    assert secrets(fresh_cloud.endpoint_url) == 4
    assert secrets(local_cloud.endpoint_url) == 4  # the old target's were not touched
    assert local_cloud.calls()["DeleteResource"] == 0
    again = cloudforge("up", str(deployed), cwd=tmp_path, **there)
    assert again.returncode == 0 and fresh_cloud.calls()["CreateResource"] == 4


@pytest.fixture
def sts_calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Every API call this process makes, by service and operation."""
    counted: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def counting(self: Any, operation: str, params: Any) -> Any:
        counted[f"{self.meta.service_model.service_name}:{operation}"] += 1
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counting)
    return counted


def deploy(state: Path) -> None:
    async def run() -> None:
        async with App("shop", stage="dev", state=state):
            for i in range(3):
                await Secret(f"s{i}", Name=f"secret-{i}", Description="d")

    asyncio.run(run())


def test_a_no_op_makes_no_cloud_control_call_and_at_most_one_sts_call(
    local_cloud: LocalCloud, tmp_path: Path, sts_calls: Counter[str]
) -> None:
    from cloudforge.cloud import target

    deploy(tmp_path)  # the account cache misses: one STS call, remembered on disk
    assert sts_calls["sts:GetCallerIdentity"] == 1
    target._ACCOUNTS.clear()  # as in a new process
    local_cloud.reset_calls()
    sts_calls.clear()

    deploy(tmp_path)

    assert sum(local_cloud.calls().values()) == 0
    assert dict(sts_calls) == {}


NO_OP = """
import asyncio, json, sys
from cloudforge import App
from cloudforge.aws.secretsmanager import Secret
from cloudforge.cloud.target import Target as CloudTarget

async def main():
    async with App("shop", stage="dev", state=sys.argv[1]):
        for i in range(3):
            await Secret(f"s{i}", Name=f"secret-{i}", Description="d")

asyncio.run(main())
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & {"boto3", "botocore"})))
"""


def test_the_account_is_cached_so_a_second_no_op_needs_neither_sts_nor_boto3(
    local_cloud: LocalCloud, tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    program = tmp_path / "noop.py"
    program.write_text(NO_OP)
    cache = Path(os.environ["CLOUDFORGE_CACHE_DIR"])
    assert not (cache / "accounts.json").exists()

    def run() -> list[str]:
        done = subprocess.run([sys.executable, str(program), str(tmp_path)], capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
        return loaded

    # First run: nothing cached, so boto3 and exactly one STS call find the account.
    assert run() == ["boto3", "botocore"]
    assert local_cloud.calls()["CreateResource"] == 3
    cached = json.loads((cache / "accounts.json").read_text())
    assert list(cached.values()) == ["123456789012"]
    assert "testing" not in json.dumps(cached)  # neither the key id nor the secret is stored
    local_cloud.reset_calls()

    # Second run, a no-op: the cached account matches the records, so no STS call (the SDK is
    # never even loaded) and no Cloud Control call.
    assert run() == []
    assert sum(local_cloud.calls().values()) == 0
    assert _records(tmp_path)[0]["account"] == "123456789012"


def test_no_sts_call_when_the_credentials_carry_their_account(
    local_cloud: LocalCloud, tmp_path: Path, sts_calls: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cloudforge.cloud import cloudcontrol, target

    monkeypatch.setenv("AWS_ACCOUNT_ID", "123456789012")
    cloudcontrol._SESSIONS.clear()
    target._ACCOUNTS.clear()
    deploy(tmp_path)
    deploy(tmp_path)

    assert sts_calls["sts:GetCallerIdentity"] == 0
    records = json.loads(json.dumps(_records(tmp_path)))
    assert {r["account"] for r in records} == {"123456789012"}


def _records(state: Path) -> list[dict[str, Any]]:
    from dataclasses import asdict

    from cloudforge.state.sqlite import SqliteState

    backend = SqliteState(state)
    try:
        return [asdict(r) for r in backend.load("shop/dev").records.values()]
    finally:
        backend.close()


def test_records_remember_their_target(local_cloud: LocalCloud, tmp_path: Path) -> None:
    deploy(tmp_path)
    records = _records(tmp_path)
    assert len(records) == 3
    for record in records:
        assert (record["account"], record["region"], record["endpoint"]) == (
            "123456789012", "us-east-1", local_cloud.endpoint_url
        )
    with pytest.raises(CloudforgeError, match="region us-east-1"):
        async def elsewhere() -> None:
            async with App("shop", stage="dev", state=tmp_path, region="eu-west-1", phase="destroy"):
                pass

        asyncio.run(elsewhere())
    assert local_cloud.calls()["DeleteResource"] == 0


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "ap-southeast-3", "il-central-1"])
def test_the_target_told_by_the_environment_is_the_one_botocore_would_find(
    region: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Records written after an STS call (through boto3) must match a later run that needs no
    # boto3, or every no-op would be refused as another target.
    from cloudforge.cloud import cloudcontrol
    from cloudforge.cloud.cloudcontrol import CloudControl
    from cloudforge.cloud.target import from_environment

    monkeypatch.setenv("AWS_ACCOUNT_ID", "123456789012")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    cloudcontrol._SESSIONS.clear()
    told = from_environment(region=region, profile=None, endpoint_url=None)
    cloud = CloudControl(region=region)
    try:
        assert told is not None
        client = cloud.client
        assert (told.account, told.region, told.endpoint) == (
            "123456789012", client.meta.region_name, client.meta.endpoint_url
        )
        assert cloud.target() == CloudTarget(told.account, told.region, told.endpoint)
    finally:
        cloud.close()

    monkeypatch.setenv("AWS_PROFILE", "other")  # a profile: only botocore can tell
    assert from_environment(region=region, profile=None, endpoint_url=None) is None
