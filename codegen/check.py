"""`make check-registry`: the whole bundle (or a seeded sample) pulled, generated, imported,
checked for fidelity (validation and models against the registry schema, property-based) and
type-checked in a temporary folder, with a figure per phase and the types that failed each.

`python -m cloudforge.codegen.check` checks every bundled type; `--sample 40 --seed S` a random
sample (the seed is printed, so a failing run can be repeated). The committed generated/ tree is
never touched: the generated `aws/` tree stands in for `cloudforge.aws` in the child processes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cloudforge
from cloudforge.codegen.generate import generate_all
from cloudforge.codegen.pull import pull_schemas
from cloudforge.errors import CloudforgeError
from cloudforge.schemas.loading import DEFAULT_REGION, REPO_SCHEMAS, cfn_lint_bundle

RUNTIME = Path(cloudforge.__file__ or ".").resolve().parent
PYPROJECT = REPO_SCHEMAS.parent / "pyproject.toml"

# Run in a child: every module of the index imports, its class is the indexed type, and its
# pydantic models build (forward references and recursive definitions all resolve).
IMPORT_CHILD = """
import importlib, json, sys
import cloudforge.aws as aws
aws.__path__[:] = [sys.argv[1]]
index = importlib.import_module("cloudforge.aws._index").TYPES
failed = {}
for type_name, (module, name) in sorted(index.items()):
    try:
        cls = getattr(importlib.import_module(module), name)
        assert cls.metadata.type_name == type_name, cls.metadata.type_name
        cls.props_model.model_rebuild()
        cls.attributes_model.model_rebuild()
    except Exception as exc:
        failed[type_name] = f"{type(exc).__name__}: {exc}"[:500]
print(json.dumps({"types": sorted(index), "failed": failed}))
"""

# Run in a child: for every type, documents drawn from its registry schema are judged by the
# generated validation, the pydantic model and the oracle (cloudforge.codegen.fidelity).
FIDELITY_CHILD = """
import importlib, json, sys
from pathlib import Path
import cloudforge.aws as aws
aws.__path__[:] = [sys.argv[1]]
from cloudforge.codegen.fidelity import check_type
schemas, examples = Path(sys.argv[2]), int(sys.argv[3])
index = importlib.import_module("cloudforge.aws._index").TYPES
failed, valid, invalid = {}, 0, 0
for type_name, (module, name) in sorted(index.items()):
    try:
        cls = getattr(importlib.import_module(module), name)
        schema = json.loads((schemas / cls.metadata.schema_file).read_text())
        verdicts = check_type(cls, schema, examples, shrink=False)
        valid, invalid = valid + verdicts.valid, invalid + verdicts.invalid
    except Exception as exc:
        failed[type_name] = f"fidelity: {type(exc).__name__}: {exc}"[:800]
print(json.dumps({"failed": failed, "valid": valid, "invalid": invalid}))
"""
FIDELITY_EXAMPLES = 25  # documents drawn per type in the registry-wide check


@dataclass
class Report:
    types: list[str]
    seconds: dict[str, float] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # type name -> first problem
    documents: dict[str, int] = field(default_factory=dict)  # fidelity: "valid"/"invalid" drawn

    @property
    def ok(self) -> int:
        return len(self.types) - len(self.failed)

    def summary(self) -> str:
        phases = ", ".join(f"{k} {v:.1f} s" for k, v in self.seconds.items())
        lines = [f"registry check: {self.ok}/{len(self.types)} types ok ({phases})"]
        if self.documents:
            lines.append(
                f"fidelity: {self.documents['valid']} valid and {self.documents['invalid']} "
                "invalid documents drawn and agreed on"
            )
        lines += [f"  FAILED {name}: {problem}" for name, problem in sorted(self.failed.items())]
        return "\n".join(lines)


def sample(region: str, size: int | None, seed: int) -> list[str]:
    names = sorted(cfn_lint_bundle(region))
    if size is None or size >= len(names):
        return names
    return sorted(random.Random(seed).sample(names, size))


def typecheck_layout(root: Path, aws: Path) -> Path:
    """A regular package layout (symlinks) of cloudforge with `aws` as cloudforge.aws: mypy
    cannot follow the editable install's import hook."""
    package = root / "cloudforge"
    package.mkdir(parents=True)
    for entry in RUNTIME.iterdir():
        if entry.name not in ("__pycache__", "aws"):
            (package / entry.name).symlink_to(entry)
    (package / "aws").symlink_to(aws)
    return root


def run_mypy(
    layout: Path, cache: Path, targets: Sequence[str] = ("-p", "cloudforge.aws")
) -> subprocess.CompletedProcess[str]:
    config = ["--config-file", str(PYPROJECT)] if PYPROJECT.is_file() else ["--strict"]
    return subprocess.run(
        [sys.executable, "-m", "mypy", *config, "--cache-dir", str(cache), *targets],
        cwd=layout,
        env={**os.environ, "MYPYPATH": str(layout)},
        capture_output=True,
        text=True,
    )


def _module_types(aws: Path) -> dict[str, str]:
    """`cloudforge/aws/connect/security_profile.py` -> type name, from the generated index."""
    index = (aws / "_index.py").read_text()
    out: dict[str, str] = {}
    for type_name, module in re.findall(r'"([^"]+)": \("cloudforge\.aws\.([\w.]+)"', index):
        out["cloudforge/aws/" + module.replace(".", "/") + ".py"] = type_name
    return out


def import_check(aws: Path) -> tuple[list[str], dict[str, str]]:
    """(indexed type names, type name -> problem) for a generated `aws/` tree, checked in a
    child process where that tree is `cloudforge.aws`."""
    child = subprocess.run(
        [sys.executable, "-c", IMPORT_CHILD, str(aws)], capture_output=True, text=True
    )
    if child.returncode != 0 or not child.stdout.strip():
        raise CloudforgeError(f"the import check crashed: {child.stderr[-1000:]}")
    result = json.loads(child.stdout.splitlines()[-1])
    return result["types"], result["failed"]


def fidelity_check(
    aws: Path, schemas: Path, examples: int
) -> tuple[dict[str, str], dict[str, int]]:
    """(type name -> first disagreement, documents drawn by verdict) for a generated `aws/` tree
    and the registry schemas it was generated from, checked in a child process."""
    child = subprocess.run(
        [sys.executable, "-c", FIDELITY_CHILD, str(aws), str(schemas), str(examples)],
        capture_output=True,
        text=True,
    )
    if child.returncode != 0 or not child.stdout.strip():
        raise CloudforgeError(f"the fidelity check crashed: {child.stderr[-1000:]}")
    result = json.loads(child.stdout.splitlines()[-1])
    return result["failed"], {"valid": result["valid"], "invalid": result["invalid"]}


def check_registry(
    types: Sequence[str],
    work: Path,
    *,
    region: str = DEFAULT_REGION,
    cache_dir: Path | None = None,
    mypy: bool = True,
    examples: int = FIDELITY_EXAMPLES,
) -> Report:
    """Pull, generate, import and type-check `types` under `work`."""
    report = Report(types=sorted(types))
    started = time.perf_counter()
    pull_schemas(report.types, region=region, dest=work / "schemas")
    report.seconds["pull"] = time.perf_counter() - started

    started = time.perf_counter()
    try:
        generate_all(work / "schemas", work / "out", cache_dir=cache_dir or work / "cache")
    except CloudforgeError as exc:
        # The generator lists every failing schema; none of the types can be imported then.
        report.seconds["generate"] = time.perf_counter() - started
        report.failed = {name: f"generation stopped: {exc}"[:500] for name in report.types}
        return report
    report.seconds["generate"] = time.perf_counter() - started

    aws = work / "out" / "aws"
    started = time.perf_counter()
    indexed, failed = import_check(aws)
    report.seconds["import"] = time.perf_counter() - started
    report.failed.update(failed)
    for name in set(report.types) - set(indexed):
        report.failed.setdefault(name, "not in the generated index")

    if examples > 0:
        started = time.perf_counter()
        disagreements, report.documents = fidelity_check(aws, work / "schemas", examples)
        report.seconds["fidelity"] = time.perf_counter() - started
        for name, problem in disagreements.items():
            report.failed.setdefault(name, problem)

    if mypy:
        started = time.perf_counter()
        layout = typecheck_layout(work / "typecheck", aws)
        done = run_mypy(layout, work / "mypy-cache")
        report.seconds["mypy"] = time.perf_counter() - started
        modules = _module_types(aws)
        for line in done.stdout.splitlines():
            path = line.split(":", 1)[0]
            if ": error:" in line:
                name = modules.get(path, path)
                report.failed.setdefault(name, "mypy: " + line)
        if done.returncode != 0 and not any(": error:" in x for x in done.stdout.splitlines()):
            report.failed["(mypy)"] = (done.stdout + done.stderr)[-500:]
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cloudforge.codegen.check")
    parser.add_argument("--region", default=DEFAULT_REGION)
    parser.add_argument("--sample", type=int, default=None, help="this many types, seeded")
    parser.add_argument("--seed", type=int, default=None, help="sample seed (default: random)")
    parser.add_argument("--types", nargs="*", default=None, help="these types only")
    parser.add_argument("--cache", type=Path, default=None, help="generator cache (default: fresh)")
    parser.add_argument("--no-mypy", action="store_true")
    parser.add_argument(
        "--examples",
        type=int,
        default=FIDELITY_EXAMPLES,
        help="documents drawn per type for the fidelity check (0: skip it)",
    )
    parser.add_argument("--keep", type=Path, default=None, help="work in this folder, keep it")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    types = args.types or sample(args.region, args.sample, seed)
    if args.sample is not None and not args.types:
        print(f"registry check: {len(types)} types sampled with seed {seed}")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cloudforge-registry-") as tmp:
        work = args.keep or Path(tmp)
        report = check_registry(
            types,
            work,
            region=args.region,
            cache_dir=args.cache,
            mypy=not args.no_mypy,
            examples=args.examples,
        )
    print(report.summary())
    print(f"registry check: total {time.perf_counter() - started:.1f} s")
    return 0 if not report.failed else 1


if __name__ == "__main__":
    sys.exit(main())
