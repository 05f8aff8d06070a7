"""Issue 13, findings 2 and 3: destroy and plan work from the state alone.

A program that wires one resource's attributes into another destroys cleanly every time (a
second destroy, or one from a fresh folder, is a no-op that exits 0), and a plan made after an
interrupted destroy predicts what the next `up` does. Through the CLI, against the local cloud.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.local_helpers import cloudforge

WIRED = """
import asyncio
from cloudforge import App
from cloudforge.aws.s3 import Bucket, BucketPolicy

async def main():
    async with App("wired"):
        bucket = await Bucket("data", BucketName="issue13-wired-data")
        await BucketPolicy("policy", Bucket=bucket.BucketName, PolicyDocument={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                           "Resource": [bucket.Arn, bucket.Arn + "/*"]}],
        })
        print("arn:", bucket.Arn)

asyncio.run(main())
"""

QUEUES = """
import asyncio
from cloudforge import App
from cloudforge.aws.sqs import Queue

async def main():
    async with App("queues"):
        await asyncio.gather(*(Queue(f"q{i}", QueueName=f"issue13-q{i}") for i in range(4)))

asyncio.run(main())
"""


@pytest.fixture(autouse=True)
def _stage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFORGE_STAGE", "destroy-plan")


def listed(type_name: str) -> list[dict[str, Any]]:
    answer = boto3.client("cloudcontrol").list_resources(TypeName=type_name)
    return [json.loads(d["Properties"]) for d in answer["ResourceDescriptions"]]


def test_a_program_using_an_output_destroys_cleanly_twice_and_from_a_fresh_folder(
    local_cloud: Any, tmp_path: Path
) -> None:
    program = tmp_path / "wired.py"
    program.write_text(WIRED)
    assert cloudforge("up", str(program), cwd=tmp_path).returncode == 0
    assert len(listed("AWS::S3::BucketPolicy")) == 1

    first = cloudforge("destroy", str(program), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Destroy complete: 2 deleted" in first.stdout
    assert listed("AWS::S3::Bucket") == [] and listed("AWS::S3::BucketPolicy") == []

    local_cloud.reset_calls()
    second = cloudforge("destroy", str(program), cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert second.stderr == ""
    assert "Destroy complete: nothing to do" in second.stdout
    assert "arn: <unknown until deployed>" in second.stdout
    assert sum(local_cloud.calls().values()) == 0

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    elsewhere = cloudforge("destroy", str(program), cwd=fresh)
    assert elsewhere.returncode == 0, elsewhere.stderr
    assert "Destroy complete: nothing to do" in elsewhere.stdout


def test_a_plan_after_an_interrupted_destroy_predicts_the_next_up(
    local_cloud: Any, tmp_path: Path
) -> None:
    program = tmp_path / "queues.py"
    program.write_text(QUEUES)
    assert cloudforge("up", str(program), cwd=tmp_path).returncode == 0

    local_cloud.faults.set_latency(2.0, type_name="AWS::SQS::Queue")
    local_cloud.reset_calls()
    script = Path(sys.executable).with_name("cloudforge")
    destroying = subprocess.Popen(
        [str(script), "destroy", str(program)], cwd=tmp_path, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
    )
    try:
        # Until the four deletes are in flight: all four answered, and the first status read
        # made (0.7 s after the first answer; each RequestToken is journaled as its answer
        # arrives, and like requests wait for the first one's end instead of reading early, so
        # one read is the sign), checked in 20 ms steps; each delete takes 2 s.
        for _ in range(600):
            calls = local_cloud.calls()
            if calls["DeleteResource"] >= 4 and calls["GetResourceRequestStatus"] >= 1:
                break
            time.sleep(0.02)
        assert local_cloud.calls()["DeleteResource"] == 4
        destroying.send_signal(signal.SIGINT)
        out, _ = destroying.communicate(timeout=60)
    finally:
        destroying.kill()
    assert "Destroy interrupted" in out

    plan = cloudforge("plan", "--detailed-exitcode", str(program), cwd=tmp_path)
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "No changes" not in plan.stdout
    assert "Plan: 4 to create." in plan.stdout
    assert plan.stdout.count("a delete from an earlier run is pending and will be resumed") == 4

    up = cloudforge("up", str(program), cwd=tmp_path)
    assert up.returncode == 0, up.stderr
    assert "Apply complete: 4 created" in up.stdout
    assert sorted(q["QueueName"] for q in listed("AWS::SQS::Queue")) == [
        f"issue13-q{i}" for i in range(4)
    ]
