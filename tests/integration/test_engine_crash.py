"""A deploy killed with SIGKILL right after CreateResource is resumed by the next run.

The local cloud runs in this process with a 2 s latency; a subprocess deploys one profile and is
killed as soon as the state shows the pending request (or the cloud counted the create). The
next run must finish that request, not send a second create.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from cloudforge import App
from cloudforge.aws.connect import SecurityProfile
from cloudforge.local import LocalCloud

from tests.local_helpers import connect_instance

pytestmark = pytest.mark.slow  # processes killed mid-deploy

TYPE = "AWS::Connect::SecurityProfile"

PROGRAM = """
import asyncio, sys
from cloudforge import App
from cloudforge.aws.connect import SecurityProfile

async def main():
    async with App("crash", stage="test", state_dir=sys.argv[1]):
        await SecurityProfile("profile", InstanceArn=sys.argv[2], SecurityProfileName="Survivor",
                              Description="made across a crash")

asyncio.run(main())
"""


def pending_token(state_dir: Path) -> str | None:
    path = state_dir / "state.db"
    if not path.exists():
        return None
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            row = db.execute("SELECT pending_token FROM resources").fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


@pytest.mark.parametrize("kill_when", ["token-journaled", "create-counted"])
def test_killed_run_is_resumed_without_a_duplicate(
    local_cloud: LocalCloud, tmp_path: Path, kill_when: str
) -> None:
    arn = connect_instance("crash")
    local_cloud.faults.hold()  # the create stays in flight until the child is killed
    program = tmp_path / "program.py"
    program.write_text(PROGRAM)
    state_dir = tmp_path / "state"
    env = {**os.environ, "AWS_ENDPOINT_URL": local_cloud.endpoint_url}
    child = subprocess.Popen([sys.executable, str(program), str(state_dir), arn], env=env)
    try:
        while not (
            (kill_when == "token-journaled" and pending_token(state_dir))
            or (kill_when == "create-counted" and local_cloud.calls()["CreateResource"])
        ):
            assert child.poll() is None, "the deploy ended before it could be killed"
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    local_cloud.faults.release()
    assert local_cloud.calls()["CreateResource"] == 1

    async def rerun() -> App:
        async with App("crash", stage="test", state_dir=state_dir) as app:
            profile = await SecurityProfile(
                "profile", InstanceArn=arn, SecurityProfileName="Survivor",
                Description="made across a crash",
            )
            assert profile.SecurityProfileArn.startswith(arn)
        return app

    app = asyncio.run(rerun())
    assert [c.action for c in app.changes] == ["create"]
    client = boto3.client("cloudcontrol")
    listed = client.list_resources(TypeName=TYPE, ResourceModel=json.dumps({"InstanceArn": arn}))
    assert len(listed["ResourceDescriptions"]) == 1  # no duplicate
    calls = local_cloud.calls()
    if kill_when == "token-journaled":
        assert calls["CreateResource"] == 1  # resumed by its request token: never re-sent
    else:
        # Killed perhaps before the token was journaled: a re-send carries the same ClientToken
        # and so is answered with the same request.
        assert calls["CreateResource"] <= 2
    assert pending_token(state_dir) is None
