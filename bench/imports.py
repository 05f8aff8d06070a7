"""Figure 1: what importing the SecurityProfile's module costs, cloudforge against the peers.

Each run is a fresh interpreter that times the import statement in-process (interpreter start-up
excluded) and reports its ru_maxrss; memory is given both whole-process and minus a bare
interpreter of the same venv. Subjects are run round-robin, after one warm-up run each (so .pyc
files exist, as for any second import), and the median is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.env import PEERS_PYTHON, PROJECT_PYTHON, peers_missing
from bench.measure import median, run_python
from bench.report import Row, Section

RUNS = 11

# Only `resource` and `time` load before the clock starts; both are in the bare baseline too.
# Peak memory is the kernel's VmHWM for the interpreter's own address space: a child's ru_maxrss
# also counts the pages it held between fork and exec, which come from the launching process
# (here it read 14.5 MiB for a bare interpreter whose own peak is 10.5 MiB). ru_maxrss is the
# fallback where /proc is missing.
PROBE = """\
import resource, time
t0 = time.perf_counter()
{statement}
t1 = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    with open("/proc/self/status") as status:
        peak = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:"))
except (OSError, StopIteration):
    pass
print(t1 - t0, peak)
"""


@dataclass(frozen=True)
class Subject:
    name: str  # as shown in the table
    python: Path
    statement: str


@dataclass
class Sample:
    seconds: float  # median import wall time
    rss_mib: float  # median whole-process peak RSS
    above_bare_mib: float  # rss_mib minus the bare interpreter's median


def subjects(module: str) -> list[Subject]:
    """cloudforge and the two peers, for `import <pkg>.<module>` ("connect")."""
    return [
        Subject("cloudforge", PROJECT_PYTHON, f"import cloudforge.aws.{module}"),
        Subject("troposphere", PEERS_PYTHON, f"import troposphere.{module}"),
        Subject("pulumi-aws-native", PEERS_PYTHON, f"import pulumi_aws_native.{module}"),
    ]


def class_subjects(module: str, cls: str) -> list[Subject]:
    """The same three, importing the class itself (a lazily loaded module pays here)."""
    return [
        Subject("cloudforge", PROJECT_PYTHON, f"from cloudforge.aws.{module} import {cls}"),
        Subject("troposphere", PEERS_PYTHON, f"from troposphere.{module} import {cls}"),
        Subject("pulumi-aws-native", PEERS_PYTHON, f"from pulumi_aws_native.{module} import {cls}"),
    ]


def probe(python: Path, statement: str) -> tuple[float, float]:
    """One fresh run: (import seconds, the interpreter's peak RSS in MiB)."""
    out = run_python(python, PROBE.format(statement=statement)).split()
    return float(out[0]), int(out[1]) / 1024


def sample_all(group: list[Subject], runs: int = RUNS) -> dict[str, Sample | str]:
    """Median figures per subject name, or the reason it could not be imported."""
    bare: dict[Path, list[float]] = {}
    times: dict[str, list[float]] = {}
    rss: dict[str, list[float]] = {}
    failed: dict[str, str] = {}
    for s in group:
        try:
            probe(s.python, s.statement)  # warm-up: bytecode caches, page cache
        except (RuntimeError, OSError) as exc:
            failed[s.name] = str(exc)
    live = [s for s in group if s.name not in failed]
    for _ in range(runs):
        for python in {s.python for s in live}:
            bare.setdefault(python, []).append(probe(python, "pass")[1])
        for s in live:
            seconds, mib = probe(s.python, s.statement)
            times.setdefault(s.name, []).append(seconds)
            rss.setdefault(s.name, []).append(mib)
    result: dict[str, Sample | str] = dict(failed)
    for s in live:
        whole = median(rss[s.name])
        result[s.name] = Sample(median(times[s.name]), whole, whole - median(bare[s.python]))
    return result


def rows_for(label: str, samples: dict[str, Sample | str], peers: list[str]) -> list[Row]:
    """Three figures (time, memory above bare, whole-process memory), each against the peers."""
    ours = samples.get("cloudforge")
    rows: list[Row] = []
    figures: list[tuple[str, str, Callable[[Sample], float]]] = [
        ("wall time (ms)", "ms", lambda s: s.seconds * 1000),
        ("peak RSS above a bare interpreter (MiB)", "above_bare_mib", lambda s: s.above_bare_mib),
        ("peak RSS, whole process (MiB)", "rss_mib", lambda s: s.rss_mib),
    ]
    for title, kind, pick in figures:
        # A peer's figure is kept even when cloudforge's is missing, and the reverse.
        row = Row(
            measure=f"`{label}`: {title}",
            value=pick(ours) if isinstance(ours, Sample) else None,
            baselines={
                p: pick(s) if isinstance(s := samples.get(p), Sample) else None for p in peers
            },
            key={"figure": "import", "statement": label, "kind": kind},
        )
        if not isinstance(ours, Sample):
            row.note = ours or "not run"
        else:
            failed = [
                f"{p}: {samples.get(p)}" for p in peers if not isinstance(samples.get(p), Sample)
            ]
            row.note = "; ".join(failed)
        rows.append(row)
    return rows


def measure(quick: bool = False, module: str = "connect", cls: str = "SecurityProfile") -> Section:
    runs = 3 if quick else RUNS
    peers = ["troposphere", "pulumi-aws-native"]
    section = Section(
        title="1. Import",
        baselines=peers,
        method=(
            f"Fresh interpreter per run, import statement timed in-process (start-up excluded); "
            f"memory is the process's peak RSS (Linux VmHWM, not ru_maxrss, which in a child "
            f"also counts the launcher's pages from before exec), whole-process and minus a bare "
            f"interpreter of the same venv. "
            f"Median of {runs} runs after one warm-up; peers from bench/.venv-peers."
        ),
    )
    missing = peers_missing()
    for label, group in [
        (f"import cloudforge.aws.{module}", subjects(module)),
        (f"from cloudforge.aws.{module} import {cls}", class_subjects(module, cls)),
    ]:
        if missing:
            group = group[:1]
        samples = sample_all(group, runs)
        if missing:
            samples.update({p: missing for p in peers})
        section.rows += rows_for(label, samples, peers)
    return section
