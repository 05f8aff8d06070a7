"""Crash suite: a 20-resource deploy in a subprocess is SIGKILLed at seeded random moments.

The local cloud runs in this process (a small random latency per request); the child deploys
one of four versions of 20 security profiles (create, update, replace, delete in turn) and is
killed once a seeded random number of its write calls has reached the cloud, plus a random
few milliseconds, so kills land before, during and after journaling, sending and polling. After
every kill the same version is run again in this process and must converge: each declared
profile exists exactly once in the cloud, nothing else exists there (no orphan, no duplicate),
no record is pending, state names exactly the cloud's identifiers, and a third run is a no-op
without a single API call.

CLOUDFORGE_CRASH_KILLS (default 32) and CLOUDFORGE_CRASH_SEED change the run; the figures are
printed at the end (`pytest -s`).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import boto3
import pytest
from cloudforge.local import Latency, LocalCloud
from cloudforge.state.locking import break_lock

from tests.robustness.crash_program import deploy
from tests.robustness.helpers import assert_converged, pending_records

PROGRAM = Path(__file__).with_name("crash_program.py")
KILLS = int(os.environ.get("CLOUDFORGE_CRASH_KILLS", "32"))
S3_KILLS = int(os.environ.get("CLOUDFORGE_CRASH_S3_KILLS", "8"))  # the S3 backend, a shorter run
SEED = int(os.environ.get("CLOUDFORGE_CRASH_SEED", "20261126"))
# Each transition: the version deployed, the action it takes, the write calls it makes.
CYCLE = (("v1", "create", 20), ("v2", "update", 20), ("v3", "replace", 40), ("empty", "delete", 20))
WRITES = ("CreateResource", "UpdateResource", "DeleteResource")


def writes(cloud: LocalCloud) -> int:
    calls = cloud.calls()
    return sum(calls[name] for name in WRITES)


def run_and_kill(
    cloud: LocalCloud, state: str, arn: str, version: str, after_writes: int, extra: float
) -> bool:
    """Run the program; SIGKILL it once `after_writes` writes arrived (+`extra` s). Killed?"""
    start = writes(cloud)
    env = {**os.environ, "AWS_ENDPOINT_URL": cloud.endpoint_url, "PYTHONPATH": os.getcwd()}
    child = subprocess.Popen(
        [sys.executable, str(PROGRAM), state, arn, version],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while child.poll() is None and writes(cloud) - start < after_writes:
            time.sleep(0.002)
        time.sleep(extra)
        if child.poll() is not None:
            return False  # finished first: not a kill
        child.send_signal(signal.SIGKILL)
        child.wait()
        return child.returncode == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


@pytest.mark.parametrize("backend", ["sqlite", "s3"])
def test_sigkilled_deploys_converge_on_the_next_run(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path, backend: str
) -> None:
    if backend == "s3":
        boto3.client("s3").create_bucket(Bucket="crash-state")
        state, kills = "s3://crash-state/team", S3_KILLS
    else:
        state, kills = str(tmp_path / "state"), KILLS
    local_cloud.faults.set_latency(Latency(uniform=(0.02, 0.2)))
    rng = random.Random(SEED)
    tried: Counter[str] = Counter()
    killed: Counter[str] = Counter()
    survived: Counter[str] = Counter()
    in_flight: Counter[str] = Counter()  # records a kill left pending (journaled, unfinished)
    converge_calls = 0
    for n in range(kills):
        version, action, total = CYCLE[n % len(CYCLE)]
        tried[action] += 1
        if run_and_kill(
            local_cloud, state, instance_arn, version, rng.randint(1, total), rng.uniform(0, 0.15)
        ):
            killed[action] += 1
            in_flight[action] += pending_records(state)
            if backend == "s3":
                # A killed holder's S3 lock stays: the user breaks it, as the error tells them.
                assert "held by pid" in break_lock("crash/suite", state)
        app = asyncio.run(deploy(state, instance_arn, version))
        assert all(c.status == "done" for c in app.changes)
        assert_converged(state, instance_arn, version)
        # State matches the cloud: an immediate rerun is a no-op without any API call.
        local_cloud.reset_calls()
        rerun = asyncio.run(deploy(state, instance_arn, version))
        assert {c.action for c in rerun.changes} <= {"noop"}
        converge_calls += sum(local_cloud.calls().values())
        survived[action] += 1
    print(
        f"\ncrash suite, {backend} state (seed {SEED}): kill points tried {sum(tried.values())} {dict(tried)}; "
        f"killed mid-run {sum(killed.values())} {dict(killed)}, leaving "
        f"{sum(in_flight.values())} requests pending {dict(in_flight)}; converged after each: "
        f"{sum(survived.values())}; lost/duplicated/orphaned resources: 0"
    )
    assert converge_calls == 0
    assert sum(killed.values()) >= kills * 3 // 4, f"too few kills landed mid-run: {killed}"
    assert all(killed[action] > 0 for _, action, _ in CYCLE)
    assert sum(in_flight.values()) > 0
    if kills >= 4 * len(CYCLE):  # enough kills per action for each to catch requests in flight
        assert all(in_flight[action] > 0 for _, action, _ in CYCLE), in_flight
