"""The polling schedule, driven by a fake clock: what it reads and how often, under any hint.

Assertions are on polls (counts, order, the poll times the schedule chose on the fake clock, and
never before a hint), not on seconds waited. Several requests at once run on an event loop whose
clock jumps to the next timer (`VirtualTimeLoop`), so siblings wake each other as they would.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import selectors
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cloudforge.cloud.polling import (
    HINT_MARGIN,
    Backoff,
    Durations,
    PollTimeout,
    learned_from,
    next_poll_at,
    wait_for,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class FakeCloud:
    """A request that ends `latency` seconds after it started, on a fake clock.

    `hint` is how RetryAfter is reported: "exact" (the end), "step:S" (the next handler
    invocation; the status changes only at invocations), "now+S" (always S ahead, a lying
    hint), or "none".
    """

    def __init__(self, latency: float, hint: str = "none", final: str = "SUCCESS",
                 answer_time: float = 0.0) -> None:
        self.hint = hint
        self.answer_time = answer_time  # how long an answer takes to come back
        self.final = final
        step = self._step()
        self.due = math.ceil(latency / step - 1e-9) * step if hint.startswith("step:") else latency
        self.now = 0.0
        self.polls: list[float] = []
        self.hints: list[float] = []  # the RetryAfter each poll was made under (seconds)

    def _step(self) -> float:
        return float(self.hint.split(":")[1]) if ":" in self.hint else 0.0

    def retry_after(self) -> float | None:
        if self.hint == "exact":
            return self.due
        if self.hint.startswith("step:"):
            step = self._step()
            return min(self.due, (math.floor(self.now / step + 1e-9) + 1) * step)
        if self.hint.startswith("now+"):
            return self.now + float(self.hint[4:])
        if self.hint.startswith("now-"):  # a server clock behind ours: every hint has passed
            return self.now - float(self.hint[4:])
        return None

    def event(self) -> dict[str, Any]:
        if self.now >= self.due:
            return {"RequestToken": "t", "OperationStatus": self.final}
        event: dict[str, Any] = {"RequestToken": "t", "OperationStatus": "IN_PROGRESS"}
        hint = self.retry_after()
        if hint is not None:
            event["RetryAfter"] = T0 + timedelta(seconds=hint)
        return event

    async def fetch(self, token: str) -> dict[str, Any]:
        assert token == "t"
        self.polls.append(self.now)
        event = self.event()
        self.now += self.answer_time
        return event

    async def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds

    def run(self, timeout: float = 3600.0, backoff: Backoff | None = None, *, submitted: bool = True,
            durations: Durations | None = None) -> dict[str, Any]:
        # The submission answer carries no RetryAfter, as AWS's Create/Update/Delete answers.
        first = {"RequestToken": "t", "OperationStatus": "IN_PROGRESS"} if submitted else self.event()
        last_hint: list[float | None] = [None]

        def on_poll(event: dict[str, Any]) -> None:
            hint = event.get("RetryAfter")
            last_hint[0] = (hint - T0).total_seconds() if hint is not None else None

        async def fetch(token: str) -> dict[str, Any]:
            if last_hint[0] is not None:
                self.hints.append(last_hint[0])
            return await self.fetch(token)

        return asyncio.run(
            wait_for(
                fetch, first, timeout=timeout, backoff=backoff, clock=lambda: self.now,
                now=lambda: T0 + timedelta(seconds=self.now), sleep=self.sleep, on_poll=on_poll,
                durations=durations, key=("AWS::X::Y", "create"),
            )
        )


BUDGET = Backoff()


def budget(duration: float) -> float:
    return BUDGET.budget(duration)


MODES = ["none", "exact", "step:0.5", "step:2", "now+1", "now+5", "now-5"]
# Durations from 0.5 s to ~10 min, 7 % apart: none of them chosen by hand.
SWEEP = [0.5 * 1.07**i for i in range(106)]


@pytest.mark.parametrize("mode", MODES)
def test_polls_stay_within_3_plus_2_log2_d_for_every_duration_under_any_hint(mode: str) -> None:
    for latency in SWEEP:
        cloud = FakeCloud(latency, mode)
        assert cloud.run()["OperationStatus"] == "SUCCESS"
        # The budget of the request's own end (under step:S, the invocation that ends it).
        assert len(cloud.polls) <= budget(cloud.due), (latency, cloud.polls)


@pytest.mark.parametrize("mode", ["exact", "step:0.5", "step:2", "now+1", "now+5"])
def test_never_polls_before_the_hint(mode: str) -> None:
    for latency in (3.0, 20.0, 100.0):
        cloud = FakeCloud(latency, mode)
        cloud.run()
        # Every poll after the first hint is at or after the RetryAfter the previous answer gave.
        for hint, poll in zip(cloud.hints, cloud.polls[1:], strict=True):
            assert poll >= hint


def test_without_a_hint_the_polls_are_the_budgets_geometric_schedule() -> None:
    cloud = FakeCloud(45.0, "none")
    cloud.run()
    # Poll k at 2^((k-2)/2) s: 0.71, 1, 1.41, 2, ... 45.25 (the 13th), each sqrt(2) after the last.
    assert cloud.polls == pytest.approx([2 ** ((k - 2) / 2) for k in range(1, 14)])
    assert len(cloud.polls) == 13 <= budget(45.0)


@pytest.mark.parametrize("mode", MODES)
def test_slow_answers_stay_within_the_budget(mode: str) -> None:
    for latency in SWEEP[::5]:
        cloud = FakeCloud(latency, mode, answer_time=0.4)
        cloud.run()
        assert len(cloud.polls) <= budget(cloud.due), (latency, cloud.polls)


def test_slow_answers_do_not_push_the_blind_schedule_out() -> None:
    cloud = FakeCloud(20.0, "none", answer_time=0.3)
    cloud.run()
    # Each read is sent on the schedule, or as soon as the answer before it came back when that
    # was later (only the second here): a late answer never pushes the later reads out.
    schedule = [2 ** ((k - 2) / 2) for k in range(1, 12)]
    expected = [schedule[0]] + [max(at, before + 0.3) for before, at in itertools.pairwise(schedule)]
    assert expected[1] > schedule[1] and expected[2:] == schedule[2:]
    assert cloud.polls == pytest.approx(expected)


def test_an_answer_that_arrives_after_its_hint_is_followed_by_a_read_at_once() -> None:
    cloud = FakeCloud(1.0, "exact", answer_time=0.4)
    cloud.run()
    # Sent at 0.71, answered at 1.11 with RetryAfter 1.0: read again then, not a step later.
    assert cloud.polls == pytest.approx([BUDGET.earliest(1), BUDGET.earliest(1) + 0.4])


def test_a_server_clock_behind_ours_costs_no_burst_of_reads() -> None:
    cloud = FakeCloud(45.0, "now-5")
    cloud.run()
    gaps = [b - a for a, b in zip(cloud.polls, cloud.polls[1:], strict=False)]
    assert len(cloud.polls) <= budget(45.0)
    assert min(gaps) >= BUDGET.floor


def test_a_lying_now_plus_one_hint_is_not_followed_blindly() -> None:
    cloud = FakeCloud(45.0, "now+1")
    cloud.run()
    # Followed blindly it would be 45 polls.
    assert len(cloud.polls) <= budget(45.0)


def test_an_exact_hint_is_followed_so_the_end_is_read_at_once() -> None:
    for latency in (1.0, 8.0, 300.0):
        cloud = FakeCloud(latency, "exact")
        cloud.run()
        # One read to learn the hint (at 0.71 s, before a 1 s request ends), one at the hint.
        assert cloud.polls == pytest.approx([BUDGET.earliest(1), latency + HINT_MARGIN])


def test_a_step_hint_is_followed_to_the_invocation_that_ends_the_request() -> None:
    cloud = FakeCloud(3.0, "step:2")
    cloud.run()
    # The first read learns the next invocation (2 s), which learns the one that ends it (4 s).
    assert cloud.polls == pytest.approx([BUDGET.earliest(1), 2 + HINT_MARGIN, 4 + HINT_MARGIN])
    assert cloud.due == 4.0


def test_a_step_hint_is_read_at_every_invocation_while_the_budget_allows() -> None:
    cloud = FakeCloud(7.5, "step:2")
    cloud.run()
    # Every invocation (2, 4, 6, 8 s) is read as it happens: the end is read with no lag.
    assert cloud.polls == pytest.approx([BUDGET.earliest(1)] + [t + HINT_MARGIN for t in (2, 4, 6, 8)])


def test_past_the_budget_a_step_hint_waits_for_the_geometric_schedule() -> None:
    cloud = FakeCloud(60.0, "step:0.5")
    cloud.run()
    # Late in a long request, invocations every 0.5 s are no reason to read every 0.5 s.
    for k, poll in enumerate(cloud.polls, start=1):
        assert poll >= BUDGET.earliest(k)
    assert len(cloud.polls) <= budget(60.0)


def test_long_requests_stay_within_the_budget() -> None:
    cloud = FakeCloud(600.0, "none")
    cloud.run()
    assert len(cloud.polls) <= budget(600.0)


def test_learned_durations_place_the_first_read_so_it_is_not_wasted() -> None:
    durations = Durations()
    first = FakeCloud(2.0, "exact")
    first.run(durations=durations)
    assert len(first.polls) == 2  # the first of its kind: an early read learns the hint
    later = [FakeCloud(2.0, "exact") for _ in range(99)]
    for cloud in later:
        cloud.run(durations=durations)
    assert {len(cloud.polls) for cloud in later} == {1}


def test_a_stored_duration_places_the_first_read_of_the_first_request() -> None:
    durations = Durations(stored=learned_from({("AWS::X::Y", "create"): [3.4, 3.1, 5.0]}))
    cloud = FakeCloud(3.0, "step:0.5")
    cloud.run(durations=durations)
    assert cloud.polls == pytest.approx([3.1])  # the lowest of the last runs


def test_a_learned_time_never_places_a_read_before_the_hint() -> None:
    durations = Durations(stored={("AWS::X::Y", "create"): (1.0, 1.0)})
    cloud = FakeCloud(6.0, "exact")
    cloud.run(durations=durations, submitted=False)  # a resumed request: its status has a hint
    assert cloud.polls == pytest.approx([6.0 + HINT_MARGIN])


def test_a_run_stores_its_window_with_the_last_runs_figures() -> None:
    durations = Durations()
    for latency in (2.0, 4.0, 3.0):
        FakeCloud(latency, "exact").run(durations=durations)
    key = ("AWS::X::Y", "create")
    recent = {key: [9.0, 8.0, 7.0, 6.0, 5.0], ("AWS::Other", "delete"): [1.0]}
    stored = durations.figures(recent)
    # The run's window joins the last 4 runs' figures: from the first moment a request could
    # have ended (the 2 s request's hint, read at 2.02 s) to its longest (the 4 s one, 4.02 s).
    assert stored == {key: [8.0, 7.0, 6.0, 5.0, (2.02, 4.02)], ("AWS::Other", "delete"): [1.0]}
    # A bare number (format 3 before windows) is a window of one moment.
    assert learned_from(stored)[key] == (2.02, 8.0)


def test_a_kind_only_confirmed_for_five_runs_is_measured_again() -> None:
    """Stored: 6 s. The type now takes 2 s: each run reads once at 6 s, which only confirms
    "no longer than 6 s" (stored as null). After 5 such runs nothing is known any more, so the
    next run measures (an early read, then the hint) and the one after reads at 2 s."""
    key = ("AWS::X::Y", "create")
    recent: dict[tuple[str, str], list[float | None]] = {key: [6.0]}
    first_reads, polls = [], []
    for _ in range(7):
        durations = Durations(stored=learned_from(recent))
        cloud = FakeCloud(2.0, "exact")
        cloud.run(durations=durations)
        first_reads.append(cloud.polls[0])
        polls.append(len(cloud.polls))
        recent = durations.figures(recent)
    assert polls == [1, 1, 1, 1, 1, 2, 1]
    assert first_reads == pytest.approx([6.0] * 5 + [BUDGET.earliest(1), 2.0 + HINT_MARGIN])
    assert recent[key] == [None, None, None, (2.02, 2.02), None]


def test_retry_after_far_away_is_capped() -> None:
    at = next_poll_at(Backoff(hint_cap=20.0), 3, 5.0, T0 + timedelta(hours=1), T0)
    assert at == 25.0


def test_retry_after_as_epoch_seconds_is_a_hint_too() -> None:
    at = next_poll_at(BUDGET, 1, 1.0, (T0 + timedelta(seconds=3)).timestamp(), T0)
    assert at == next_poll_at(BUDGET, 1, 1.0, T0 + timedelta(seconds=3), T0) == 4.0 + HINT_MARGIN


def test_a_hint_that_passed_is_read_at_once_then_left_for_the_own_step() -> None:
    past = T0 - timedelta(seconds=5)
    assert next_poll_at(BUDGET, 4, 10.0, past, T0, last_read=9.0) == 10.0
    own = next_poll_at(BUDGET, 4, 10.0, None, T0, last_read=9.0)
    assert own == pytest.approx(9.0 * math.sqrt(2))
    assert next_poll_at(BUDGET, 4, 10.0, past, T0, last_read=9.0, missed=True) == own


def test_deadline_raises_poll_timeout_with_the_last_event() -> None:
    cloud = FakeCloud(1000.0, "none")
    with pytest.raises(PollTimeout) as caught:
        cloud.run(timeout=60.0)
    assert caught.value.event["OperationStatus"] == "IN_PROGRESS"
    assert cloud.polls[-1] <= 60.0


def test_failed_and_cancelled_end_the_wait_as_they_are() -> None:
    assert FakeCloud(2.0, "step:2", final="FAILED").run()["OperationStatus"] == "FAILED"
    assert FakeCloud(0.0, "none", final="CANCEL_COMPLETE").run(submitted=False)["OperationStatus"] == "CANCEL_COMPLETE"


# -- several requests at once, on a loop whose clock jumps to the next timer --------------------


class _JumpingSelector(selectors.SelectSelector):
    def __init__(self, clock: list[float]) -> None:
        super().__init__()
        self.clock = clock

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if not ready:
            if timeout is None:
                raise RuntimeError("every task waits and no timer is set: a deadlock")
            self.clock[0] += timeout  # nothing to do until the next timer: jump to it
        return ready


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self._virtual = [0.0]
        super().__init__(_JumpingSelector(self._virtual))

    def time(self) -> float:
        return self._virtual[0]


class Request:
    """A request of latency `latency` that a caller submits at `start` (virtual seconds)."""

    def __init__(self, start: float, latency: float, hint: str = "exact", final: str = "SUCCESS") -> None:
        self.start, self.latency, self.hint, self.final = start, latency, hint, final
        self.polls: list[float] = []  # seconds after its own start

    async def wait(self, durations: Durations, clock: Callable[[], float]) -> dict[str, Any]:
        await asyncio.sleep(self.start)

        async def fetch(token: str) -> dict[str, Any]:
            age = clock() - self.start
            self.polls.append(age)
            if age >= self.latency:
                return {"RequestToken": token, "OperationStatus": self.final}
            event: dict[str, Any] = {"RequestToken": token, "OperationStatus": "IN_PROGRESS"}
            if self.hint == "exact":
                event["RetryAfter"] = T0 + timedelta(seconds=self.start + self.latency)
            return event

        return await wait_for(
            fetch, {"RequestToken": "t", "OperationStatus": "IN_PROGRESS"}, timeout=3600.0,
            clock=clock, now=lambda: T0 + timedelta(seconds=clock()),
            durations=durations, key=("AWS::X::Y", "create"),
        )


def run_together(requests: list[Request], durations: Durations | None = None) -> Durations:
    durations = durations or Durations()

    async def main() -> None:
        clock = asyncio.get_running_loop().time
        await asyncio.gather(*(r.wait(durations, clock) for r in requests))

    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        runner.run(main())
    return durations


@pytest.mark.parametrize("hint", ["exact", "none"])
def test_a_hundred_like_requests_cost_one_wasted_poll_in_all(hint: str) -> None:
    """N=100 at a fixed latency: the first reads early, the other 99 wait for its end."""
    requests = [Request(start=0.01 * i, latency=1.8, hint=hint) for i in range(100)]
    run_together(requests)
    leader = requests[0].polls
    assert len(leader) == (2 if hint == "exact" else 4)  # 0.71, then the hint (or 1, 1.41, 2)
    assert leader[-1] == pytest.approx(1.82 if hint == "exact" else 2.0)
    assert all(len(r.polls) == 1 for r in requests[1:])
    # Each sibling's read is placed at the time the leader took, from its own start.
    assert {round(r.polls[0], 6) for r in requests[1:]} == {round(leader[-1], 6)}


def test_a_sibling_that_fails_hands_the_first_read_back_to_the_own_schedule() -> None:
    failing = Request(start=0.0, latency=1.5, final="FAILED")
    waiting = Request(start=0.2, latency=5.0)
    run_together([failing, waiting])
    assert len(failing.polls) == 2  # 0.71 (hint 1.5), 1.52: FAILED, nothing learned
    # Woken at 1.52 (1.32 s into its own wait): past its 0.71 s, so it reads at once, then at
    # its hint.
    assert waiting.polls == pytest.approx([1.52 - 0.2, 5.0 + HINT_MARGIN])


def test_a_request_never_waits_for_a_younger_sibling() -> None:
    first, second = Request(start=0.0, latency=3.0), Request(start=0.5, latency=0.5)
    run_together([first, second])
    assert first.polls[0] == pytest.approx(BUDGET.earliest(1))  # the elder reads on its own
    assert len(first.polls) == 2 and len(second.polls) == 1


# -- a kind learned in earlier runs is read near its end, whatever the hint --------------------

# One kind's requests take 8 s +- 10 %: drawn once, not chosen against the schedule.
JITTERED = [7.3, 7.8, 8.1, 8.5, 8.8]


def lag(cloud: FakeCloud) -> float:
    """How late the read that saw the end was, as a share of the request's own duration."""
    return (cloud.polls[-1] - cloud.due) / cloud.due


def learn_over_runs(latencies: list[float], hint: str, runs: int) -> list[list[FakeCloud]]:
    """`runs` runs of one request per latency each, every run placed by the runs before."""
    recent: dict[tuple[str, str], list[Any]] = {}
    out = []
    for _ in range(runs):
        durations = Durations(stored=learned_from(recent))
        clouds = [FakeCloud(latency, hint) for latency in latencies]
        for cloud in clouds:
            cloud.run(durations=durations)
        recent = durations.figures(recent)
        out.append(clouds)
    return out


@pytest.mark.parametrize("hint", ["none", "step:2"])
@pytest.mark.parametrize("scale", [3 / 8, 1.0, 45 / 8])
def test_a_kind_learned_in_one_earlier_run_is_read_within_15_percent_of_its_end(
    hint: str, scale: float
) -> None:
    """The first run reads blind (a request ending just after a read of the geometric schedule
    is read up to 41 % late); the next run knows from it where the kind ends (after the last
    read that saw it running, by the read that saw it done) and reads that window densely."""
    latencies = [latency * scale for latency in JITTERED]
    first, second = learn_over_runs(latencies, hint, runs=2)
    assert max(lag(cloud) for cloud in second) <= 0.15, [c.polls for c in second]
    for cloud in first + second:
        assert len(cloud.polls) <= budget(cloud.due), cloud.polls


def test_a_learned_window_costs_fewer_reads_than_the_blind_schedule() -> None:
    blind = [FakeCloud(latency, "none") for latency in JITTERED]
    for cloud in blind:
        cloud.run()
    runs = learn_over_runs(JITTERED, "none", runs=3)
    for run in runs[1:]:
        assert sum(len(c.polls) for c in run) < sum(len(c.polls) for c in blind) / 1.5


def test_a_window_is_counted_from_the_departure_so_a_slow_answer_does_not_make_reads_early() -> None:
    """A 2 s request (step:2) whose submission answer came back 1 s after it left: its window
    starts where its hint said the status could change, 2 s after it left, not 1 s after its
    answer. The next run's request, answered at once, then reads once, at 2 s."""
    slow = FakeCloud(2.0, "step:2")
    slow.now = 1.0  # the answer arrived 1 s after the submission left (at 0)
    durations = Durations()
    asyncio.run(wait_for(
        slow.fetch, {"RequestToken": "t", "OperationStatus": "IN_PROGRESS"}, timeout=60.0,
        clock=lambda: slow.now, now=lambda: T0 + timedelta(seconds=slow.now), sleep=slow.sleep,
        durations=durations, key=("AWS::X::Y", "update"), sent=0.0, answered=1.0,
    ))
    recent = durations.figures({})
    (low, _high), = recent[("AWS::X::Y", "update")]  # type: ignore[misc]
    assert low >= 2.0
    nxt = FakeCloud(2.0, "step:2")
    asyncio.run(wait_for(
        nxt.fetch, {"RequestToken": "t", "OperationStatus": "IN_PROGRESS"}, timeout=60.0,
        clock=lambda: nxt.now, now=lambda: T0 + timedelta(seconds=nxt.now), sleep=nxt.sleep,
        durations=Durations(stored=learned_from(recent)), key=("AWS::X::Y", "update"),
    ))
    assert len(nxt.polls) == 1
