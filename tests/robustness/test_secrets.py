"""Secrets at rest: write-only values never appear in plain text in state, logs or CLI output.

The choice (see NOTES.md): write-only values are kept out of state. A record stores a salted,
keyed hash (scrypt over HMAC-SHA256 under the state store's own key, `<state>/key` or
`s3://.../key`) of each write-only value, enough to see that the declared value changed, never the value; read properties are
stored without write-only paths. Tested with two generated registry types that have write-only
properties: Secret's SecretString (top level) and User's LoginProfile/Password (nested).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import boto3
import pytest
from cloudforge import App
from cloudforge.events import ResourceEvent
from cloudforge.local import LocalCloud

SECRET = "Hunter2-plaintext-XYZZY"
PASSWORD = "Pa55word-plaintext-QUUX"


def leaks(blob: bytes | str, *values: str) -> list[str]:
    """Which of the values appear in `blob`, raw or as an unkeyed hash."""
    text = blob.decode("utf-8", "replace") if isinstance(blob, bytes) else blob
    found = []
    for value in values:
        for form in (value, hashlib.sha256(value.encode()).hexdigest(), json.dumps(value)):
            if form in text:
                found.append(form)
    return found


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


async def deploy(other_types: dict[str, Any], state: str | Path, secret: str, password: str,
                 events: list[ResourceEvent], phase: str = "up") -> App:
    Secret = other_types["AWS::SecretsManager::Secret"]
    User = other_types["AWS::IAM::User"]
    async with App("secrets", stage="t", state=state, listeners=[events.append], phase=phase) as app:
        await Secret("db", Name="db-password", SecretString=secret, Description="the db")
        await User("alice", UserName="alice", LoginProfile={"Password": password})
    return app


def test_write_only_values_stay_out_of_state_logs_and_events(
    local_cloud: LocalCloud, other_types: dict[str, Any], tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="cloudforge")
    state = tmp_path / "state"
    events: list[ResourceEvent] = []
    first = asyncio.run(deploy(other_types, state, SECRET, PASSWORD, events))
    assert [c.action for c in first.changes] == ["create", "create"]
    # The cloud got the values (so the test is not vacuous) ...
    live = json.loads(
        boto3.client("cloudcontrol").get_resource(TypeName="AWS::IAM::User", Identifier="alice")[
            "ResourceDescription"
        ]["Properties"]
    )
    assert live["UserName"] == "alice"
    # ... and they are nowhere at rest.
    for path in files_under(state):
        assert not leaks(path.read_bytes(), SECRET, PASSWORD), path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert not leaks(caplog.text, SECRET, PASSWORD)
    assert not leaks(repr(events), SECRET, PASSWORD)
    assert not leaks(repr(first.changes), SECRET, PASSWORD)
    # Same values again: a no-op with no call (the keyed hash matched) ...
    local_cloud.reset_calls()
    again = asyncio.run(deploy(other_types, state, SECRET, PASSWORD, events))
    assert [c.action for c in again.changes] == ["noop", "noop"]
    assert sum(local_cloud.calls().values()) == 0
    # ... a new password: planned and applied as an update that shows no value, old or new.
    new_password = "Rotated-plaintext-FROB"
    plan = asyncio.run(deploy(other_types, state, SECRET, new_password, events, phase="plan"))
    assert [c.action for c in plan.changes] == ["noop", "update"]
    assert not leaks(repr(plan.changes), SECRET, PASSWORD, new_password)
    assert "(write-only value)" in repr(plan.changes[1].diff)
    changed = asyncio.run(deploy(other_types, state, SECRET, new_password, events))
    assert [c.action for c in changed.changes] == ["noop", "update"]
    assert local_cloud.calls()["UpdateResource"] == 1
    for path in files_under(state):
        assert not leaks(path.read_bytes(), SECRET, PASSWORD, new_password), path
    assert not leaks(caplog.text + repr(events), SECRET, PASSWORD, new_password)


def test_write_only_values_stay_out_of_s3_state(
    local_cloud: LocalCloud, other_types: dict[str, Any], state_bucket: str
) -> None:
    events: list[ResourceEvent] = []
    asyncio.run(deploy(other_types, f"s3://{state_bucket}/team", SECRET, PASSWORD, events))
    s3 = boto3.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=state_bucket)["Contents"]]
    assert "team/secrets/t/state.json" in keys
    for key in keys:
        body = s3.get_object(Bucket=state_bucket, Key=key)["Body"].read()
        assert not leaks(body, SECRET, PASSWORD), key


PROGRAM = """
import asyncio, os
from cloudforge import App
from cfgen_robustness.secretsmanager import Secret

async def main():
    async with App("cli-secrets"):
        await Secret("db", Name="db-password", SecretString=os.environ["DB_SECRET"])

asyncio.run(main())
"""


def test_cli_output_never_shows_a_write_only_value(
    local_cloud: LocalCloud, other_types: dict[str, Any], tmp_path: Path
) -> None:
    program = tmp_path / "program.py"
    program.write_text(textwrap.dedent(PROGRAM))
    generated = Path(sys.modules[other_types["AWS::SecretsManager::Secret"].__module__].__file__ or "")
    root = generated.parents[2]  # <root>/cfgen_robustness/secretsmanager/secret.py
    assert (root / "cfgen_robustness").is_dir()
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": local_cloud.endpoint_url,
        "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
        "CLOUDFORGE_STATE": str(tmp_path / "state"),
        "CLOUDFORGE_DEBUG": "1",
    }
    cli = [sys.executable, "-m", "cloudforge.cli"]
    outputs = []
    for secret, command in ((SECRET, "up"), ("Changed-plaintext-WIBBLE", "plan"),
                            ("Changed-plaintext-WIBBLE", "up"), ("x", "destroy")):
        done = subprocess.run(
            [*cli, command, str(program)], env={**env, "DB_SECRET": secret},
            capture_output=True, text=True, timeout=120, cwd=tmp_path,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        outputs.append(done.stdout + done.stderr)
        assert not leaks(done.stdout + done.stderr, SECRET, "Changed-plaintext-WIBBLE"), command
    assert "db" in outputs[0] and "db" in outputs[1]
