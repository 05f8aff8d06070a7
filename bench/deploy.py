"""Figure 3: creating 1, 10 and 100 SecurityProfiles against the local cloud with a set latency.

cloudforge (`await asyncio.gather(SecurityProfile(...), ...)` inside an `App`) and the two plain
boto3 baselines of `bench.pollers` run one after another against the same local cloud, each
scenario from an empty cloud. Figures: wall time over the latency, and Cloud Control calls per
resource from the local cloud's `calls()`. The limit is the latency plus one poll round trip.
"""

from __future__ import annotations

import asyncio
import math
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.cloud import (
    HINTS,
    client,
    fresh,
    per_resource,
    use_fake_credentials,
    without_client_limits,
)
from bench.measure import median
from bench.pollers import STRATEGIES, Waiter, create_all
from bench.report import Row, Section

TYPE_NAME = "AWS::Connect::SecurityProfile"
LIMIT = "limit (latency + 1 poll RTT)"
COUNTS = (1, 10, 100)  # at COUNT_LATENCY
COUNT_LATENCY = 2.0
# One profile at each latency; none a multiple of the waiter's 5 s, which would flatter it.
SPREAD = (1.0, 3.0, 8.0, 13.0)
PARALLEL_TARGET = 1.3
REPEATS = 3  # runs per scenario up to REPEAT_UP_TO seconds of latency; the median-wall run is kept
REPEAT_UP_TO = 3.0


@dataclass
class Run:
    wall: float
    calls: dict[str, float]  # per resource: creates, polls, reads, other, total


def documents(instance_arn: str, n: int, prefix: str) -> list[dict[str, Any]]:
    return [
        {
            "InstanceArn": instance_arn,
            "SecurityProfileName": f"{prefix}-{i}",
            "Description": "A basic security profile with limited permissions.",
            "Permissions": ["connect:StartChatContact", "connect:StopContact"],
        }
        for i in range(n)
    ]


async def deploy(endpoint_url: str, state_dir: Path, docs: list[dict[str, Any]], **app: Any) -> Any:
    """One cloudforge program run: every document as a SecurityProfile, deployed concurrently."""
    from cloudforge import App
    from cloudforge.aws.connect import SecurityProfile

    async with App("bench", endpoint_url=endpoint_url, state_dir=state_dir, **app) as running:
        await asyncio.gather(*(SecurityProfile(f"profile{i}", **d) for i, d in enumerate(docs)))
    return running


def run_cloudforge(cloud: Any, n: int, latency: float) -> Run:
    docs = documents(fresh(cloud, latency), n, "cloudforge")
    with tempfile.TemporaryDirectory(prefix="bench-state-") as state:
        start = time.perf_counter()
        asyncio.run(deploy(cloud.endpoint_url, Path(state), docs))
        wall = time.perf_counter() - start
    return Run(wall, per_resource(cloud.calls(), n))


def run_learned(cloud: Any, n: int, latency: float) -> tuple[float, float]:
    """Status polls per resource of two runs that each update `n` profiles (a new description)
    in one state folder: the first with nothing known about updates, the next with what the
    first stored (its first reads placed at the stored duration)."""
    docs = documents(fresh(cloud, latency), n, "learned")
    polls = []
    with tempfile.TemporaryDirectory(prefix="bench-state-") as state:
        for run, description in enumerate(("created", "first update", "second update")):
            for doc in docs:
                doc["Description"] = description
            cloud.reset_calls()
            asyncio.run(deploy(cloud.endpoint_url, Path(state), docs))
            if run:
                polls.append(per_resource(cloud.calls(), n)["polls"])
    return polls[0], polls[1]


def learned_row(cloud: Any, n: int, latency: float) -> Row:
    measure = f"{n} × update, latency {latency:g} s: status polls per resource, the run after one that stored update durations"
    try:
        first, second = run_learned(cloud, n, latency)
    except Exception as exc:
        return Row(measure, None, note=f"{type(exc).__name__}: {exc}".splitlines()[0][:160])
    return Row(
        measure, second, {LIMIT: 1.0},
        note=f"the first update run (nothing stored yet): {first:.3g}",
        key={"figure": "deploy-learned-polls", "n": n, "latency": latency},
    )


def run_baseline(cloud: Any, wait: Waiter, n: int, latency: float) -> Run:
    docs = documents(fresh(cloud, latency), n, "baseline")
    start = time.perf_counter()
    create_all(client("cloudcontrol", cloud.endpoint_url, pool=n), wait, TYPE_NAME, docs)
    wall = time.perf_counter() - start
    return Run(wall, per_resource(cloud.calls(), n))


def poll_round_trip(cloud: Any, samples: int = 21) -> float:
    """Median seconds of one GetResourceRequestStatus against the local cloud."""
    docs = documents(fresh(cloud, 0.0), 1, "rtt")
    cc = client("cloudcontrol", cloud.endpoint_url)
    token = cc.create_resource(TypeName=TYPE_NAME, DesiredState=str(docs[0]).replace("'", '"'))[
        "ProgressEvent"
    ]["RequestToken"]
    cc.get_resource_request_status(RequestToken=token)
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        cc.get_resource_request_status(RequestToken=token)
        times.append(time.perf_counter() - start)
    return median(times)


def detection_budget(latency: float) -> float:
    return max(0.5, 0.1 * latency)


def poll_budget(latency: float) -> float:
    return 2 + math.log2(max(latency, 1.0))


def scenario_rows(
    n: int, latency: float, rtt: float, ours: Run | str, theirs: dict[str, Run | str]
) -> list[Row]:
    def wall(run: Run | str) -> float | None:
        return run.wall / latency if isinstance(run, Run) else None

    def calls(run: Run | str, kind: str) -> float | None:
        return run.calls[kind] if isinstance(run, Run) else None

    label = f"{n} × create, latency {latency:g} s"
    note = ours if isinstance(ours, str) else ""
    wall_row = Row(
        measure=f"{label}: wall time / latency",
        value=wall(ours),
        baselines={LIMIT: (latency + rtt) / latency, **{k: wall(v) for k, v in theirs.items()}},
        note=note,
        key={"figure": "deploy-wall", "n": n, "latency": latency},
    )
    polls_row = Row(
        measure=f"{label}: status polls per resource",
        value=calls(ours, "polls"),
        baselines={LIMIT: 1.0, **{k: calls(v, "polls") for k, v in theirs.items()}},
        note=note,
        key={"figure": "deploy-polls", "n": n, "latency": latency},
    )
    if n == 1:
        budget = detection_budget(latency)
        wall_row.target = f"<= {(latency + budget) / latency:.2f} (done within {budget:g} s)"
        wall_row.met = ours.wall - latency <= budget if isinstance(ours, Run) else None
        polls_row.target = f"<= {poll_budget(latency):.2g}"
        polls_row.met = (
            ours.calls["polls"] <= poll_budget(latency) if isinstance(ours, Run) else None
        )
    breakdown = ""
    if isinstance(ours, Run):
        c = ours.calls
        breakdown = (
            f"cloudforge: creates {c['creates']:g}, polls {c['polls']:.3g}, reads {c['reads']:.3g}"
        )
        breakdown += f", other {c['other']:.3g}" if c["other"] else ""
    calls_row = Row(
        measure=f"{label}: Cloud Control calls per resource",
        value=calls(ours, "total"),
        baselines={k: calls(v, "total") for k, v in theirs.items()},
        note=breakdown or note,
    )
    return [wall_row, polls_row, calls_row]


def median_run(runs: list[Run | str]) -> Run | str:
    """The run of median wall time, or the first failure's reason if any run failed."""
    failures = [r for r in runs if isinstance(r, str)]
    if failures:
        return failures[0]
    ordered = sorted((r for r in runs if isinstance(r, Run)), key=lambda r: r.wall)
    return ordered[len(ordered) // 2]


def attempt(fn: Any, *args: Any) -> Run | str:
    """The run, or the reason it failed (so one failure leaves the other figures standing)."""
    try:
        result: Run = fn(*args)
        return result
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".splitlines()[0][:160]


def measure(quick: bool = False) -> Section:
    from cloudforge.local import LocalCloud

    use_fake_credentials()
    without_client_limits()
    os.environ.pop("CLOUDFORGE_PHASE", None)
    os.environ.pop("CLOUDFORGE_REFRESH", None)
    counts = COUNTS[:2] if quick else COUNTS
    spread = SPREAD[:1] if quick else SPREAD
    scale_repeats = 1 if quick else REPEATS
    scenarios = [(n, COUNT_LATENCY) for n in counts] + [(1, lat) for lat in spread]
    section = Section(
        title="3. Deploy",
        method="",
        baselines=[LIMIT, *STRATEGIES],
    )
    results: dict[tuple[int, float], tuple[Run | str, dict[str, Run | str]]] = {}
    with LocalCloud(port=0, seed=7, retry_after=HINTS) as cloud:
        rtt = poll_round_trip(cloud)
        # Warm-up: the engine's modules and boto3's models load once, as for the baselines.
        attempt(run_cloudforge, cloud, 1, 0.0)
        attempt(run_baseline, cloud, next(iter(STRATEGIES.values())), 1, 0.0)
        for n, latency in scenarios:
            # Short latencies are where a busy machine's noise weighs most, and they are cheap.
            repeats = scale_repeats if latency <= REPEAT_UP_TO else 1
            our_runs: list[Run | str] = []
            their_runs: dict[str, list[Run | str]] = {name: [] for name in STRATEGIES}
            for _ in range(repeats):
                our_runs.append(attempt(run_cloudforge, cloud, n, latency))
                for name, wait in STRATEGIES.items():
                    their_runs[name].append(attempt(run_baseline, cloud, wait, n, latency))
            ours = median_run(our_runs)
            theirs = {name: median_run(runs) for name, runs in their_runs.items()}
            results[(n, latency)] = (ours, theirs)
            section.rows += scenario_rows(n, latency, rtt, ours, theirs)
        section.rows.append(learned_row(cloud, max(counts), COUNT_LATENCY))
    section.rows.append(parallel_row(results, counts))
    section.method = (
        f"SecurityProfiles created from an empty local cloud (RetryAfter {HINTS}: the status changes "
        f"only at handler invocations every 2 s) whose Cloud Control requests stay "
        f"IN_PROGRESS for the set latency; cloudforge through `App` + `asyncio.gather`, the "
        f"baselines as plain boto3 `create_resource` in one thread per resource. Wall time covers "
        f"the whole run (cloudforge: App start to state written). Calls from the local cloud's "
        f"`calls()`. One poll round trip here: {rtt * 1000:.1f} ms. Median of {scale_repeats} run(s) "
        f"per scenario up to {REPEAT_UP_TO:g} s of latency, one run above."
    )
    return section


def parallel_row(
    results: dict[tuple[int, float], tuple[Run | str, dict[str, Run | str]]],
    counts: tuple[int, ...],
) -> Row:
    most = max(counts)
    one = results.get((1, COUNT_LATENCY))
    many = results.get((most, COUNT_LATENCY))
    measure = f"{most} parallel creates / 1 create, wall time (latency {COUNT_LATENCY:g} s)"
    if one is None or many is None:
        return Row(measure, None, note="not run")

    def ratio(a: Run | str, b: Run | str) -> float | None:
        return b.wall / a.wall if isinstance(a, Run) and isinstance(b, Run) else None

    value = ratio(one[0], many[0])
    return Row(
        measure=measure,
        value=value,
        baselines={LIMIT: 1.0, **{k: ratio(one[1][k], many[1][k]) for k in STRATEGIES}},
        target=f"<= {PARALLEL_TARGET:g}",
        met=value <= PARALLEL_TARGET if value is not None else None,
        note="" if value is not None else "cloudforge run failed",
    )
