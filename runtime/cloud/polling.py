"""Waiting for a Cloud Control request to finish: when to poll, and until when.

Cloud Control's `RetryAfter` says when the next status read is useful, so when a progress event
carries one in the future we poll right then (plus a few milliseconds, so we never arrive just
before it), trusting it up to 30 s ahead: completion is seen within one round trip. A hint
already past on the first event means "look now" (one quick read). Without a hint the delay
starts small and grows geometrically to a cap: about 2 + log2(L) polls for a latency of L. The deadline comes from the handler's `timeoutInMinutes`. The clock and
the sleep are injectable so the schedule is tested without waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

ProgressEvent = dict[str, Any]

TERMINAL = frozenset({"SUCCESS", "FAILED", "CANCEL_COMPLETE"})
# Past a hinted RetryAfter by this much, so that clock granularity never makes us early.
HINT_MARGIN = 0.02


@dataclass(frozen=True, slots=True)
class Backoff:
    initial: float = 0.3
    factor: float = 2.0
    cap: float = 8.0
    floor: float = 0.05  # never poll in a tighter loop than this
    # A RetryAfter is trusted up to this far ahead (a hint is the server's own estimate).
    hint_cap: float = 30.0

    def delay(self, polls_done: int) -> float:
        return float(min(self.cap, self.initial * self.factor**polls_done))


class PollTimeout(Exception):
    """The deadline passed with the request still in progress (`event` is the last one read)."""

    def __init__(self, event: ProgressEvent) -> None:
        super().__init__(event.get("RequestToken"))
        self.event = event


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return None


def next_delay(
    backoff: Backoff,
    polls_done: int,
    retry_after: Any,
    now: datetime,
    remaining: float,
) -> float:
    """Seconds to wait before the next status read."""
    delay = backoff.delay(polls_done)
    hint = _as_datetime(retry_after)
    if hint is not None:
        until = (hint - now).total_seconds()
        if until > 0:
            delay = min(until + HINT_MARGIN, backoff.hint_cap)
        elif polls_done == 0:
            # "Useful now" on the first event: look right away, but only once, so that a
            # server whose hints lag cannot pull us into a tight loop.
            delay = backoff.floor
    delay = max(delay, backoff.floor)
    return max(0.0, min(delay, remaining))


def _utcnow() -> datetime:
    return datetime.now(UTC)


async def wait_for(
    fetch: Callable[[str], Awaitable[ProgressEvent]],
    first: ProgressEvent,
    *,
    timeout: float,
    backoff: Backoff | None = None,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], datetime] = _utcnow,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    on_poll: Callable[[ProgressEvent], None] | None = None,
) -> ProgressEvent:
    """Poll `fetch(request_token)` from the event `first` until a terminal status.

    Raises `PollTimeout` when `timeout` seconds pass first. `CANCEL_COMPLETE` and `FAILED` are
    returned as they are: the caller decides what they mean for its operation.
    """
    backoff = backoff or Backoff()
    deadline = clock() + timeout
    event = first
    polls = 0
    while event.get("OperationStatus") not in TERMINAL:
        remaining = deadline - clock()
        if remaining <= 0:
            raise PollTimeout(event)
        await sleep(next_delay(backoff, polls, event.get("RetryAfter"), now(), remaining))
        event = await fetch(event["RequestToken"])
        polls += 1
        if on_poll is not None:
            on_poll(event)
    return event
