"""The generator pipeline: schema files -> validated -> described -> rendered -> formatted modules.

`generate_all(schemas_dir, out_dir)` rewrites `out_dir/aws/` afresh from every schema in
`schemas_dir` (a type removed from schemas/ disappears), deterministically: no timestamps, output
formatted with ruff, so running it twice leaves no diff.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from cloudforge.codegen import metaschema
from cloudforge.codegen.description import TypeDescription
from cloudforge.codegen.models import model_source
from cloudforge.codegen.normalize import describe
from cloudforge.codegen.pull import strip_keywords
from cloudforge.codegen.render import (
    render_aws_init,
    render_base,
    render_index,
    render_package_init,
    render_resource,
)
from cloudforge.codegen.schemas import apply_fix
from cloudforge.errors import SchemaError

NOT_SCHEMAS = ("manifest.json",)


def schema_files(schemas_dir: Path) -> list[Path]:
    """The registry schemas in a folder (not their .patch.json fixes, not the manifest)."""
    return sorted(
        p
        for p in Path(schemas_dir).glob("*.json")
        if not p.name.endswith(".patch.json") and p.name not in NOT_SCHEMAS
    )


def load_file(path: Path) -> dict[str, Any]:
    """One schema file with its fix applied, validated against the meta-schema."""
    try:
        schema = json.loads(path.read_text())
    except ValueError as exc:
        raise SchemaError(source=str(path), problem=f"not JSON: {exc}") from exc
    # A file copied from the cfn-lint bundle by hand still carries its lint keywords: drop them
    # here as `pull` does (no registry schema can contain them: the meta-schema forbids them).
    return metaschema.check(strip_keywords(apply_fix(schema, path)), str(path))


def describe_file(path: Path) -> TypeDescription:
    return describe(load_file(path), path.name)


def module_text(description: TypeDescription) -> str:
    """The unformatted module of one type."""
    models, imports = model_source(description)
    return render_resource(description, models, imports)


def _ruff() -> str:
    local = Path(sys.executable).with_name("ruff")
    return str(local) if local.is_file() else shutil.which("ruff") or "ruff"


def format_tree(root: Path) -> None:
    """ruff format, with fixed settings so the output does not depend on where it runs."""
    subprocess.run(
        [_ruff(), "format", "--isolated", "--line-length", "100", "--quiet", str(root)],
        check=True,
    )


def render_tree(descriptions: list[TypeDescription]) -> dict[str, str]:
    """Relative path under out_dir -> text, for a set of types (modules, packages, index)."""
    files: dict[str, str] = {"aws/py.typed": ""}
    by_service: dict[str, list[tuple[str, str]]] = defaultdict(list)
    namespaces: dict[str, set[str]] = defaultdict(set)  # package -> {"AWS::Connect"}
    index: list[tuple[str, str, str]] = []
    for d in descriptions:
        path = f"aws/{d.service}/{d.module}.py"
        if path in files:
            raise SchemaError(source=d.type_name, problem=f"{path} is generated for two types")
        files[path] = module_text(d)
        by_service[d.service].append((d.class_name, d.module))
        namespaces[d.service].add(d.type_name.rsplit("::", 1)[0])
        index.append((d.type_name, f"cloudforge.aws.{d.service}.{d.module}", d.class_name))
    for service, exports in by_service.items():
        names = [e[0] for e in exports]
        if len(set(names)) != len(names):
            raise SchemaError(
                source=service, problem=f"two types named alike in one service: {names}"
            )
        files[f"aws/{service}/__init__.py"] = render_package_init(
            ", ".join(sorted(namespaces[service])), exports
        )
        files[f"aws/{service}/py.typed"] = ""
    files["aws/__init__.py"] = render_aws_init(list(by_service))
    files["aws/_index.py"] = render_index(index)
    files["aws/_base.py"] = render_base()
    return files


def write_tree(files: dict[str, str], out_dir: Path) -> list[Path]:
    """Replace `out_dir/aws` by `files` (formatted in a scratch folder first, so a failure
    leaves the old tree in place)."""
    out_dir = Path(out_dir)
    with tempfile.TemporaryDirectory(prefix="cloudforge-codegen-") as tmp:
        scratch = Path(tmp)
        for rel, text in files.items():
            target = scratch / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        format_tree(scratch / "aws")
        out_dir.mkdir(parents=True, exist_ok=True)
        # Swap by renames next to the target, so a concurrent import sees the old tree or the
        # new one, hardly ever none.
        staged, retired = out_dir / ".aws.new", out_dir / ".aws.old"
        for leftover in (staged, retired):
            shutil.rmtree(leftover, ignore_errors=True)
        shutil.copytree(scratch / "aws", staged)
        if (out_dir / "aws").exists():
            (out_dir / "aws").rename(retired)
        staged.rename(out_dir / "aws")
        shutil.rmtree(retired, ignore_errors=True)
    return sorted(out_dir / rel for rel in files)


def generate_all(schemas_dir: Path, out_dir: Path) -> list[Path]:
    """Regenerate `out_dir/aws/` from every schema in `schemas_dir`; the files written."""
    descriptions = [describe_file(p) for p in schema_files(Path(schemas_dir))]
    return write_tree(render_tree(descriptions), Path(out_dir))
