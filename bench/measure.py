"""Small tools shared by the measurement modules: medians, timers and fresh-interpreter runs.

Figures come from fresh subprocesses where process-wide state (imports, peak memory) matters, and
from in-process timers around one await otherwise.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """`with stopwatch() as t: ...` then `t[0]` is the elapsed wall time in seconds."""
    elapsed: list[float] = []
    start = time.perf_counter()
    try:
        yield elapsed
    finally:
        elapsed.append(time.perf_counter() - start)


def run_python(python: Path | str, code: str, timeout: float = 120.0, cwd: Path = REPO) -> str:
    """Run `code` in a fresh interpreter and return its stdout; RuntimeError with stderr on failure."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    proc = subprocess.run(
        [str(python), "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(f"exited {proc.returncode}: {last}")
    return proc.stdout
