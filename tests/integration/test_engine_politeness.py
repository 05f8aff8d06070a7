"""The engine under a local cloud as strict as AWS: a quota it must stay polite under, throttles
that must never fail a resource, and reads that lag behind creates (issue 14)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from cloudforge import App
from cloudforge.aws.sqs import Queue
from cloudforge.cloud.ratelimit import RateLimits
from cloudforge.local import LocalCloud


async def deploy(cloud: LocalCloud, state: Path, n: int, **app: object) -> App:
    async with App("polite", endpoint_url=cloud.endpoint_url, state_dir=state, stage="t", **app) as running:  # type: ignore[arg-type]
        await asyncio.gather(*(Queue(f"q{i}", QueueName=f"polite-{i}") for i in range(n)))
    return running


def created(running: App) -> int:
    return sum(1 for change in running.changes if change.action == "create")


def test_a_quota_below_the_defaults_throttles_a_few_calls_and_fails_nothing(tmp_path: Path) -> None:
    # The server allows 8 calls/s; the client starts at 20 reads + 10 writes and must adapt.
    with LocalCloud(rate=8, retry_after="step:0.5") as cloud:
        running = asyncio.run(deploy(cloud, tmp_path, 30))
        assert created(running) == 30
        calls, throttled = sum(cloud.calls().values()), sum(cloud.throttled().values())
        assert throttled <= 0.5 * calls, (throttled, calls)  # the bench measures the share at scale


def test_client_limits_under_the_quota_are_never_throttled(tmp_path: Path) -> None:
    with LocalCloud(read_rate=6, write_rate=4) as cloud:
        running = asyncio.run(deploy(cloud, tmp_path, 15, rate_limits=RateLimits(read_rate=5, write_rate=3)))
        assert created(running) == 15
        assert sum(cloud.throttled().values()) == 0


def test_throttled_calls_are_retried_not_failed(tmp_path: Path) -> None:
    with LocalCloud(throttle_rate=0.5, seed=3) as cloud:
        running = asyncio.run(deploy(cloud, tmp_path, 20, rate_limits=RateLimits(read_rate=None, write_rate=None)))
        assert created(running) == 20
        assert sum(cloud.throttled().values()) > 10


def test_reads_that_lag_behind_a_create_are_waited_for(tmp_path: Path) -> None:
    with LocalCloud(read_after_create=2.0) as cloud:
        running = asyncio.run(deploy(cloud, tmp_path, 3))
        assert created(running) == 3
        assert cloud.calls()["GetResource"] > 3  # NotFound at first, then the resource


def test_bad_rate_settings_are_refused_before_any_call(monkeypatch: pytest.MonkeyPatch) -> None:
    from cloudforge.errors import CloudforgeError

    monkeypatch.setenv("CLOUDFORGE_WRITE_RATE", "fast")
    with pytest.raises(CloudforgeError, match="CLOUDFORGE_WRITE_RATE"):
        App("x")
    monkeypatch.setenv("CLOUDFORGE_WRITE_RATE", "off")
    assert App("x").rate_limits.write_rate is None


def test_write_requests_in_flight_are_bounded(tmp_path: Path) -> None:
    with LocalCloud(latency=0.3, retry_after="exact") as cloud:
        running = asyncio.run(deploy(cloud, tmp_path, 12, max_operations=3,
                                     rate_limits=RateLimits(read_rate=None, write_rate=None)))
        assert created(running) == 12
        spans = [(r.start, r.ended or r.start) for r in cloud.backend.store.requests.values()]
        most = max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans)
        assert most <= 3


DASHBOARD = '{"widgets": []}'


async def dashboards(cloud: LocalCloud, state: Path, body: str) -> App:
    from cloudforge.aws.cloudwatch import Dashboard

    async with App("dash", endpoint_url=cloud.endpoint_url, state_dir=state, stage="t") as running:
        await Dashboard("board", DashboardName="polite-board", DashboardBody=body)
    return running


def test_no_read_back_when_the_event_carries_every_read_only_property(tmp_path: Path) -> None:
    # AWS::CloudWatch::Dashboard: no read-only property; its identifier is the name declared.
    with LocalCloud() as cloud:
        asyncio.run(dashboards(cloud, tmp_path, DASHBOARD))
        assert cloud.calls()["CreateResource"] == 1 and cloud.calls()["GetResource"] == 0
        cloud.reset_calls()
        assert {c.action for c in asyncio.run(dashboards(cloud, tmp_path, DASHBOARD)).changes} == {"noop"}
        assert sum(cloud.calls().values()) == 0
        asyncio.run(dashboards(cloud, tmp_path, '{"widgets": [{"type": "text"}]}'))
        assert cloud.calls()["UpdateResource"] == 1 and cloud.calls()["GetResource"] == 0


def test_a_type_with_read_only_properties_is_still_read_back(tmp_path: Path) -> None:
    with LocalCloud() as cloud:
        asyncio.run(deploy(cloud, tmp_path, 1))
        assert cloud.calls()["GetResource"] == 1  # Queue's Arn is read-only: only a read has it
