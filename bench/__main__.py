"""`python -m bench` (= `make bench`): run every measurement, print the table, write bench/results/.

A measurement that raises becomes a "not measured" row with the reason, so one missing part never
hides the other figures. `--only imports,deploy` runs a subset; `--quick` fewer repetitions.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench.env import PEERS_PYTHON, RESULTS, peers_missing
from bench.measure import REPO
from bench.report import Section, not_measured, write_results

# `make bench` was to finish within 10 minutes on 2 cores; the quota-bound scale figure alone
# needs about 2.5 minutes per 1,000 resources (CLOUDFORGE_BENCH_SCALE picks the sizes).
BUDGET_SECONDS = 600
MODULES = [
    "imports", "codegen", "deploy", "noop", "update", "statewrites", "scale", "polling",
    "coldstart", "secrets", "limiter",
]
TITLES = {
    "imports": "1. Import",
    "codegen": "2. Codegen",
    "deploy": "3. Deploy",
    "noop": "4. No-op redeploy",
    "update": "5. Update",
    "statewrites": "6. S3 state writes",
    "scale": "7. Deploy at scale under a quota",
    "polling": "8. Polling under each RetryAfter mode",
    "coldstart": "9-10. Cold start and the local cloud",
    "secrets": "11. Write-only hashes",
    "limiter": "12. The rate limiter's policy, simulated",
}


def run_measure(title: str, measure: Callable[[], Section | list[Section]]) -> list[Section]:
    """The measurement's sections; one "not measured" section, with the reason, if it raises."""
    try:
        result = measure()
    except Exception as exc:  # a missing part must not hide the other figures
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
        return [Section(title, "Could not run.", rows=[not_measured("all figures", reason)])]
    return result if isinstance(result, list) else [result]


def run_module(name: str, quick: bool) -> list[Section]:
    def measure() -> Section | list[Section]:
        module = importlib.import_module(f"bench.{name}")
        result: Section | list[Section] = module.measure(quick=quick)
        return result

    return run_measure(TITLES[name], measure)


def meta(durations: dict[str, float], load_before: float) -> dict[str, object]:
    return {
        # Other work on the machine shows in every timing: the load average says how much.
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
        "seconds_per_module": {k: round(v, 1) for k, v in durations.items()},
        "seconds_total": round(sum(durations.values()), 1),
    }


def shown(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def plot(results_json: Path, png: Path) -> str:
    """Draw the PNG with the peers venv's matplotlib; returns a status line."""
    if reason := peers_missing():
        return f"plot not drawn: {reason}"
    proc = subprocess.run(
        [str(PEERS_PYTHON), "-m", "bench.plot", str(results_json), str(png)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return f"plot not drawn: {proc.stderr.strip().splitlines()[-1:]}"
    return f"plot: {shown(png)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", default=",".join(MODULES), help="comma-separated subset")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    args = parser.parse_args(argv)

    sections: list[Section] = []
    durations: dict[str, float] = {}
    load_before = os.getloadavg()[0]
    for name in [m for m in MODULES if m in args.only.split(",")]:
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        sections += run_module(name, args.quick)
        durations[name] = time.perf_counter() - start

    info = meta(durations, load_before)
    header = (
        f"# cloudforge bench results\n\n{info['date']}; Python {info['python']}; "
        f"{info['machine']}, load average {load_before:.1f} at start; `make bench` took "
        f"{info['seconds_total']} s. "
        "Ratio = cloudforge / baseline (lower is better for every figure).\n"
    )
    md, js = write_results(sections, info, args.out, header)
    print(md.read_text())
    print(plot(js, args.out / "bench.png"))
    if sum(durations.values()) > BUDGET_SECONDS:
        print(f"bench: over the {BUDGET_SECONDS // 60}-minute budget of the issue", file=sys.stderr)
    print(f"results: {shown(md)}, {shown(js)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
