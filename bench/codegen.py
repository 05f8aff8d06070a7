"""Figure 2: generating code from registry schemas, cloudforge's generator against plain
datamodel-code-generator over the same schemas (fixes applied, as cloudforge reads them).

The sample is every k-th type of the cfn-lint bundle's registry plus named hard cases (recursive,
very large, the SecurityProfile). A type counts as failed when generation raises or its output
does not import. The no-op figure re-runs generation, in a fresh process, into an up-to-date tree.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from bench.measure import REPO, median
from bench.report import Row, Section

SAMPLE = 80
QUICK_SAMPLE = 8
HARD_CASES = (
    "AWS::Connect::SecurityProfile",  # the acceptance type
    "AWS::WAFv2::WebACL",  # recursive $ref graph
    "AWS::EMR::Cluster",  # recursive, many definitions
    "AWS::QuickSight::Dashboard",  # one of the largest schemas
    "AWS::EC2::Instance",  # a large service
)
DMCG = "datamodel-code-generator (plain)"


@dataclass
class Outcome:
    seconds: dict[str, float] = field(default_factory=dict)  # per type that generated
    failed: dict[str, str] = field(default_factory=dict)  # type -> reason


def sample_types(size: int) -> list[str]:
    from cloudforge.schemas.loading import cfn_lint_bundle

    names = sorted(cfn_lint_bundle())
    stride = max(1, len(names) // size)
    picked = names[::stride][:size]
    return sorted(set(picked) | {t for t in HARD_CASES if t in names})


def write_schemas(types: list[str], dest: Path) -> dict[str, Path]:
    """Each type's schema, fixes applied, as `<registry file name>` in `dest`."""
    from cloudforge.schemas.loading import load_schema, schema_file_name

    dest.mkdir(parents=True, exist_ok=True)
    files = {}
    for name in types:
        path = dest / schema_file_name(name)
        path.write_text(json.dumps(load_schema(name), indent=2))
        files[name] = path
    return files


def imports_cleanly(path: Path) -> str | None:
    """None when the module at `path` executes, else why not (an import-time failure counts)."""
    spec = importlib.util.spec_from_file_location(f"bench_probe_{abs(hash(path))}", path)
    if spec is None or spec.loader is None:
        return "not loadable"
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves postponed annotations through it
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        return f"import: {type(exc).__name__}: {' '.join(str(exc).split())[:160]}"
    finally:
        del sys.modules[spec.name]
    return None


def run_dmcg(files: dict[str, Path], work: Path) -> Outcome:
    from datamodel_code_generator import InputFileType, generate

    outcome = Outcome()
    for name, schema in files.items():
        out = work / f"{schema.stem.replace('-', '_')}.py"
        start = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # it warns on every registry `format` it lacks
                generate(schema, input_file_type=InputFileType.JsonSchema, output=out)
        except Exception as exc:
            outcome.failed[name] = f"{type(exc).__name__}: {str(exc)[:100]}"
            continue
        outcome.seconds[name] = time.perf_counter() - start
        if problem := imports_cleanly(out):
            outcome.failed[name] = problem
    return outcome


def run_cloudforge(files: dict[str, Path], work: Path) -> Outcome:
    """One type at a time, each into its own output tree, timing `generate_all`."""
    from cloudforge.codegen.generate import generate_all

    outcome = Outcome()
    trees: dict[str, Path] = {}
    for name, schema in files.items():
        one = work / schema.stem / "schemas"
        one.mkdir(parents=True)
        shutil.copy(schema, one / schema.name)
        out = work / schema.stem / "out"
        start = time.perf_counter()
        try:
            generate_all(one, out, cache_dir=work / "cache")
        except Exception as exc:
            outcome.failed[name] = f"{type(exc).__name__}: {str(exc)[:300]}"
            continue
        outcome.seconds[name] = time.perf_counter() - start
        trees[name] = out / "aws"
    for name, problem in import_trees(trees).items():
        if problem:
            outcome.failed[name] = f"import: {problem}"
    return outcome


# Imports every module of each generated tree as `cloudforge.aws.*`, one tree at a time.
IMPORT_TREES = """import importlib, json, sys
from pathlib import Path
import cloudforge.aws as aws
result = {}
for name, tree in json.loads(sys.argv[1]).items():
    for module in [m for m in sys.modules if m.startswith("cloudforge.aws.")]:
        del sys.modules[module]
    aws.__path__[:] = [tree]
    result[name] = None
    for path in sorted(Path(tree).rglob("*.py")):
        parts = [p for p in path.relative_to(tree).with_suffix("").parts if p != "__init__"]
        if not parts:
            continue
        module = ".".join(["cloudforge.aws", *parts])
        try:
            importlib.import_module(module)
        except Exception as exc:
            result[name] = f"{module}: {type(exc).__name__}: {' '.join(str(exc).split())[:160]}"
            break
print(json.dumps(result))
"""


def import_trees(trees: dict[str, Path]) -> dict[str, str | None]:
    """Type -> None when its generated modules import, else the first failure."""
    proc = subprocess.run(
        [sys.executable, "-c", IMPORT_TREES, json.dumps({k: str(v) for k, v in trees.items()})],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return dict.fromkeys(trees, f"import check crashed: {last}")
    result: dict[str, str | None] = json.loads(proc.stdout.splitlines()[-1])
    return result


# One generate_all run in a fresh process: schemas dir, out dir, cache dir -> seconds.
GENERATE = """\
import sys, time
from pathlib import Path
start = time.perf_counter()
from cloudforge.codegen.generate import generate_all
generate_all(Path(sys.argv[1]), Path(sys.argv[2]), cache_dir=Path(sys.argv[3]))
print(time.perf_counter() - start)
"""


def first_and_noop(schemas: Path, work: Path) -> tuple[float, float]:
    """(a run from an empty module cache, then a no-op re-run) in fresh processes, seconds.

    The cache is a scratch one, so the first run generates every module whatever ran before.
    """
    times = []
    for _ in range(2):
        proc = subprocess.run(
            [sys.executable, "-c", GENERATE, str(schemas), str(work / "out"), str(work / "cache")],
            capture_output=True,
            text=True,
            cwd=REPO,
            check=True,
        )
        times.append(float(proc.stdout.split()[-1]))
    return times[0], times[1]


def measure(quick: bool = False) -> Section:
    size = QUICK_SAMPLE if quick else SAMPLE
    types = sample_types(size)
    section = Section(title="2. Codegen", method="", baselines=[DMCG])
    with tempfile.TemporaryDirectory(prefix="bench-codegen-") as tmp:
        work = Path(tmp)
        files = write_schemas(types, work / "schemas")
        (work / "dmcg").mkdir()
        theirs = run_dmcg(files, work / "dmcg")
        ours: Outcome | str
        first = noop = None
        try:
            ours = run_cloudforge(files, work / "cloudforge")
        except ImportError as exc:
            ours = f"generator not available: {exc}"
        if isinstance(ours, Outcome) and ours.seconds:
            # The whole-sample run covers the types that generated one by one: a single bad
            # schema stops generate_all, and the failure is already counted per type.
            good = work / "good"
            good.mkdir()
            for name in ours.seconds:
                shutil.copy(files[name], good / files[name].name)
            try:
                first, noop = first_and_noop(good, work / "whole")
            except subprocess.CalledProcessError as exc:
                last = (exc.stderr or "").strip().splitlines()[-1:]
                ours.failed["(whole sample)"] = f"generate_all failed: {last}"
        from cloudforge.schemas.loading import REPO_SCHEMAS

        registry = len(sample_registry_size())
        if quick:
            make: tuple[float | None, float | None, float | None, str] = (
                None,
                None,
                None,
                "skipped with --quick",
            )
        else:
            make = make_codegen(REPO_SCHEMAS, work)
    section.rows = codegen_rows(types, ours, theirs, first, noop)
    count = len(
        [p for p in REPO_SCHEMAS.glob("*.json") if not p.name.endswith(".patch.json")]
    ) - int((REPO_SCHEMAS / "manifest.json").exists())
    baseline_note = (
        "baseline: the datamodel-codegen CLI over the same schemas"
        if make[2] is not None
        else f"baseline not run: one datamodel-codegen process per schema for {count:,} schemas "
        f"does not fit make bench's 10-minute budget; compare on the sample above"
    )
    for label, value in [
        ("from an empty module cache", make[0]),
        ("no-op re-run into the up-to-date tree", make[1]),
    ]:
        section.rows.append(
            Row(
                f"`make codegen` over schemas/ ({count:,} types), {label}, whole process (s)",
                value,
                {DMCG: make[2]},
                note=make[3] or baseline_note,
            )
        )
    section.method = (
        f"{len(types)} registry types (every k-th of the cfn-lint bundle's "
        f"{registry}, plus {len(HARD_CASES)} hard cases), the same fixed schemas for both. "
        f"Per-type figures: one type per call, in-process after imports, from an empty module "
        f"cache. Whole-sample and no-op runs: `generate_all` in a fresh process "
        f"(it uses every core; datamodel-code-generator one), first from an empty cache, then "
        f"again; the sample run covers the types that generated one by one (a single bad schema "
        f"stops a whole run). datamodel-code-generator has no incremental mode, so its figure "
        f"for both is the sum of its per-type runs. "
        f"`make codegen`: `python -m cloudforge.codegen generate` over the checkout's schemas/ "
        f"into a scratch tree with a scratch module cache (generated/ is not touched), twice. "
        f"Failed: generation raised, or an output module does not import."
    )
    return section


def sample_registry_size() -> list[str]:
    from cloudforge.schemas.loading import cfn_lint_bundle

    return list(cfn_lint_bundle())


def codegen_rows(
    types: list[str],
    ours: Outcome | str,
    theirs: Outcome,
    first: float | None,
    noop: float | None,
) -> list[Row]:
    note = ours if isinstance(ours, str) else ""
    mine = ours if isinstance(ours, Outcome) else None

    def ms(values: list[float], pick: str) -> float | None:
        if not values:
            return None
        return (median(values) if pick == "median" else max(values)) * 1000

    their_total = sum(theirs.seconds.values())
    rows = [
        Row(
            "per-type generation time, median (ms)",
            ms(list(mine.seconds.values()), "median") if mine else None,
            {DMCG: ms(list(theirs.seconds.values()), "median")},
            note=note,
        ),
        Row(
            "per-type generation time, slowest type (ms)",
            ms(list(mine.seconds.values()), "max") if mine else None,
            {DMCG: ms(list(theirs.seconds.values()), "max")},
            note=note,
        ),
        Row(
            f"whole sample ({len(types)} types), one run (s)",
            first,
            {DMCG: their_total},
            note=note or ("" if first is not None else "the whole-sample run failed"),
        ),
        Row(
            "no-op re-run over the up-to-date sample (s)",
            noop,
            {DMCG: their_total},
            note=note or ("" if noop is not None else "the whole-sample run failed"),
        ),
        Row(
            f"types failed (of {len(types)})",
            float(len(mine.failed)) if mine else None,
            {DMCG: float(len(theirs.failed))},
            target="0",
            met=(len(mine.failed) == 0) if mine else None,
            note=note or failures_note(mine.failed if mine else {}, theirs.failed),
        ),
    ]
    return rows


def failures_note(ours: dict[str, str], theirs: dict[str, str]) -> str:
    parts = []
    if ours:
        parts.append("cloudforge: " + ", ".join(sorted(ours)))
    if theirs:
        parts.append("datamodel-code-generator: " + ", ".join(sorted(theirs)[:8]))
    return "; ".join(parts)


DMCG_CLI_LIMIT = 20  # schemas; one datamodel-codegen process each, about a second apiece


def make_codegen(schemas: Path, work: Path) -> tuple[float | None, float | None, float | None, str]:
    """`python -m cloudforge.codegen generate` (what `make codegen` runs) over `schemas` into a
    scratch tree with a scratch module cache, whole process: (first run, no-op re-run, the
    datamodel-codegen CLI over the same schemas or None, note). generated/ is not touched.
    """
    files = [
        p
        for p in sorted(schemas.glob("*.json"))
        if not p.name.endswith(".patch.json") and p.name != "manifest.json"
    ]
    env = {**os.environ, "CLOUDFORGE_CODEGEN_CACHE": str(work / "make-codegen-cache")}
    command = [sys.executable, "-m", "cloudforge.codegen", "generate", "--schemas", str(schemas)]
    command += ["--out", str(work / "make-codegen")]
    times: list[float] = []
    note = ""
    try:
        for _ in range(2):
            start = time.perf_counter()
            subprocess.run(command, capture_output=True, check=True, cwd=REPO, env=env)
            times.append(time.perf_counter() - start)
    except subprocess.CalledProcessError as exc:
        note = f"make codegen failed: {exc.stderr.decode().strip().splitlines()[-1:]}"
    first, noop = (times[0], times[1]) if len(times) == 2 else (None, None)
    if len(files) > DMCG_CLI_LIMIT:
        return first, noop, None, note
    dmcg = Path(sys.executable).with_name("datamodel-codegen")
    start = time.perf_counter()
    try:
        for schema in files:
            out = work / f"{schema.stem}.py"
            subprocess.run(
                [
                    str(dmcg),
                    "--input",
                    str(schema),
                    "--input-file-type",
                    "jsonschema",
                    "--output",
                    str(out),
                ],
                capture_output=True,
                check=True,
                cwd=REPO,
            )
    except (subprocess.CalledProcessError, OSError):
        return first, noop, None, note
    return first, noop, time.perf_counter() - start, note
