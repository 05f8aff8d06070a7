"""S3 state writes stay off the event loop and are coalesced, without loosening the journal rule.

Each state write is a PUT of the stage's whole document; the engine takes them at its journal
points (before a ClientToken-bearing request is sent, and once its RequestToken is back, before
polling) and runs them in a worker thread, one at a time, each covering every change made so far.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass
class Puts:
    """The PutObjects of the state: all of them, those made while the resources were being
    deployed (between entering the App and leaving it), and those of these on the loop's thread."""

    loop_thread: int | None = None  # set while deploying
    total: int = 0
    while_deploying: int = 0
    on_the_loop: int = 0

    def record(self) -> None:
        self.total += 1
        if self.loop_thread is not None:
            self.while_deploying += 1
            self.on_the_loop += threading.get_ident() == self.loop_thread


def slow_s3(puts: Puts) -> Any:
    """An S3 client whose PutObject takes PUT_DELAY longer (and is recorded in `puts`)."""
    client = boto3.client("s3")

    def delay(**_: Any) -> None:
        puts.record()
        time.sleep(PUT_DELAY)

    client.meta.events.register("before-call.s3.PutObject", delay)
    return client


def stored(bucket: str) -> dict[str, Any]:
    body = boto3.client("s3").get_object(Bucket=bucket, Key=STATE_KEY)["Body"].read()
    return dict(json.loads(body))


def deploy(backend: S3State, instance_arn: str, puts: Puts, listeners: Sequence[Listener] = ()) -> None:
    """COUNT profiles created together."""

    async def main() -> None:
        async with App("team", stage="dev", backend=backend, listeners=list(listeners)):
            puts.loop_thread = threading.get_ident()  # from here on (the lock's PUT is before)
            await asyncio.gather(
                *(
                    SecurityProfile(
                        f"p{i:02d}", InstanceArn=instance_arn, SecurityProfileName=f"W{i:02d}"
                    )
                    for i in range(COUNT)
                )
            )
            puts.loop_thread = None

    asyncio.run(main())
    backend.close()


def test_parallel_creates_share_state_writes_off_the_event_loop(
    local_cloud: LocalCloud, instance_arn: str, state_bucket: str
) -> None:
    local_cloud.faults.set_latency(0.3)
    puts = Puts()
    backend = S3State(f"s3://{state_bucket}/cf", client=slow_s3(puts), deferred=True)
    deploy(backend, instance_arn, puts)
    records = stored(state_bucket)["records"]
    assert sorted(records) == [f"p{i:02d}" for i in range(COUNT)]
    assert all(r["status"] == "ready" and r["identifier"] for r in records.values())
    # One by one there would be ~5 writes per resource; coalesced, fewer than 2.
    assert puts.total < COUNT * 2, f"{puts.total} PUTs"
    # No PUT blocked the event loop while the resources were in flight: each ran in a worker.
    assert puts.while_deploying > 0
    assert puts.on_the_loop == 0, f"{puts.on_the_loop} of {puts.while_deploying} PUTs on the loop"


def test_the_request_token_is_in_s3_before_polling_starts(
    local_cloud: LocalCloud, instance_arn: str, state_bucket: str
) -> None:
    local_cloud.faults.set_latency(0.3)
    backend = S3State(f"s3://{state_bucket}/cf", client=slow_s3(Puts()), deferred=True)
    seen: set[str] = set()
    unjournaled: list[str] = []

    def check(event: ResourceEvent) -> None:
        # A create's first "polling" event names its RequestToken: durable by then.
        if event.action == "create" and event.status == "polling" and event.logical_id not in seen:
            seen.add(event.logical_id)
            record = stored(state_bucket)["records"].get(event.logical_id, {})
            if record.get("pending_token") != event.detail or not record.get("client_token"):
                unjournaled.append(event.logical_id)

    deploy(backend, instance_arn, Puts(), [check])
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
