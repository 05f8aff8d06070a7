"""Where registry schemas come from, and how one is loaded with its fixes applied.

Sources, in order: the project's `schemas/` folder (what `cloudforge schemas pull` wrote), then
the registry schemas bundled in the cfn-lint package (offline, per region). A schema fix is data:
`<schema>.patch.json` beside the schema, `{"reason": ..., "patch": [RFC 6902 operations]}`,
applied on every load, so the same fixed schema feeds the generator and the local cloud.
"""

from __future__ import annotations

import importlib.util
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import jsonpatch
from cloudforge.errors import SchemaError

# The repository's schemas/ folder, when cloudforge runs from a checkout.
REPO_SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
DEFAULT_REGION = "us-east-1"


def schema_file_name(type_name: str) -> str:
    """`AWS::Connect::SecurityProfile` -> `aws-connect-securityprofile.json`, as the registry names it."""
    return type_name.lower().replace("::", "-") + ".json"


def schema_dirs() -> list[Path]:
    """Folders searched for schemas: $CLOUDFORGE_SCHEMAS (os.pathsep-separated), ./schemas, the checkout's."""
    dirs = [Path(p) for p in os.environ.get("CLOUDFORGE_SCHEMAS", "").split(os.pathsep) if p]
    dirs += [Path.cwd() / "schemas", REPO_SCHEMAS]
    seen: list[Path] = []
    for d in dirs:
        if d.is_dir() and d.resolve() not in seen:
            seen.append(d.resolve())
    return seen


def apply_fix(schema: dict[str, Any], schema_path: Path) -> dict[str, Any]:
    """Apply `<schema>.patch.json` beside `schema_path`, when there is one."""
    fix = schema_path.with_name(schema_path.name.removesuffix(".json") + ".patch.json")
    if not fix.is_file():
        return schema
    try:
        ops = json.loads(fix.read_text())["patch"]
        patched: dict[str, Any] = jsonpatch.apply_patch(schema, ops)
    except (KeyError, ValueError, jsonpatch.JsonPatchException) as exc:
        raise SchemaError(source=str(fix), problem=f"schema fix does not apply: {exc}") from exc
    return patched


def cfn_lint_bundle(region: str = DEFAULT_REGION) -> dict[str, Path]:
    """Type name -> schema file in the cfn-lint package's bundled registry schemas for `region`."""
    return dict(_bundle(region))


@cache
def _bundle(region: str) -> dict[str, Path]:
    """cfn-lint keeps one index per region (`providers/<region>.json`: type name -> content hash) and
    the schemas by hash (`resources/<hash>.json`), so regions share identical schemas.
    """
    try:
        spec = importlib.util.find_spec("cfnlint")
    except ModuleNotFoundError:
        spec = None
    if spec is None or spec.origin is None:
        raise SchemaError(source="cfn-lint", problem="the cfn-lint package is not installed")
    data = Path(spec.origin).parent / "data" / "schemas"
    index = data / "providers" / f"{region}.json"
    if not index.is_file():
        raise SchemaError(source="cfn-lint", problem=f"no bundled schemas for region {region!r}")
    digests: dict[str, str] = json.loads(index.read_text())
    return {name: data / "resources" / f"{digest}.json" for name, digest in digests.items()}


@cache
def load_schema(type_name: str, region: str = DEFAULT_REGION) -> dict[str, Any]:
    """The registry schema of `type_name` with its fixes applied; SchemaError if none is found.

    Callers must not mutate the result (it is cached).
    """
    name = schema_file_name(type_name)
    for folder in schema_dirs():
        path = folder / name
        if path.is_file():
            return apply_fix(json.loads(path.read_text()), path)
    bundled = cfn_lint_bundle(region).get(type_name)
    if bundled is None or not bundled.is_file():
        raise SchemaError(
            source=type_name, problem="no registry schema in schemas/ or the cfn-lint bundle"
        )
    schema: dict[str, Any] = json.loads(bundled.read_text())
    # Project fixes apply to bundled schemas too: look for one beside where it would be pulled.
    for folder in schema_dirs():
        schema = apply_fix(schema, folder / name)
    return schema
