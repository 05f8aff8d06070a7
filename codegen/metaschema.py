"""Validate a registry schema against the CloudFormation resource-provider meta-schema.

The meta-schema files in codegen/metaschema_data/ are copied unchanged from the cloudformation-cli
package (aws-cloudformation/cloudformation-cli, `src/rpdk/core/data/schema/`, release 0.2.41):
`provider.definition.schema.v1.json` and the two files it references. One relaxation is applied
in memory (`RELAXATIONS`), each for a schema shape the cfn-lint bundle carries and the generator
handles in general.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from cloudforge.errors import SchemaError

META_DIR = Path(__file__).resolve().parent / "metaschema_data"
PROVIDER = "provider.definition.schema.v1.json"
REFERENCED = ("base.definition.schema.v1.json", "provider.configuration.definition.schema.v1.json")


# Where the check is looser than the meta-schema file, and why.
RELAXATIONS = {
    # cfn-lint bundles AWS::CloudFormation::CustomResource, the schema of every `Custom::*` type:
    # its properties are open (`patternProperties: {".*": ...}` at the top), which the
    # meta-schema forbids at the top level. The generator supports open properties in general
    # (kept in the validation rules, `**props` in the typed constructor).
    "top-level patternProperties": (
        "/properties/patternProperties",
        {
            "type": "object",
            "propertyNames": {"format": "regex"},
            "additionalProperties": {
                "$ref": "base.definition.schema.v1.json#/definitions/properties"
            },
        },
    ),
}


@cache
def _validator() -> Any:
    import jsonschema
    from jsonschema_specifications import REGISTRY  # type: ignore[import-untyped]
    from referencing.jsonschema import DRAFT7

    docs = [json.loads((META_DIR / name).read_text()) for name in (PROVIDER, *REFERENCED)]
    for pointer, rule in RELAXATIONS.values():
        parent, key = pointer.rsplit("/", 1)
        target = docs[0]
        for part in parent.strip("/").split("/"):
            target = target[part]
        target[key] = rule
    registry = REGISTRY.with_resources((doc["$id"], DRAFT7.create_resource(doc)) for doc in docs)
    return jsonschema.Draft7Validator(docs[0], registry=registry)


def problems(schema: dict[str, Any]) -> list[str]:
    """Every way `schema` breaks the meta-schema, as `path: message` lines (empty when valid)."""
    errors = sorted(_validator().iter_errors(schema), key=lambda e: list(map(str, e.absolute_path)))
    return [f"/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


def check(schema: dict[str, Any], source: str) -> dict[str, Any]:
    """`schema` unchanged if it satisfies the meta-schema; SchemaError listing the problems if not."""
    found = problems(schema)
    if found:
        shown = "; ".join(found[:5]) + (f"; and {len(found) - 5} more" if len(found) > 5 else "")
        raise SchemaError(
            source=source,
            problem=f"does not satisfy the resource-provider meta-schema: {shown}. "
            "Fix it with a <schema>.patch.json beside it (see cloudforge.schemas.loading).",
        )
    return schema
