"""Pull registry schemas into schemas/: from the cfn-lint bundle (offline) or from CloudFormation.

`pull_schemas` writes one file per type, named as the registry names it, and records in
`schemas/manifest.json` where each came from (source, region, version or content hash), so a
schema in the repository is always traceable and re-pullable by command.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

from cloudforge.errors import SchemaError
from cloudforge.schemas.loading import DEFAULT_REGION, cfn_lint_bundle, schema_file_name

Source = Literal["cfn-lint", "aws"]
MANIFEST = "manifest.json"

# Keywords cfn-lint adds to the registry schemas it bundles (its own lint extensions and
# deprecation notes, and draft-2020 / negative rules such as `prefixItems` on DynamoDB key schemas
# and `not` on RDS master user names); the meta-schema allows none of them in a registry schema.
CFN_LINT_KEYWORDS = frozenset(
    {
        "lifecycle", "enumCaseInsensitive", "requiredXor", "requiredOr", "dependentExcluded",
        "dependentRequired", "uniqueKeys", "maxUniqueItems", "if", "then", "else", "prefixItems",
        "not",
    }
)  # fmt: skip
# Schema keywords whose value maps names to schemas (the names are not keywords).
_NAME_MAPS = frozenset({"properties", "definitions", "patternProperties"})


def strip_keywords(node: Any, keywords: frozenset[str] = CFN_LINT_KEYWORDS) -> Any:
    """A copy of a schema without `keywords` wherever they appear as keywords."""
    if isinstance(node, list):
        return [strip_keywords(v, keywords) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in keywords:
            continue
        if key in _NAME_MAPS and isinstance(value, dict):
            out[key] = {name: strip_keywords(sub, keywords) for name, sub in value.items()}
        else:
            out[key] = strip_keywords(value, keywords)
    return out


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else "string"


def with_enum_types(node: Any) -> Any:
    """A copy of a schema where an `enum`/`const` without `type` gets the type its values have.

    cfn-lint adds enums taken from the AWS SDK models to nodes that had none (QuickSight
    ApprovalPolicy's `items: {enum: [SHARE]}`); the meta-schema wants every enum typed. The values
    already imply the type, so this changes what the schema accepts in no way.
    """
    if isinstance(node, list):
        return [with_enum_types(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _NAME_MAPS and isinstance(value, dict):
            out[key] = {name: with_enum_types(sub) for name, sub in value.items()}
        elif key in ("enum", "const"):
            out[key] = value
        else:
            out[key] = with_enum_types(value)
    values = node.get("enum") if isinstance(node.get("enum"), list) else None
    if values is None and "const" in node:
        values = [node["const"]]
    if values and "type" not in out:
        types = sorted({_json_type(v) for v in values})
        if types == ["integer", "number"]:
            types = ["number"]
        out["type"] = types[0] if len(types) == 1 else types
    return out


def registry_form(schema: dict[str, Any]) -> dict[str, Any]:
    """A bundled cfn-lint schema back in registry form: lint keywords dropped, enums typed."""
    result: dict[str, Any] = with_enum_types(strip_keywords(schema))
    return result


def schema_text(schema: dict[str, Any]) -> str:
    """The canonical file text: sorted keys, one-space indent, trailing newline (stable diffs)."""
    return json.dumps(schema, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _cfn_lint_version() -> str:
    try:
        return version("cfn-lint")
    except PackageNotFoundError:
        return "unknown"


def from_cfn_lint(type_name: str, region: str) -> tuple[dict[str, Any], dict[str, str]]:
    bundle = cfn_lint_bundle(region)
    path = bundle.get(type_name)
    if path is None or not path.is_file():
        raise SchemaError(
            source=f"cfn-lint {_cfn_lint_version()} ({region})",
            problem=f"no bundled schema for {type_name!r}; check the type name, or pull it "
            "with source='aws'",
        )
    schema = registry_form(json.loads(path.read_text()))
    return schema, {"version": f"cfn-lint {_cfn_lint_version()}", "bundle_hash": path.stem}


def from_aws(type_name: str, region: str) -> tuple[dict[str, Any], dict[str, str]]:
    """DescribeType through the caller's credential chain (and $AWS_ENDPOINT_URL if set)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    client = boto3.client("cloudformation", region_name=region)
    try:
        answer = client.describe_type(Type="RESOURCE", TypeName=type_name)
    except (BotoCoreError, ClientError) as exc:
        raise SchemaError(
            source=f"CloudFormation DescribeType ({region})", problem=str(exc)
        ) from exc
    schema = json.loads(answer["Schema"])
    return schema, {"version": str(answer.get("DefaultVersionId") or answer.get("VersionId") or "")}


def read_manifest(dest: Path) -> dict[str, Any]:
    path = Path(dest) / MANIFEST
    if not path.is_file():
        return {"types": {}}
    manifest: dict[str, Any] = json.loads(path.read_text())
    manifest.setdefault("types", {})
    return manifest


def select_types(
    type_names: Iterable[str] = (),
    *,
    all_types: bool = False,
    services: Iterable[str] = (),
    region: str = DEFAULT_REGION,
) -> list[str]:
    """Type names from explicit names, `--all` (every type of the cfn-lint bundle for `region`)
    and `--service` (every bundled type of a service: `connect` or `AWS::Connect`), sorted."""
    chosen = set(type_names)
    wanted = {s.lower().removeprefix("aws::").strip(":") for s in services}
    if all_types or wanted:
        for name in cfn_lint_bundle(region):
            parts = name.split("::")
            if all_types or (len(parts) == 3 and parts[1].lower() in wanted):
                chosen.add(name)
        found = {n.split("::")[1].lower() for n in chosen if n.count("::") == 2}
        missing = sorted(wanted - found)
        if missing:
            raise SchemaError(
                source=f"cfn-lint {_cfn_lint_version()} ({region})",
                problem=f"no bundled types for service(s) {', '.join(missing)}",
            )
    return sorted(chosen)


def pull_schemas(
    type_names: Iterable[str],
    *,
    region: str = DEFAULT_REGION,
    source: Source = "cfn-lint",
    dest: Path = Path("schemas"),
) -> list[Path]:
    """Write each type's registry schema into `dest` and record it in `dest/manifest.json`."""
    if source not in ("cfn-lint", "aws"):
        raise SchemaError(source=str(source), problem="source must be 'cfn-lint' or 'aws'")
    fetch = from_cfn_lint if source == "cfn-lint" else from_aws
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(dest)
    written: list[Path] = []
    for type_name in type_names:
        schema, origin = fetch(type_name, region)
        if schema.get("typeName") != type_name:
            raise SchemaError(
                source=source, problem=f"asked for {type_name!r}, got {schema.get('typeName')!r}"
            )
        text = schema_text(schema)
        path = dest / schema_file_name(type_name)
        path.write_text(text)
        manifest["types"][type_name] = {
            "file": path.name,
            "source": source,
            "region": region,
            **origin,
            "sha256": hashlib.sha256(text.encode()).hexdigest(),
        }
        written.append(path)
    manifest["types"] = dict(sorted(manifest["types"].items()))
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return written
