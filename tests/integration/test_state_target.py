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
from cloudforge.errors import CloudforgeError
from cloudforge.local import LocalCloud

from tests.local_helpers import cloudforge

PROGRAM = '''
import asyncio
from cloudforge import App
from cloudforge.aws.secretsmanager import Secret

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

    deploy(tmp_path)
    target._ACCOUNTS.clear()  # as in a new process
    local_cloud.reset_calls()
    sts_calls.clear()

    deploy(tmp_path)

    assert sum(local_cloud.calls().values()) == 0
    assert dict(sts_calls) == {"sts:GetCallerIdentity": 1}


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
