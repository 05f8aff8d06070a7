"""Issue 13, finding 1: replacing a resource whose name is fixed.

The issue's repro: an `AWS::RDS::DBCluster` with `DBClusterIdentifier="nc-db"`, deployed, then
`StorageEncrypted=False` added (create-only). Create-then-delete cannot work (the new cluster
would need the name the old one holds), so the plan says the old one goes first, and `up` does
that. A replacement that fails anyway is recoverable: reverting the program means no change,
fixing it and running again completes, and adopt=True is never the advice. Through the CLI,
against the local cloud.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.local_helpers import cloudforge

PROGRAM = """
import asyncio, sys
from cloudforge import App
from cloudforge.aws.rds import DBCluster

flags = sys.argv[1:]
extra = {"StorageEncrypted": False} if "encrypt" in flags else {}

async def main():
    async with App("names"):
        db = DBCluster("db", DBClusterIdentifier="nc-db", Engine="aurora-postgresql",
                       MasterUsername="admin", MasterUserPassword="Pw-123456789",
                       adopt="adopt" in flags, **extra)
        if "create-first" in flags:
            db = db.with_replacement("create_then_delete")
        await db

asyncio.run(main())
"""
TYPE = "AWS::RDS::DBCluster"


@pytest.fixture
def program(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CLOUDFORGE_STAGE", "names")
    path = tmp_path / "program.py"
    path.write_text(PROGRAM)
    return path


def run(program: Path, command: str, *flags: str) -> tuple[int, str, str]:
    result = cloudforge(command, str(program), "--", *flags, cwd=program.parent)
    return result.returncode, result.stdout, result.stderr


def clusters() -> list[dict[str, Any]]:
    listed = boto3.client("cloudcontrol").list_resources(TypeName=TYPE)
    return [json.loads(d["Properties"]) for d in listed["ResourceDescriptions"]]


def writes(cloud: Any) -> dict[str, int]:
    calls = cloud.calls()
    return {n: calls[n] for n in ("CreateResource", "UpdateResource", "DeleteResource") if calls[n]}


def test_a_replacement_that_keeps_the_name_deletes_first_and_the_plan_says_so(
    local_cloud: Any, program: Path
) -> None:
    assert run(program, "up")[0] == 0
    local_cloud.reset_calls()

    code, plan, _ = run(program, "plan", "encrypt")
    assert code == 0
    assert (
        '  -/+ db (AWS::RDS::DBCluster) will be replaced: create-only /StorageEncrypted changed; '
        'DBClusterIdentifier "nc-db" is kept, so the old one is deleted first'
    ) in plan.splitlines()
    assert "Plan: 1 to replace." in plan
    assert writes(local_cloud) == {}  # said before any write

    code, out, err = run(program, "up", "encrypt")
    assert code == 0, err
    assert "Apply complete: 1 replaced" in out
    assert writes(local_cloud) == {"CreateResource": 1, "DeleteResource": 1}
    [cluster] = clusters()
    assert (cluster["DBClusterIdentifier"], cluster["StorageEncrypted"]) == ("nc-db", False)
    assert "No changes: 1 unchanged." in run(program, "plan", "encrypt")[1]


def test_a_failed_create_first_replacement_is_recoverable_and_never_advises_adopt(
    local_cloud: Any, program: Path
) -> None:
    assert run(program, "up")[0] == 0
    local_cloud.reset_calls()

    # The program insists on creating first, with adopt=True as in the issue: it must fail,
    # keep the old cluster, and say how to get out.
    code, out, err = run(program, "up", "encrypt", "create-first", "adopt")
    assert code == 1
    assert "+/- db" not in out and "Apply failed: 1 failed (db)" in out
    assert "adopt=True" not in out + err
    assert "the resource being replaced still holds the name (DBClusterIdentifier \"nc-db\")" in err
    assert '.with_replacement("delete_then_create")' in err
    assert "DeleteResource" not in writes(local_cloud)
    assert [c["DBClusterIdentifier"] for c in clusters()] == ["nc-db"]

    # Reverting the program: nothing to do, nothing pending, nothing to delete.
    code, plan, _ = run(program, "plan")
    assert code == 0
    assert plan.strip() == "No changes: 1 unchanged."
    assert run(program, "up")[1].startswith("Apply complete: 1 unchanged")

    # Fixing it (the default order for a kept name) completes.
    code, out, err = run(program, "up", "encrypt")
    assert code == 0, err
    assert "Apply complete: 1 replaced" in out
    [cluster] = clusters()
    assert cluster["StorageEncrypted"] is False


def test_a_failed_delete_first_replacement_completes_on_the_next_run(
    local_cloud: Any, program: Path
) -> None:
    assert run(program, "up")[0] == 0
    local_cloud.faults.fail_handler("InternalFailure", first=1, type_name=TYPE, operations=("CREATE",),
                                    message="the handler gave up")
    # InternalFailure is re-submitted; a second rule makes the re-submission fail for good.
    local_cloud.faults.fail_handler("InvalidRequest", first=1, type_name=TYPE, operations=("CREATE",),
                                    message="the handler refused")

    code, out, err = run(program, "up", "encrypt")
    assert code == 1
    assert "Apply failed: 1 failed (db)" in out
    assert clusters() == []  # the old one went first

    # The plan says what the next run does: create it.
    code, plan, _ = run(program, "plan", "encrypt")
    assert code == 0
    assert "+ db (AWS::RDS::DBCluster) will be created" in plan
    assert "Plan: 1 to create." in plan

    code, out, err = run(program, "up", "encrypt")
    assert code == 0, err
    assert "Apply complete: 1 created" in out
    assert [c["DBClusterIdentifier"] for c in clusters()] == ["nc-db"]
    assert "No changes: 1 unchanged." in run(program, "plan", "encrypt")[1]
