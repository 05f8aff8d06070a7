"""S3 state writes stay off the event loop and are coalesced, without loosening the journal rule.

Each state write is a PUT of the stage's whole document; the engine takes them at its journal
points (before a ClientToken-bearing request is sent, and once its RequestToken is back, before
polling) and runs them in a worker thread, one at a time, each covering every change made so far.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from typing import Any

import boto3
import pytest
from cloudforge import App
from cloudforge.aws.connect import SecurityProfile
from cloudforge.errors import StateConflictError
from cloudforge.events import Listener, ResourceEvent
from cloudforge.local import LocalCloud
from cloudforge.state.s3 import S3State
from cloudforge.state.sqlite import ResourceRecord

COUNT = 20


@pytest.fixture(autouse=True)
def _no_client_rate_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    # What is measured is the state writes' cost; the client's write pacing (10/s by default)
    # would add its own seconds to the same wall time.
    monkeypatch.setenv("CLOUDFORGE_READ_RATE", "off")
    monkeypatch.setenv("CLOUDFORGE_WRITE_RATE", "off")
PUT_DELAY = 0.05  # a PUT to S3 from outside its region takes tens of milliseconds
STAGE = "team/dev"
STATE_KEY = "cf/team/dev/state.json"


def slow_s3(puts: list[float]) -> Any:
    """An S3 client whose PutObject takes PUT_DELAY longer (and counts them)."""
    client = boto3.client("s3")

    def delay(**_: Any) -> None:
        puts.append(time.monotonic())
        time.sleep(PUT_DELAY)

    client.meta.events.register("before-call.s3.PutObject", delay)
    return client


def stored(bucket: str) -> dict[str, Any]:
    body = boto3.client("s3").get_object(Bucket=bucket, Key=STATE_KEY)["Body"].read()
    return dict(json.loads(body))


def deploy(
    backend: S3State, instance_arn: str, listeners: Sequence[Listener] = ()
) -> tuple[float, list[float]]:
    """COUNT profiles created together; the time taken and how late 10 ms sleeps woke up."""
    stalls: list[float] = []

    async def ticker() -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(0.01)
            stalls.append(time.monotonic() - before - 0.01)

    async def main() -> float:
        started = time.monotonic()
        async with App("team", stage="dev", backend=backend, listeners=list(listeners)):
            tick = asyncio.ensure_future(ticker())  # from here on (the lock's PUT is before)
            await asyncio.gather(
                *(
                    SecurityProfile(
                        f"p{i:02d}", InstanceArn=instance_arn, SecurityProfileName=f"W{i:02d}"
                    )
                    for i in range(COUNT)
                )
            )
            tick.cancel()
        return time.monotonic() - started

    elapsed = asyncio.run(main())
    backend.close()
    return elapsed, stalls


def test_parallel_creates_share_state_writes_off_the_event_loop(
    local_cloud: LocalCloud, instance_arn: str, state_bucket: str
) -> None:
    local_cloud.faults.set_latency(0.3)
    puts: list[float] = []
    backend = S3State(f"s3://{state_bucket}/cf", client=slow_s3(puts), deferred=True)
    elapsed, stalls = deploy(backend, instance_arn)
    print(f"\n{len(puts)} PUTs, {elapsed:.2f} s, the loop stalled up to {max(stalls):.3f} s")
    records = stored(state_bucket)["records"]
    assert sorted(records) == [f"p{i:02d}" for i in range(COUNT)]
    assert all(r["status"] == "ready" and r["identifier"] for r in records.values())
    # One by one, ~5 writes per resource would take COUNT * 5 * PUT_DELAY = 5 s on the loop.
    assert len(puts) < COUNT * 2, f"{len(puts)} PUTs"
    assert elapsed < 3.0, f"{elapsed:.2f} s"
    assert max(stalls) < PUT_DELAY * 0.8, f"the loop stalled {max(stalls):.3f} s"


def test_the_request_token_is_in_s3_before_polling_starts(
    local_cloud: LocalCloud, instance_arn: str, state_bucket: str
) -> None:
    local_cloud.faults.set_latency(0.3)
    backend = S3State(f"s3://{state_bucket}/cf", client=slow_s3([]), deferred=True)
    seen: set[str] = set()
    unjournaled: list[str] = []

    def check(event: ResourceEvent) -> None:
        # A create's first "polling" event names its RequestToken: durable by then.
        if event.action == "create" and event.status == "polling" and event.logical_id not in seen:
            seen.add(event.logical_id)
            record = stored(state_bucket)["records"].get(event.logical_id, {})
            if record.get("pending_token") != event.detail or not record.get("client_token"):
                unjournaled.append(event.logical_id)

    deploy(backend, instance_arn, [check])
    assert len(seen) == COUNT
    assert unjournaled == []


def test_a_deferred_backend_writes_what_is_left_when_it_unlocks(
    local_cloud: LocalCloud, state_bucket: str
) -> None:
    backend = S3State(f"s3://{state_bucket}/cf", deferred=True)
    backend.lock(STAGE)
    backend.put(STAGE, ResourceRecord("a", "AWS::X::Y", "id-a", {}, {}))
    listed = boto3.client("s3").list_objects_v2(Bucket=state_bucket, Prefix=STATE_KEY)
    assert listed["KeyCount"] == 0  # kept in memory so far
    backend.close()
    assert sorted(stored(state_bucket)["records"]) == ["a"]


def test_a_deferred_write_after_the_lock_was_broken_is_refused_and_the_lock_let_go(
    local_cloud: LocalCloud, state_bucket: str
) -> None:
    url = f"s3://{state_bucket}/cf"
    stale = S3State(url, deferred=True)
    stale.lock(STAGE)
    stale.put(STAGE, ResourceRecord("a", "AWS::X::Y", "id-a", {}, {}))
    stale.flush(STAGE)
    assert S3State(url).break_lock(STAGE) is not None  # `cloudforge unlock`
    fresh = S3State(url)
    fresh.lock(STAGE)
    fresh.put(STAGE, ResourceRecord("b", "AWS::X::Y", "id-b", {}, {}))
    stale.put(STAGE, ResourceRecord("c", "AWS::X::Y", "id-c", {}, {}))  # in memory only
    with pytest.raises(StateConflictError):
        stale.unlock(STAGE)
    assert S3State(url).holder(STAGE) is not None  # the fresh lock stays
    with pytest.raises(StateConflictError):
        stale.close()  # still refused: what was not written is never reported as written
    fresh.close()
    assert S3State(url).holder(STAGE) is None
    assert sorted(stored(state_bucket)["records"]) == ["a", "b"]
