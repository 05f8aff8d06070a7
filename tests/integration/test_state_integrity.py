"""Issue 12, finding 3: a damaged, newer or keyless state is never taken as empty or rewritten.

Each case deploys through `App` / the CLI against the local cloud, damages the state as the
issue did, and checks that the next run stops with an error naming the file and the way to
recover, before any Cloud Control call, leaving the file as it was.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import boto3
import pytest
from cloudforge import App
from cloudforge.aws.secretsmanager import Secret
from cloudforge.errors import CloudforgeError
from cloudforge.local import LocalCloud
from cloudforge.state.integrity import FORMAT_VERSION

from tests.local_helpers import cloudforge

PROGRAM = '''
import asyncio
from cloudforge import App
from cloudforge.aws.secretsmanager import Secret

async def main():
    async with App("shop", stage="dev"):
        for i in range(4):
            await Secret(f"s{i}", Name=f"secret-{i}", SecretString=f"value-{i}")

asyncio.run(main())
'''


def deploy(state: str | Path, value: str = "v", count: int = 2) -> None:
    async def run() -> None:
        async with App("shop", stage="dev", state=state):
            for i in range(count):
                await Secret(f"s{i}", Name=f"secret-{i}", SecretString=f"{value}-{i}")

    asyncio.run(run())


def cloud_secrets() -> int:
    listed = boto3.client("cloudcontrol").list_resources(TypeName="AWS::SecretsManager::Secret")
    return len(listed["ResourceDescriptions"])


def calls(cloud: LocalCloud) -> int:
    return sum(cloud.calls().values())


def test_a_zero_byte_state_stops_the_run_instead_of_creating_everything_again(
    local_cloud: LocalCloud, tmp_path: Path
) -> None:
    """`up`, then `.cloudforge/state.db` truncated to 0 bytes: the next `up` created all the
    resources again (each then existed twice)."""
    program = tmp_path / "prog.py"
    program.write_text(PROGRAM)
    assert cloudforge("up", str(program), cwd=tmp_path).returncode == 0
    db = tmp_path / ".cloudforge" / "state.db"
    db.write_bytes(b"")
    before = local_cloud.calls()["CreateResource"]

    again = cloudforge("up", str(program), cwd=tmp_path)

    out = again.stdout + again.stderr
    assert again.returncode != 0
    assert f"{db}: the file is empty (0 bytes)" in out, out
    assert f"cp {db}.backup {db}" in out  # the copy kept from the last successful run
    assert local_cloud.calls()["CreateResource"] == before
    assert cloud_secrets() == 4
    assert db.read_bytes() == b""


def test_the_backup_of_the_last_successful_run_restores_the_state(
    local_cloud: LocalCloud, tmp_path: Path
) -> None:
    deploy(tmp_path)
    db = tmp_path / "state.db"
    db.write_bytes(db.read_bytes()[: db.stat().st_size // 3])  # truncated
    with pytest.raises(CloudforgeError, match=r"state\.db: the database"):
        deploy(tmp_path)

    (tmp_path / "state.db.backup").replace(db)
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    writes_before = local_cloud.calls()["CreateResource"]
    deploy(tmp_path)

    assert local_cloud.calls()["CreateResource"] == writes_before  # all unchanged
    assert cloud_secrets() == 2


def test_a_malformed_database_names_the_file(local_cloud: LocalCloud, tmp_path: Path) -> None:
    """It was `DatabaseError at prog.py:6: database disk image is malformed`."""
    deploy(tmp_path)
    db = tmp_path / "state.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(db.read_bytes())
    data[len(data) // 2 :] = b"\xff" * (len(data) - len(data) // 2)
    data[100:200] = b"\x00" * 100
    db.write_bytes(bytes(data))
    before = calls(local_cloud)

    with pytest.raises(CloudforgeError) as caught:
        deploy(tmp_path)

    assert type(caught.value).__name__ == "StateCorruptError"
    assert str(caught.value).startswith(f"{db}: ")
    assert calls(local_cloud) == before


@pytest.mark.parametrize("where", ["sqlite", "s3"])
def test_a_state_from_a_newer_cloudforge_is_refused_and_left_untouched(
    local_cloud: LocalCloud, tmp_path: Path, where: str
) -> None:
    """SQLite `user_version=99`, or an S3 document with `"version": 99`, was used and rewritten."""
    if where == "sqlite":
        state: str | Path = tmp_path
        deploy(state)
        conn = sqlite3.connect(tmp_path / "state.db")
        conn.execute("PRAGMA user_version=99")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        location = str(tmp_path / "state.db")

        def snapshot() -> bytes:
            return (tmp_path / "state.db").read_bytes()
    else:
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="team")
        state = "s3://team/p"
        deploy(state)
        doc = json.loads(s3.get_object(Bucket="team", Key="p/shop/dev/state.json")["Body"].read())
        doc["version"] = 99
        s3.put_object(Bucket="team", Key="p/shop/dev/state.json", Body=json.dumps(doc).encode())
        location = "s3://team/p/shop/dev/state.json"

        def snapshot() -> bytes:
            return bytes(s3.get_object(Bucket="team", Key="p/shop/dev/state.json")["Body"].read())

    kept = snapshot()
    before = local_cloud.calls()["CreateResource"] + local_cloud.calls()["UpdateResource"]

    with pytest.raises(CloudforgeError) as caught:
        deploy(state, value="changed")

    message = str(caught.value)
    assert f"{location} is in state format 99" in message
    assert f"reads formats up to {FORMAT_VERSION}" in message and "cloudforge " in message
    assert snapshot() == kept
    assert local_cloud.calls()["CreateResource"] + local_cloud.calls()["UpdateResource"] == before


def test_a_damaged_key_file_is_named(local_cloud: LocalCloud, tmp_path: Path) -> None:
    """A 3-byte key file gave `ValueError ... fromhex()`."""
    deploy(tmp_path)
    (tmp_path / "key").write_text("abc")
    with pytest.raises(CloudforgeError) as caught:
        deploy(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'key'}: the state key is 3 characters")
    assert "abc" not in message  # a key is never shown


def test_a_deleted_key_file_is_an_error_not_silently_regenerated(
    local_cloud: LocalCloud, tmp_path: Path
) -> None:
    deploy(tmp_path)
    (tmp_path / "key").unlink()
    before = calls(local_cloud)

    with pytest.raises(CloudforgeError, match="the state key is missing"):
        deploy(tmp_path)
    assert not (tmp_path / "key").exists()
    assert calls(local_cloud) == before

    # The way forward the message names: a new key, and each write-only value sent again once.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CLOUDFORGE_NEW_KEY", "1")
        deploy(tmp_path)
    assert (tmp_path / "key").exists()
    assert local_cloud.calls()["UpdateResource"] == 2
    deploy(tmp_path)
    assert local_cloud.calls()["UpdateResource"] == 2  # and then a no-op again


def test_a_deleted_s3_key_is_an_error(local_cloud: LocalCloud) -> None:
    boto3.client("s3").create_bucket(Bucket="team")
    deploy("s3://team/p")
    boto3.client("s3").delete_object(Bucket="team", Key="p/key")
    with pytest.raises(CloudforgeError, match="s3://team/p/key: the state key is missing"):
        deploy("s3://team/p")


def test_the_key_can_live_outside_the_state(
    local_cloud: LocalCloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDFORGE_STATE_KEY", "ab" * 32)
    deploy(tmp_path)
    deploy(tmp_path)
    assert not (tmp_path / "key").exists()
    assert local_cloud.calls()["UpdateResource"] == 0
    monkeypatch.setenv("CLOUDFORGE_STATE_KEY", "not-hex")
    with pytest.raises(CloudforgeError, match=r"\$CLOUDFORGE_STATE_KEY: the state key is 7 characters"):
        deploy(tmp_path)
