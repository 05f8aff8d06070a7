"""Issue 12, findings 4 and 7, and reclaimed space: what state records hold.

4. A user id `p#replaced-1` collided with the record kept during a replacement of `p`: one
   secret then existed in the cloud but no longer in state. Ids now have a form that excludes
   `#`, and the replacement's record is named outside it.
7. Write-only hashes were one unsalted HMAC: equal secrets hashed alike across resources and
   apps. They are now salted and memory-hard (cloudforge.engine.hashing; the guessing rate is
   measured by `python -m bench.secrets`).
Destroying resources leaves no `generations` row behind.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import sqlite3
from pathlib import Path
from typing import Any

import boto3
import pytest
from cloudforge import App
from cloudforge.aws.secretsmanager import Secret
from cloudforge.errors import CloudforgeError
from cloudforge.local import LocalCloud


def cloud_secrets() -> dict[str, str]:
    """identifier -> Name of every secret in the local cloud."""
    listed = boto3.client("cloudcontrol").list_resources(TypeName="AWS::SecretsManager::Secret")
    return {d["Identifier"]: json.loads(d["Properties"])["Name"] for d in listed["ResourceDescriptions"]}


def state_rows(state: Path, table: str) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(state / "state.db")
    try:
        return list(db.execute(f"SELECT * FROM {table}"))
    finally:
        db.close()


def records(state: Path) -> dict[str, dict[str, Any]]:
    db = sqlite3.connect(state / "state.db")
    try:
        rows = db.execute("SELECT stage, logical_id, identifier, declared FROM resources")
        return {f"{s}:{lid}": {"identifier": i, "declared": json.loads(d)} for s, lid, i, d in rows}
    finally:
        db.close()


def test_a_user_id_can_never_take_the_replacement_record_s_name(
    local_cloud: LocalCloud, tmp_path: Path
) -> None:
    with pytest.raises(CloudforgeError, match="is not a valid name"):
        Secret("p#replaced-1", Name="x", SecretString="v")

    async def run(name: str) -> None:
        async with App("shop", stage="dev", state=tmp_path):
            await Secret("p", Name=name, SecretString="one")
            await Secret("p-replaced-1", Name="other", SecretString="two")

    asyncio.run(run("first"))
    asyncio.run(run("second"))  # Name is create-only: `p` is replaced

    in_state = {r["identifier"] for r in records(tmp_path).values()}
    assert sorted(cloud_secrets().values()) == ["other", "second"]
    assert in_state == set(cloud_secrets()), "every secret in the cloud is in state, and only those"


def test_equal_secrets_do_not_hash_alike(local_cloud: LocalCloud, tmp_path: Path) -> None:
    async def run(app: str, value: str) -> None:
        async with App(app, stage="dev", state=tmp_path):
            await Secret("a", Name=f"{app}-a", SecretString=value)
            await Secret("b", Name=f"{app}-b", SecretString=value)

    asyncio.run(run("one", "hunter2"))
    asyncio.run(run("two", "hunter2"))
    key = bytes.fromhex((tmp_path / "key").read_text())

    hashes = [r["declared"]["SecretString"] for r in records(tmp_path).values()]
    assert len(hashes) == 4 and len(set(hashes)) == 4
    assert all(h.startswith("scrypt:") for h in hashes)
    keyed = hmac.new(key, json.dumps("hunter2").encode(), hashlib.sha256).hexdigest()
    assert not any(keyed in h for h in hashes), "no unsalted keyed hash of the value"

    calls = sum(local_cloud.calls().values())
    asyncio.run(run("one", "hunter2"))
    assert sum(local_cloud.calls().values()) == calls, "an unchanged secret is still a no-op"
    asyncio.run(run("one", "hunter3"))
    assert local_cloud.calls()["UpdateResource"] == 2


def test_a_hash_written_before_still_matches(local_cloud: LocalCloud, tmp_path: Path) -> None:
    """State written by an earlier cloudforge (unsalted `hmac-sha256:`) is no spurious update."""

    async def run(value: str) -> None:
        async with App("shop", stage="dev", state=tmp_path):
            await Secret("a", Name="a", SecretString=value)

    asyncio.run(run("hunter2"))
    key = bytes.fromhex((tmp_path / "key").read_text())
    legacy = "hmac-sha256:" + hmac.new(key, b'"hunter2"', hashlib.sha256).hexdigest()
    db = sqlite3.connect(tmp_path / "state.db")
    db.execute("UPDATE resources SET declared = ?", (json.dumps({"Name": "a", "SecretString": legacy}),))
    db.commit()
    db.close()

    asyncio.run(run("hunter2"))
    assert local_cloud.calls()["UpdateResource"] == 0
    asyncio.run(run("other"))
    assert local_cloud.calls()["UpdateResource"] == 1
    assert records(tmp_path)["shop/dev:a"]["declared"]["SecretString"].startswith("scrypt:")


def test_destroyed_resources_leave_no_generation_rows(local_cloud: LocalCloud, tmp_path: Path) -> None:
    """After destroying 1,000 resources, 1,000 rows were left in `generations`; here 60."""

    async def run(phase: str, names: list[str]) -> None:
        async with App("shop", stage="dev", state=tmp_path, phase=phase):
            await asyncio.gather(*(Secret(n, Name=n) for n in names))

    names = [f"s{i}" for i in range(60)]
    asyncio.run(run("up", names))
    asyncio.run(run("destroy", names))

    assert cloud_secrets() == {}
    assert state_rows(tmp_path, "resources") == []
    assert [row[1] for row in state_rows(tmp_path, "generations")] == ["#floor"]

    # Creating the same ids again is a new request each (no ClientToken reused), as before.
    asyncio.run(run("up", names[:5]))
    assert sorted(cloud_secrets().values()) == names[:5]
    assert local_cloud.calls()["CreateResource"] == 65
