"""Waiting for a Cloud Control request to finish: when to poll, and until when.

Two rules hold whatever `RetryAfter` says (AWS's is when the resource handler is next invoked,
an emulator's may be the exact end, and a hint may be missing):

- never poll earlier than the hint (+20 ms; a hint is trusted up to `hint_cap`, 5 min, ahead);
- never more polls than the budget: a request that ends after D seconds costs at most
  3 + 2 log2(D) status reads. That holds for every D exactly when poll k is made no earlier than
  `earliest(k)` = 2^((k - 2) / 2) s into the wait (0.71, 1, 1.41, 2, 2.83 s...): made earlier, a
  request ending just after it would need k + 1 polls while its budget is under k + 1.

So the next read comes at the later of `earliest(k)` and the hint. A step hint (the next handler
invocation: the status can change only then) is followed exactly while the budget allows, so the
end is read at the invocation that makes it; an exact hint is the end itself. Without a hint the
engine's own step is the budget's geometric schedule (ratio sqrt 2), and no blind schedule
within the budget does better: for durations spread evenly on a log scale its median lag is
2^(1/4) - 1 = 19 % of the duration, its worst 41 % (see NOTES.md). There is no cap on the gap:
a cap would make the polls of a long request grow linearly, past the logarithmic budget.
A read is placed from when the one before was due, not from when its answer came back (a slow
answer does not push every later read out); an answer that arrives after its own hint is
followed by a read at once, once (twice in a row is a skewed clock: the own step applies).

The first read is at `earliest(1)`, or where requests of the same type and operation were
learned to end (`Durations`): a window per kind, from the earliest moment any of them could have
ended (each was seen running until then, by a read or by the hint it answered) to the latest one
was seen done, kept with the stage for its last runs. The first read goes at the window's start
and the reads inside it are `dense_ratio` (1.15) apart instead of sqrt 2, always within the
budget: a kind learned in an earlier run is read at most 15 % late wherever the budget leaves
room for a read there, where the blind schedule allows 41 %. Within a run, a request that starts
while a sibling of its kind is already in flight and nothing is known yet waits for the
sibling's end instead of reading early, and every request still waiting for its first read
re-places it when a sibling ends (at the elder's time: like requests started together end
together), so a batch of like requests costs no wasted poll. A run whose first reads at a
learned time only confirmed it stores no figure (null), so a kind that got faster is measured
again after `RECENT_RUNS` runs. Reads and the budget count from the submission's answer, what a
kind took (both ends of its window) from its departure: the request started in between, so no
read comes early. The clock and the sleep are injectable so the schedule is tested without
waiting.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

ProgressEvent = dict[str, Any]
Key = tuple[str, str]  # (type name, operation)
# Where the requests of a kind end, in seconds from their submission's departure: none ended
# before `low` (a read, or a hint, still saw it running), every one by `high` (a read saw it
# done). Reads go densely between the two.
Window = tuple[float, float]
# One run's figure for a kind: its window, or None when every request of the kind was seen done
# at a first read placed at a learned time (that only says "no later than that"). A bare number
# is what format 3 stored before windows: the shortest time to a read that saw one done.
Figure = float | Window | None

TERMINAL = frozenset({"SUCCESS", "FAILED", "CANCEL_COMPLETE"})
# Past a hinted RetryAfter by this much, so that clock granularity never makes us early.
HINT_MARGIN = 0.02
# How many runs' figures a stage keeps per (type, operation); the lowest of them is used.
RECENT_RUNS = 5
# Inside a learned window the reads are this much apart (as a ratio): a request ending there is
# read at most 15 % late, where the blind sqrt 2 schedule allows 41 %.
DENSE_RATIO = 1.15


@dataclass(frozen=True, slots=True)
class Backoff:
    """The poll budget, `base + per_doubling * log2(duration)` polls, and its schedule."""

    base: float = 3.0
    per_doubling: float = 2.0
    floor: float = 0.05  # never poll in a tighter loop than this
    dense_ratio: float = DENSE_RATIO  # between reads inside a learned window
    # A RetryAfter is trusted up to this far ahead: never reading before the hint is the rule,
    # but a bogus hour-ahead estimate must not hold a deploy for an hour.
    hint_cap: float = 300.0

    def budget(self, duration: float) -> float:
        """The most polls a request that ends after `duration` seconds may cost."""
        return self.base + self.per_doubling * math.log2(duration)

    def earliest(self, poll: int) -> float:
        """Seconds into the wait before which poll number `poll` (from 1) is never made."""
        return float(2.0 ** ((poll + 1 - self.base) / self.per_doubling))

    @property
    def ratio(self) -> float:
        """The geometric schedule's ratio between two reads without a hint."""
        return float(2.0 ** (1.0 / self.per_doubling))


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


def hint_ahead(retry_after: Any, now: datetime) -> float | None:
    """Seconds from `now` to the hinted RetryAfter (<= 0: it has passed), None without one."""
    hint = _as_datetime(retry_after)
    return None if hint is None else (hint - now).total_seconds()


def next_poll_at(
    backoff: Backoff,
    polls: int,
    elapsed: float,
    retry_after: Any,
    now: datetime,
    *,
    last_read: float | None = None,
    missed: bool = False,
    dense_until: float = 0.0,
) -> float:
    """Seconds into the wait at which poll number `polls + 1` is made, `elapsed` seconds in,
    after an answer that carried `retry_after` (None before the first poll). `last_read`: when
    the previous read was due; `missed`: the answer before it arrived after its hint too;
    `dense_until`: the end of a learned window, before which the own step is the dense one."""
    at = backoff.earliest(polls + 1)
    until = hint_ahead(retry_after, now)
    if until is not None and until > 0:
        return max(at, _after_hint(backoff, elapsed, until))
    if until is not None and not missed:
        # The hinted moment passed while the answer travelled (a slow answer): the status may
        # have changed, so read again now. Twice in a row looks like a skewed clock instead:
        # then the hint says nothing and the own step below applies.
        return max(at, elapsed)
    if polls and last_read is not None:
        # The engine's own geometric step, from when the last read was due: dense inside the
        # window where the kind is known to end, the budget's ratio outside it.
        ratio = backoff.dense_ratio if last_read < dense_until else backoff.ratio
        at = max(at, last_read * ratio, last_read + backoff.floor)
    return at


@dataclass
class Durations:
    """Where requests of each (type, operation) end: where the reads of the next ones go.

    `stored`: the window of the last runs (from state). This run adds, per kind, the lowest
    time a finished request was still seen running (`low`), the shortest and the longest time
    from a submission's departure to the answer of the read that saw one succeed (`shortest`,
    `longest`). Shared by every request of a run, on one event loop: it also knows which
    requests of a kind are waiting, so that a request waits for its elder sibling instead of
    reading early, and wakes when one ends.
    """

    stored: dict[Key, Window] = field(default_factory=dict)
    shortest: dict[Key, float] = field(default_factory=dict)
    longest: dict[Key, float] = field(default_factory=dict)
    low: dict[Key, float] = field(default_factory=dict)
    # Kinds this run measured: a success seen by a read other than a first read placed at a
    # learned time (which can only confirm what was learned, never lower it).
    measured: set[Key] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._flying: dict[Key, dict[int, None]] = {}  # in start order
        self._ended: dict[Key, asyncio.Event] = {}
        self._ids = itertools.count()

    def learned(self, key: Key) -> float | None:
        """Where the first read of a request of `key` goes (None: nothing known): the start of
        the stored window, or this run's shortest, whichever is first. Within a run a request's
        siblings read at the elder's end, once each, rather than densely from where it was
        last seen running: like requests started together end together."""
        stored = self.stored.get(key)
        known = [d for d in (stored and stored[0], self.shortest.get(key)) if d is not None]
        return min(known) if known else None

    def dense_until(self, key: Key) -> float:
        """Where the dense reads for `key` end: the end of the stored window, or of this run's
        longest, whichever is later (0: nothing known)."""
        stored = self.stored.get(key)
        return max(stored[1] if stored else 0.0, self.longest.get(key, 0.0))

    def record(self, key: Key, seconds: float, measured: bool = True,
               low: float | None = None) -> None:
        self.shortest[key] = min(self.shortest.get(key, seconds), seconds)
        self.longest[key] = max(self.longest.get(key, seconds), seconds)
        if measured:
            self.measured.add(key)
            if low is not None:
                self.low[key] = min(self.low.get(key, low), low)

    def begin(self, key: Key) -> int:
        """A request of `key` starts waiting; its ticket for `end` and `elder_waiting`."""
        ticket = next(self._ids)
        self._flying.setdefault(key, {})[ticket] = None
        return ticket

    def elder_waiting(self, key: Key, ticket: int) -> bool:
        """Whether a request of the kind that started before this one is still waiting."""
        return next(iter(self._flying.get(key, {ticket: None}))) != ticket

    def end(self, key: Key, ticket: int, seconds: float | None, measured: bool = True,
            low: float | None = None) -> None:
        """The request of `ticket` ended (`seconds`: how long a success took; `measured`: not
        only confirmed at a learned first read; `low`: how long it was seen running); wakes
        its siblings."""
        self._flying.get(key, {}).pop(ticket, None)
        if seconds is not None:
            self.record(key, seconds, measured, low)
        event = self._ended.pop(key, None)
        if event is not None:
            event.set()

    async def until_sibling_ends(self, key: Key, sleeping: Awaitable[Any]) -> bool:
        """Await `sleeping`, cut short when a request of `key` ends: True when cut short."""
        ended = self._ended.setdefault(key, asyncio.Event())
        sleeper = asyncio.ensure_future(sleeping)
        waiter = asyncio.ensure_future(ended.wait())
        try:
            await asyncio.wait({sleeper, waiter}, return_when=asyncio.FIRST_COMPLETED)
            return not sleeper.done()
        finally:
            sleeper.cancel()
            waiter.cancel()

    def figures(self, recent: dict[Key, list[Figure]]) -> dict[Key, list[Figure]]:
        """The stage's per-kind figures after this run: the last runs' and, for each kind this
        run saw succeed, its window (or None when it only confirmed a learned one)."""
        merged = {key: list(values) for key, values in recent.items()}
        for key, seconds in self.shortest.items():
            figure: Figure = None
            if key in self.measured:
                low = min(self.low.get(key, seconds), seconds)
                figure = (round(low, 3), round(self.longest[key], 3))
            merged[key] = [*merged.get(key, []), figure][-RECENT_RUNS:]
        return merged


def learned_from(recent: dict[Key, list[Figure]]) -> dict[Key, Window]:
    """Where reads go from what a stage stored: from the lowest start of the last runs' windows
    to the highest end (a slow run never makes the next first read late; at worst a few reads
    are early). A kind whose last runs only confirmed it has none, so it is measured again: a
    type that got faster is not read at its old time for ever."""
    out = {}
    for key, values in recent.items():
        windows = [(v, v) if isinstance(v, float | int) else v for v in values if v is not None]
        if windows:
            out[key] = (min(w[0] for w in windows), max(w[1] for w in windows))
    return out


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
    durations: Durations | None = None,
    key: Key | None = None,
    answered: float | None = None,
    sent: float | None = None,
) -> ProgressEvent:
    """Poll `fetch(request_token)` from the event `first` until a terminal status.

    Raises `PollTimeout` when `timeout` seconds pass first. `CANCEL_COMPLETE` and `FAILED` are
    returned as they are: the caller decides what they mean for its operation. With
    `durations` and `key` (type name, operation), the first read is placed from what earlier
    requests of the kind took, and a success is recorded for later ones.

    `answered` and `sent` are `clock()` readings: when the submission's answer came back
    (default: now) and when the submission left (default: `answered`). The request started
    in between. Reads are placed from `answered` and durations measured from `sent`, so that
    neither a placed read nor the budget ever comes early, however long the submission took
    to reach the service or to come back (a queue at either end, journaling after it).
    """
    backoff = backoff or Backoff()
    started = clock() if answered is None else answered
    since = started if sent is None else min(sent, started)
    end = timeout - (started - since)  # the deadline, in seconds from `started`
    event = first
    polls = 0
    last_read: float | None = None
    missed = False  # the last answer arrived after its own hint
    ticket = durations.begin(key) if durations is not None and key is not None else None
    took: float | None = None
    placed = False  # the first read went at a learned time
    # Seen running until then (seconds from `started`): when a read that saw it running was
    # due, or the moment its hint said the status could next change.
    running = _hinted(event, 0.0, now(), backoff)
    dense_until = durations.dense_until(key) if durations is not None and key is not None else 0.0
    try:
        while event.get("OperationStatus") not in TERMINAL:
            elapsed = clock() - started
            if elapsed >= end:
                raise PollTimeout(event)
            if polls == 0 and durations is not None and key is not None and ticket is not None:
                at, placed = await _first_read(durations, key, ticket, event, backoff, started,
                                               end, clock, now, sleep)
            else:
                current = now()
                at = next_poll_at(backoff, polls, elapsed, event.get("RetryAfter"), current,
                                  last_read=last_read, missed=missed, dense_until=dense_until)
                until = hint_ahead(event.get("RetryAfter"), current)
                missed = until is not None and until <= 0
                await sleep(max(0.0, min(at, end) - elapsed))
            # When the read was due, not when the answer before it let it go: a slow answer
            # must not push every later read further out.
            last_read = min(at, clock() - started)
            event = await fetch(event["RequestToken"])
            polls += 1
            if event.get("OperationStatus") not in TERMINAL:
                running = max(running, last_read, _hinted(event, clock() - started, now(), backoff))
            if on_poll is not None:
                on_poll(event)
        if polls and event.get("OperationStatus") == "SUCCESS":
            took = clock() - since
        return event
    finally:
        if durations is not None and key is not None and ticket is not None:
            # Both ends of the window from the departure, as `took`: a start measured from the
            # answer would be early by however long the answer took (a queue at either end),
            # and the least of a hundred such starts places the next run's reads too early.
            durations.end(key, ticket, took, measured=not (placed and polls == 1),
                          low=running + (started - since))


def _hinted(event: ProgressEvent, elapsed: float, now: datetime, backoff: Backoff) -> float:
    """Seconds into the wait at which `event`'s hint lets the next read go, since the status
    will not change before it (`elapsed` when it has none, or one that passed)."""
    until = hint_ahead(event.get("RetryAfter"), now)
    return _after_hint(backoff, elapsed, until) if until is not None and until > 0 else elapsed


def _after_hint(backoff: Backoff, elapsed: float, until: float) -> float:
    """Seconds into the wait of the first read after a hint `until` seconds ahead (capped)."""
    return elapsed + min(until + HINT_MARGIN, backoff.hint_cap)


async def _first_read(
    durations: Durations,
    key: Key,
    ticket: int,
    event: ProgressEvent,
    backoff: Backoff,
    started: float,
    timeout: float,
    clock: Callable[[], float],
    now: Callable[[], datetime],
    sleep: Callable[[float], Awaitable[Any]],
) -> tuple[float, bool]:
    """Sleep until the first read: at what the kind is known to take, or, with nothing known
    and an elder sibling waiting, until a sibling ends; re-placed whenever one ends. Returns
    when (seconds into the wait) the read was due, and whether a learned time placed it."""
    while True:
        elapsed = clock() - started
        at = next_poll_at(backoff, 0, elapsed, event.get("RetryAfter"), now())
        learned = durations.learned(key)
        placed = learned is not None and learned >= at
        if learned is not None:
            at = max(at, learned)
        elif durations.elder_waiting(key, ticket):
            at = timeout  # until a sibling ends (or the deadline)
        at = min(at, timeout)
        delay = max(0.0, at - elapsed)
        if delay <= 0 or not await durations.until_sibling_ends(key, sleep(delay)):
            return (max(at, elapsed) if delay <= 0 else at), placed
