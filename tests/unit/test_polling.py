"""The polling schedule, driven by a fake clock: RetryAfter, backoff, cap, deadline."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cloudforge.cloud.polling import Backoff, PollTimeout, next_delay, wait_for

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class FakeCloud:
    """A request that finishes `latency` seconds after it started, on a fake clock."""

    def __init__(self, latency: float, *, hint: bool, final: str = "SUCCESS") -> None:
        self.latency = latency
        self.hint = hint
        self.final = final
        self.now = 0.0
        self.polls: list[float] = []

    def event(self) -> dict[str, Any]:
        if self.now >= self.latency:
            return {"RequestToken": "t", "OperationStatus": self.final}
        event: dict[str, Any] = {"RequestToken": "t", "OperationStatus": "IN_PROGRESS"}
        if self.hint:
            event["RetryAfter"] = T0 + timedelta(seconds=self.latency)
        return event

    async def fetch(self, token: str) -> dict[str, Any]:
        assert token == "t"
        self.polls.append(self.now)
        return self.event()

    async def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds

    def run(self, timeout: float = 3600.0, backoff: Backoff | None = None) -> dict[str, Any]:
        return asyncio.run(
            wait_for(
                self.fetch,
                self.event(),
                timeout=timeout,
                backoff=backoff,
                clock=lambda: self.now,
                now=lambda: T0 + timedelta(seconds=self.now),
                sleep=self.sleep,
            )
        )


@pytest.mark.parametrize("latency", [0.5, 1.0, 2.0, 5.0, 10.0])
def test_without_hint_polls_stay_within_the_budget(latency: float) -> None:
    cloud = FakeCloud(latency, hint=False)
    assert cloud.run()["OperationStatus"] == "SUCCESS"
    assert len(cloud.polls) <= 2 + math.log2(latency) + 1
    # Geometric growth: at most about as late as the request took.
    assert cloud.now - latency <= latency + Backoff().initial


@pytest.mark.parametrize("latency", [30.0, 120.0, 600.0])
def test_without_hint_long_requests_are_polled_at_the_cap(latency: float) -> None:
    backoff = Backoff()
    cloud = FakeCloud(latency, hint=False)
    cloud.run()
    gaps = [b - a for a, b in zip(cloud.polls, cloud.polls[1:], strict=False)]
    assert max(gaps) <= backoff.cap + 1e-9
    assert cloud.now - latency <= backoff.cap
    assert len(cloud.polls) <= 6 + latency / backoff.cap


@pytest.mark.parametrize("latency", [0.5, 2.0, 10.0, 60.0])
def test_retry_after_is_honoured_so_completion_is_seen_at_once(latency: float) -> None:
    cloud = FakeCloud(latency, hint=True)
    assert cloud.run()["OperationStatus"] == "SUCCESS"
    assert cloud.now - latency <= max(0.5, 0.1 * latency)
    assert len(cloud.polls) <= 2 + math.log2(max(latency, 1.0))


def test_backoff_grows_geometrically_to_a_cap() -> None:
    backoff = Backoff(initial=0.25, factor=2.0, cap=4.0)
    assert [backoff.delay(n) for n in range(7)] == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_retry_after_in_the_past_falls_back_to_backoff() -> None:
    delay = next_delay(Backoff(), 2, T0 - timedelta(seconds=5), T0, remaining=100)
    assert delay == Backoff().delay(2)


def test_retry_after_already_due_on_the_first_event_means_look_now_once() -> None:
    assert next_delay(Backoff(), 0, T0, T0, remaining=100) == Backoff().floor
    assert next_delay(Backoff(), 1, T0, T0, remaining=100) == Backoff().delay(1)


def test_retry_after_far_away_is_capped() -> None:
    delay = next_delay(Backoff(hint_cap=20.0), 0, T0 + timedelta(hours=1), T0, remaining=100)
    assert delay == 20.0


def test_retry_after_as_epoch_seconds() -> None:
    delay = next_delay(Backoff(), 0, (T0 + timedelta(seconds=3)).timestamp(), T0, remaining=100)
    assert 3.0 <= delay <= 3.1


def test_delay_never_passes_the_deadline() -> None:
    assert next_delay(Backoff(), 10, None, T0, remaining=0.7) == 0.7


def test_deadline_raises_poll_timeout_with_the_last_event() -> None:
    cloud = FakeCloud(1000.0, hint=False)
    with pytest.raises(PollTimeout) as caught:
        cloud.run(timeout=60.0)
    assert caught.value.event["OperationStatus"] == "IN_PROGRESS"
    assert 60.0 <= cloud.now <= 60.0 + 1e-6


@pytest.mark.parametrize("final", ["FAILED", "CANCEL_COMPLETE"])
def test_terminal_failures_are_returned(final: str) -> None:
    cloud = FakeCloud(1.0, hint=False, final=final)
    assert cloud.run()["OperationStatus"] == final


def test_a_finished_first_event_needs_no_poll() -> None:
    cloud = FakeCloud(0.0, hint=False)
    cloud.run()
    assert cloud.polls == []
