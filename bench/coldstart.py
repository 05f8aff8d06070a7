"""Figures 8 and 9: a no-op `cloudforge plan` as a whole process, and the local cloud as a service.

8. Cold start: `cloudforge plan PROGRAM` for one unchanged resource (state says unchanged, no
   --refresh, zero calls), whole process, against `python -c "import boto3"` in the same run.
9. Local cloud: client connections opened per 1,000 Cloud Control calls (32 threads sharing one
   boto3 client, as the engine's pool does), and the time from `python -m cloudforge.local` to
   its endpoint line, and from `LocalCloud()` to a first answer in-process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.cloud import client, use_fake_credentials
from bench.measure import median
from bench.report import Row, Section

PROGRAM = """
import asyncio
from cloudforge import App
from cloudforge.aws.sqs import Queue

async def main():
    async with App("cold"):
        await Queue("q", QueueName="bench-cold-start")

asyncio.run(main())
"""
REPEATS = 7
COLD_TARGET = 0.6
CONNECTIONS_TARGET = 40
START_TARGET = 2.0


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])} exited {proc.returncode}: {proc.stderr.strip()[-200:]}")
    return elapsed


def cold_start(quick: bool) -> Row:
    from cloudforge.local import LocalCloud

    cli = str(Path(sys.executable).with_name("cloudforge"))
    repeats = 3 if quick else REPEATS
    with LocalCloud(port=0) as cloud, tempfile.TemporaryDirectory(prefix="bench-cold-") as folder:
        cwd = Path(folder)
        (cwd / "prog.py").write_text(PROGRAM)
        # Bytecode cached, as a user has it: pip compiles boto3's at install, and the warm-up
        # `up` writes cloudforge's (an editable install has none until a first run). Without
        # this, PYTHONDONTWRITEBYTECODE (set on some CI machines) would recompile cloudforge
        # on every run while boto3 loads its .pyc files.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["AWS_ENDPOINT_URL"] = cloud.endpoint_url
        timed([cli, "up", "prog.py"], cwd, env)
        timed([cli, "plan", "prog.py"], cwd, env)
        cloud.reset_calls()
        plans, boto = [], []
        for _ in range(repeats):  # interleaved, so machine load weighs on both alike
            boto.append(timed([sys.executable, "-c", "import boto3"], cwd, env))
            plans.append(timed([cli, "plan", "prog.py"], cwd, env))
        calls = sum(cloud.calls().values())
    value = median(plans)
    ratio = value / median(boto)
    return Row(
        "no-op `cloudforge plan` (1 unchanged resource), whole process (s)", value,
        {'python -c "import boto3"': median(boto)}, target=f"ratio <= {COLD_TARGET:g}",
        met=ratio <= COLD_TARGET, note=f"{calls} Cloud Control calls; median of {repeats}",
        key={"figure": "cold-start"},
    )


def connections(quick: bool) -> Row:
    from cloudforge.local import LocalCloud

    n = 300 if quick else 1000
    with LocalCloud(port=0, retry_after="step:2") as cloud:
        cc = client("cloudcontrol", cloud.endpoint_url, pool=32)
        cc.list_resource_requests()
        cloud.reset_calls()
        with ThreadPoolExecutor(32) as pool:
            list(pool.map(lambda _: cc.list_resource_requests(), range(n)))
        opened = cloud.connections() * 1000 / n
    return Row(
        "local cloud: client connections opened per 1,000 calls (32 threads, one boto3 client)", opened,
        target=f"<= {CONNECTIONS_TARGET}", met=opened <= CONNECTIONS_TARGET,
        note="waitress keeps connections alive; the old Werkzeug server closed each one (1,000)",
        key={"figure": "local-connections"},
    )


def start_times() -> list[Row]:
    from cloudforge.local import LocalCloud

    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "cloudforge.local", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        proc.stdout.readline()
        process = time.perf_counter() - start
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    start = time.perf_counter()
    with LocalCloud(port=0) as cloud:
        client("cloudcontrol", cloud.endpoint_url).list_resource_requests()
        in_process = time.perf_counter() - start
    return [
        Row("local cloud: `python -m cloudforge.local` to its endpoint line, whole process (s)", process,
            target=f"<= {START_TARGET:g} s (idle machine)", met=process <= START_TARGET, key={"figure": "local-start"}),
        Row("local cloud: `LocalCloud()` to a first answer, in-process after imports (s)", in_process,
            key={"figure": "local-start-inprocess"}),
    ]


def measure(quick: bool = False) -> list[Section]:
    use_fake_credentials()
    os.environ.pop("CLOUDFORGE_PHASE", None)
    cold = Section(
        title="9. Cold start",
        method=(
            "A whole `cloudforge plan` process for a program with one resource that state says is "
            "unchanged (zero calls), against `python -c \"import boto3\"` in the same run, "
            "interleaved, bytecode cached for both (as pip leaves boto3's); the local cloud in the "
            "bench process (default RetryAfter step:0.5; the plan makes no call)."
        ),
        baselines=['python -c "import boto3"'],
        rows=[cold_start(quick)],
    )
    local = Section(
        title="10. The local cloud as a service",
        method=(
            "Connections: distinct client ports that sent a request, per 1,000 ListResourceRequests "
            "calls from 32 threads sharing one boto3 client (pool of 32). Start: the endpoint line "
            "of a fresh `python -m cloudforge.local`, and an in-process LocalCloud's first answer."
        ),
        rows=[connections(quick), *start_times()],
    )
    return [cold, local]
