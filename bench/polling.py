"""Figure 7: how late and how often each poller reads a request's end, under each RetryAfter mode.

For durations of 1, 3, 8, 20 and 45 s (each request drawn within ±10 %), under `--retry-after
exact`, `step:2` and `none`, the same requests are waited for by cloudforge's poller
(`cloudforge.cloud.polling.wait_for`, default schedule, no learned durations: each request is
the first of its kind) and by two baselines: botocore's `resource_request_success` waiter (5 s)
and a poller that waits 1 s and doubles up to 10 s. Every request of a mode is submitted within
`SPREAD` s of the others, at seeded random moments; lag is
the moment the poller read the terminal status minus the moment the local cloud's status became
terminal (under step:2 that is the handler invocation that ends it, not the raw duration).
Then, as the engine's next run would, the same number of new requests per duration are waited
for by cloudforge's poller placed by what the first ones taught it (`Durations`, the window the
first run's requests of each duration ended in, as state stores it), each as the first of its
kind in that run.
Each mode's local cloud runs in its own process (`RemoteCloud`), as AWS answers from its own
machines: in the bench's process it would share the interpreter with 225 polling threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import math
import random
import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from bench.cloud import client, use_fake_credentials
from bench.report import Row, Section

DURATIONS = (1.0, 3.0, 8.0, 20.0, 45.0)
MODES = ("exact", "step:2", "none")
SAMPLES = 5
JITTER = 0.1
# Each request is submitted within this many seconds of its mode's start, at a seeded random
# moment: started together, every poller's reads would land in the same instants (all 1 s
# doubling reads at 1 s, all first reads of a step mode at the same invocation) and the lag
# would measure the local cloud's queue, not the poller's schedule.
SPREAD = 2.0
BUCKET = "AWS::SQS::Queue"  # no hooks: the generic handler, nothing but the latency matters
STRATEGIES = ("cloudforge", "botocore waiter (5 s)", "doubling 1→10 s")
LEARNED = "cloudforge, learned"  # the next run's requests, placed by what the first ones took


@dataclass
class Sample:
    strategy: str
    duration: float
    lag: float  # seconds after the status became terminal
    polls: int
    ended: float  # seconds from submission to the terminal status (the request's own duration)


def kind(duration: float) -> tuple[str, str]:
    """The (type, operation) a request of `duration` stands for: one kind per duration."""
    return (f"Bench::{duration:g}s", "create")


def cloudforge_wait(cc: Any, token: str, count: list[int], durations: Any = None,
                    key: tuple[str, str] | None = None) -> None:
    from cloudforge.cloud.polling import wait_for

    async def fetch(t: str) -> dict[str, Any]:
        count[0] += 1
        event: dict[str, Any] = cc.get_resource_request_status(RequestToken=t)["ProgressEvent"]
        return event

    first = {"RequestToken": token, "OperationStatus": "IN_PROGRESS"}
    asyncio.run(wait_for(fetch, first, timeout=600, durations=durations, key=key))


def waiter_wait(cc: Any, token: str, count: list[int]) -> None:
    # botocore's waiter: a read at once, then every 5 s (counted through the same client calls).
    while True:
        count[0] += 1
        event = cc.get_resource_request_status(RequestToken=token)["ProgressEvent"]
        if event["OperationStatus"] not in ("PENDING", "IN_PROGRESS"):
            return
        time.sleep(5.0)


def doubling_wait(cc: Any, token: str, count: list[int]) -> None:
    delay = 1.0
    while True:
        time.sleep(delay)
        count[0] += 1
        event = cc.get_resource_request_status(RequestToken=token)["ProgressEvent"]
        if event["OperationStatus"] not in ("PENDING", "IN_PROGRESS"):
            return
        delay = min(delay * 2, 10.0)


WAITS: dict[str, Callable[[Any, str, list[int]], None]] = dict(
    zip(STRATEGIES, (cloudforge_wait, waiter_wait, doubling_wait), strict=True)
)


def _serve(mode: str, ready: Any, commands: Any) -> None:
    """The child process: one local cloud, driven by (command, argument) messages."""
    from cloudforge.local import Latency, LocalCloud

    with LocalCloud(port=0, seed=11, retry_after=mode, threads=16) as cloud:
        ready.send(cloud.endpoint_url)
        while True:
            command, argument = commands.recv()
            if command == "stop":
                return
            if command == "latency":
                cloud.faults.set_latency(Latency(uniform=argument) if argument else 0.0)
                commands.send(None)
            elif command == "reset":
                cloud.reset_calls()
                commands.send(None)
            elif command == "times":
                request = cloud.backend.store.requests[argument]
                commands.send((request.start, request.due))


class RemoteCloud:
    """A local cloud in its own process, as AWS is on its own machines: the 225 polling threads
    of this bench would otherwise share the emulator's interpreter lock and delay its answers
    (which showed as lag of the 1 s requests under `exact`, not of the poller)."""

    def __init__(self, mode: str) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        ready_ours, ready_theirs = context.Pipe()
        self._process = context.Process(target=_serve, args=(mode, ready_theirs, theirs), daemon=True)
        self._process.start()
        self._pipe = ours
        self._lock = threading.Lock()
        self.endpoint_url: str = ready_ours.recv()

    def _ask(self, command: str, argument: Any = None) -> Any:
        with self._lock:
            self._pipe.send((command, argument))
            return self._pipe.recv()

    def set_latency(self, uniform: tuple[float, float] | None) -> None:
        self._ask("latency", uniform)

    def reset_calls(self) -> None:
        self._ask("reset")

    def times(self, token: str) -> tuple[float, float]:
        """(submitted, terminal) wall-clock times of a request, as the local cloud keeps them."""
        start, due = self._ask("times", token)
        return float(start), float(due)

    def close(self) -> None:
        with self._lock:
            self._pipe.send(("stop", None))
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()

    def __enter__(self) -> RemoteCloud:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def warm_up(cloud: RemoteCloud) -> Any:
    """A client of `cloud`, after one request of the bench's type was created and read: what
    loads on a first call (botocore's models, the emulator's handlers) must not load while
    another mode's requests are being timed."""
    importlib.import_module("cloudforge.cloud.polling")
    cc = client("cloudcontrol", cloud.endpoint_url, pool=200)
    cloud.set_latency(None)
    token = cc.create_resource(TypeName=BUCKET, DesiredState="{}")["ProgressEvent"]["RequestToken"]
    cc.get_resource_request_status(RequestToken=token)
    cloud.reset_calls()
    return cc


def run_mode(cloud: RemoteCloud, cc: Any, mode: str, quick: bool) -> list[Sample]:
    from cloudforge.cloud.polling import Durations, learned_from

    durations = DURATIONS[:3] if quick else DURATIONS
    samples = 1 if quick else SAMPLES
    rng = random.Random(f"{mode}")
    lock = threading.Lock()
    out: list[Sample] = []
    taught = Durations()  # what the first run's cloudforge requests ended in, as one run's

    def one(job: tuple[str, float, float], stored: Any = None) -> None:
        strategy, duration, offset = job
        time.sleep(offset)
        with lock:  # the latency rule is server-wide: set it and submit under one lock
            cloud.set_latency((duration * (1 - JITTER), duration * (1 + JITTER)))
            token = cc.create_resource(TypeName=BUCKET, DesiredState="{}")["ProgressEvent"]["RequestToken"]
        count = [0]
        # Each cloudforge request has its own Durations: each thread runs its own event loop,
        # and a run's Durations belongs to one loop (the engine's). A first-run request starts
        # with nothing known; a learned one with what the first run stored.
        own = Durations(stored=stored or {}) if strategy in (STRATEGIES[0], LEARNED) else None
        if own is not None:
            cloudforge_wait(cc, token, count, own, kind(duration))
        else:
            WAITS[strategy](cc, token, count)  # from the submission answer on, as a caller would
        seen = time.time()  # before anything waits for the lock, which submissions hold
        start, due = cloud.times(token)
        with lock:
            out.append(Sample(strategy, duration, seen - due, count[0], due - start))
            if strategy == STRATEGIES[0] and own is not None:
                for key, took in own.shortest.items():
                    taught.record(key, took, key in own.measured, own.low.get(key))

    def run(strategies: tuple[str, ...], stored: Any = None) -> None:
        jobs = [
            (strategy, duration, rng.uniform(0, SPREAD))
            for duration in durations for _ in range(samples) for strategy in strategies
        ]
        with ThreadPoolExecutor(len(jobs)) as pool:
            list(pool.map(lambda job: one(job, stored), jobs))

    run(STRATEGIES)
    # The next run: placed by the window the first run's requests ended in, as state keeps it.
    run((LEARNED,), learned_from(taught.figures({})))
    return out


def poll_budget(duration: float) -> float:
    return 3 + 2 * math.log2(duration)


def rows_for(mode: str, samples: list[Sample]) -> list[Row]:
    rows: list[Row] = []
    def of(strategy: str, duration: float) -> list[Sample]:
        return [s for s in samples if s.strategy == strategy and s.duration == duration]

    def lag_pct(strategy: str, duration: float, pick: Callable[[list[float]], float]) -> float | None:
        found = of(strategy, duration)
        return 100 * pick([s.lag for s in found]) / duration if found else None

    def polls(strategy: str, duration: float) -> float | None:
        found = of(strategy, duration)
        return statistics.mean(s.polls for s in found) if found else None

    for duration in sorted({s.duration for s in samples}):
        label = f"{duration:g} s request, RetryAfter {mode}"
        for ours, suffix in (("cloudforge", ""), (LEARNED, ", kind learned from the first run")):
            if not of(ours, duration):
                continue
            median = lag_pct(ours, duration, statistics.median)
            worst = lag_pct(ours, duration, max)
            ours_polls = polls(ours, duration)
            lag_row = Row(
                f"{label}{suffix}: median lag (% of duration)", median,
                {k: lag_pct(k, duration, statistics.median) for k in STRATEGIES[1:]},
                target="<= 15 %", met=median is not None and median <= 15,
                note=f"worst {worst:.1f} %" if worst is not None else "",
                key={"figure": "poll-lag", "mode": mode, "duration": duration, "learned": bool(suffix)},
            )
            if mode == "exact":
                lag_s = statistics.median(s.lag for s in of(ours, duration))
                lag_row.note += f"; median {lag_s:.3f} s (target <= 0.1 s: {'met' if lag_s <= 0.1 else 'not met'})"
            rows.append(lag_row)
            rows.append(Row(
                f"{label}{suffix}: status polls per request", ours_polls,
                {k: polls(k, duration) for k in STRATEGIES[1:]},
                target=f"<= {poll_budget(duration):.1f}",
                # Judged per request against its own duration (jitter draws some past the nominal).
                met=ours_polls is not None and all(s.polls <= poll_budget(s.ended) for s in of(ours, duration)),
                key={"figure": "poll-count", "mode": mode, "duration": duration, "learned": bool(suffix)},
            ))
    return rows


def measure(quick: bool = False) -> Section:
    use_fake_credentials()
    section = Section(
        title="8. Polling under each RetryAfter mode",
        method=(
            f"Requests of 1-45 s (±{JITTER:.0%} jitter, {SAMPLES} per duration and poller) against "
            f"the local cloud under each --retry-after mode, all of a mode submitted within {SPREAD:g} s "
            "(seeded random moments, so that no two pollers' reads are made to coincide); cloudforge's "
            "poller as the engine runs it: the first request of its kind (no learned duration), then "
            "the same number of new requests per duration in a next run, placed by the window the "
            "first ones ended in (`learned` rows; baselines: the first run's). "
            "Lag: read of the terminal status minus the local cloud's terminal time. `met` on polls "
            "is judged per request, against the budget of its own drawn duration."
        ),
        baselines=list(STRATEGIES[1:]),
    )
    results: dict[str, list[Sample]] = {}
    with contextlib.ExitStack() as stack:
        # Every cloud started and warmed up before any mode is timed, each in its own process.
        clouds = {mode: stack.enter_context(RemoteCloud(mode)) for mode in MODES}
        clients = {mode: warm_up(cloud) for mode, cloud in clouds.items()}
        threads = [
            threading.Thread(
                target=lambda m=mode: results.__setitem__(m, run_mode(clouds[m], clients[m], m, quick))
            )
            for mode in MODES
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for mode in MODES:
        section.rows += rows_for(mode, results.get(mode, []))
    return section
