"""Locking: two processes deploying one stage at once, with SQLite and with S3 state.

The first deploy (a subprocess, the local cloud's latency keeping it busy) holds the stage; a
second one, started meanwhile, must fail at once naming the holder's pid, before any call, while
readers of the state always find a whole document. With S3 a killed holder leaves its lock
behind: the next deploy names the dead holder, `cloudforge unlock` breaks the lock, and the run
after that finishes what the killed one left pending.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest
from cloudforge.errors import StateLockedError
from cloudforge.local import LocalCloud
from cloudforge.state.s3 import S3State
from cloudforge.state.sqlite import SqliteState

from tests.robustness.crash_program import deploy
from tests.robustness.helpers import assert_converged, cloud_profiles

PROGRAM = Path(__file__).with_name("crash_program.py")
SCOPE = "crash/suite"


def child_env(cloud: LocalCloud) -> dict[str, str]:
    return {**os.environ, "AWS_ENDPOINT_URL": cloud.endpoint_url, "PYTHONPATH": os.getcwd()}


@contextmanager
def first_deploy(cloud: LocalCloud, state: str, arn: str) -> Iterator[subprocess.Popen[bytes]]:
    """The first deploy, running, once it holds the lock and has sent its first create."""
    child = subprocess.Popen(
        [sys.executable, str(PROGRAM), state, arn, "v1"], env=child_env(cloud),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        while cloud.calls()["CreateResource"] == 0:
            assert child.poll() is None, child.stderr.read() if child.stderr else ""
            time.sleep(0.01)
        yield child
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()


def second_deploy(cloud: LocalCloud, state: str, arn: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(PROGRAM), state, arn, "v1"], env=child_env(cloud),
        capture_output=True, text=True, timeout=60,
    )


def cli(cloud: LocalCloud, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cloudforge.cli", *args], env=child_env(cloud),
        capture_output=True, text=True, timeout=60,
    )


def test_a_second_deploy_of_a_sqlite_stage_fails_fast_naming_the_holder(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    local_cloud.faults.hold()  # the first deploy stays busy while the others try
    state = str(tmp_path / "state")
    with first_deploy(local_cloud, state, instance_arn) as first:
        second = second_deploy(local_cloud, state, instance_arn)
        assert first.poll() is None  # the second failed while the first held on: it did not wait
        assert second.returncode != 0
        assert "StateLockedError" in second.stderr and f"pid {first.pid}" in second.stderr
        with pytest.raises(StateLockedError) as caught:
            asyncio.run(deploy(state, instance_arn, "v1"))
        assert f"pid {first.pid}" in str(caught.value)
        # A flock cannot be stale: unlock names the live holder and leaves the lock alone.
        refused = cli(local_cloud, "unlock", "crash", "--stage", "suite", "--state", state)
        assert refused.returncode == 1 and f"pid {first.pid}" in refused.stderr
        local_cloud.faults.set_latency(0.3)
        local_cloud.faults.release()
        # Readers meanwhile always see whole state (one transaction per write).
        while first.poll() is None:
            backend = SqliteState(state)
            try:
                records = backend.load(SCOPE).records
            finally:
                backend.close()
            assert all(r.logical_id.startswith("profile") for r in records.values())
            time.sleep(0.05)
        assert first.returncode == 0
    # Only the first deploy's 20 creates reached the cloud: the others sent nothing.
    assert local_cloud.calls()["CreateResource"] == 20
    assert_converged(Path(state), instance_arn, "v1")
    done = cli(local_cloud, "unlock", "crash", "--stage", "suite", "--state", state)
    assert done.returncode == 0 and "was not locked" in done.stdout


def test_s3_lock_of_a_killed_deploy_is_named_then_broken_and_the_next_run_converges(
    local_cloud: LocalCloud, instance_arn: str, state_bucket: str
) -> None:
    local_cloud.faults.hold()  # the first deploy stays busy while the others try
    state = f"s3://{state_bucket}/locks"
    with first_deploy(local_cloud, state, instance_arn) as first:
        second = second_deploy(local_cloud, state, instance_arn)
        assert second.returncode != 0
        assert "StateLockedError" in second.stderr and f"pid {first.pid}" in second.stderr
        s3 = boto3.client("s3")
        # The state object is always a whole JSON document (each write replaces it whole).
        for _ in range(20):
            body = s3.get_object(Bucket=state_bucket, Key="locks/crash/suite/state.json")["Body"]
            assert isinstance(json.loads(body.read())["records"], dict)
        first.send_signal(signal.SIGKILL)
        first.wait()
    # The killed holder's lock outlives it: named by the next deploy, broken by unlock.
    with pytest.raises(StateLockedError) as caught:
        asyncio.run(deploy(state, instance_arn, "v1"))
    assert f"pid {first.pid}" in str(caught.value) and "cloudforge unlock" in str(caught.value)
    broken = cli(local_cloud, "unlock", "crash", "--stage", "suite", "--state", state)
    assert broken.returncode == 0, broken.stderr
    assert f"held by pid {first.pid}" in broken.stdout
    assert S3State(state).holder(SCOPE) is None
    local_cloud.faults.set_latency(0.05)
    local_cloud.faults.release()
    app = asyncio.run(deploy(state, instance_arn, "v1"))
    assert all(c.status == "done" for c in app.changes)
    names = sorted(p["SecurityProfileName"] for p in cloud_profiles(instance_arn))
    assert names == sorted(f"Crash-{i:02d}" for i in range(20))  # none lost, none twice
    records = S3State(state).load(SCOPE).records
    assert sorted(r.identifier or "" for r in records.values()) == sorted(
        p["Identifier"] for p in cloud_profiles(instance_arn)
    )
    again = cli(local_cloud, "unlock", "crash", "--stage", "suite", "--state", state)
    assert "was not locked" in again.stdout
