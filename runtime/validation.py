"""Validation of declared properties at construction, before any call is made.

`validate_declared` checks a resource's keyword arguments against the validation rules its
generated class carries (`props_schema`, a JSON-schema subset taken from the registry schema):
types, enums, lengths, item counts, uniqueness, patterns, required and unknown properties, and
read-only attributes given as input. The first problem raises `cloudforge.errors.ValidationError`
naming the property path (`AllowedAccessControlTags[0].Key`), the rule and the value.
"""

from __future__ import annotations

import difflib
import json
import math
import warnings
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from cloudforge.errors import ValidationError

if TYPE_CHECKING:
    from cloudforge.resource import Resource

Problem = tuple[str, str, Any]  # (path, problem, value)

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


def validate_declared(
    cls: type[Resource], logical_id: str, props: Mapping[str, Any]
) -> dict[str, Any]:
    """The JSON-ready declared properties of `cls`, or ValidationError for the first problem.

    A keyword given as None means "not declared" and is dropped; models become dicts (only the
    fields that were set, so schema defaults are never sent as if declared); an explicit [] stays.
    """
    metadata = cls.metadata
    declared = {key: to_json(value) for key, value in props.items() if value is not None}
    for pointer in metadata.read_only:
        for path, value in values_at(declared, _pointer_parts(pointer), ""):
            raise ValidationError(
                type_name=metadata.type_name,
                logical_id=logical_id,
                path=path,
                problem="readOnly: a read-only attribute set by AWS, it cannot be declared",
                value=value,
            )
    schema: Mapping[str, Any] = getattr(cls, "props_schema", None) or {
        "type": "object",
        "required": list(metadata.required),
    }
    for path, problem, value in check(declared, schema, schema, ""):
        raise ValidationError(
            type_name=metadata.type_name,
            logical_id=logical_id,
            path=path or "(properties)",
            problem=problem,
            value=value,
        )
    return declared


def to_json(value: Any) -> Any:
    """Models to dicts (set fields only, CloudFormation names), tuples to lists, recursively."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        value = dump(mode="json", by_alias=True, exclude_unset=True, exclude_none=True)
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


def _pointer_parts(pointer: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.strip("/").split("/")]


def values_at(doc: Any, parts: list[str], path: str) -> Iterator[tuple[str, Any]]:
    """(program path, value) for every value at a metadata path (`*`: every index or key)."""
    if not parts:
        yield path, doc
        return
    head, rest = parts[0], parts[1:]
    if isinstance(doc, dict):
        for key in sorted(doc) if head == "*" else [head] if head in doc else []:
            yield from values_at(doc[key], rest, _key_path(path, key))
    elif isinstance(doc, list) and (head == "*" or head.isdigit()):
        for i, item in enumerate(doc):
            if head == "*" or int(head) == i:
                yield from values_at(item, rest, f"{path}[{i}]")


def _key_path(path: str, key: str) -> str:
    if key.isidentifier():
        return f"{path}.{key}" if path else key
    return f"{path}[{key!r}]"


def _resolve(node: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any] | None:
    ref = node["$ref"]
    if isinstance(ref, str) and ref.startswith("#/definitions/"):
        found = root.get("definitions", {}).get(ref.removeprefix("#/definitions/"))
        return found if isinstance(found, Mapping) else None
    return None  # a reference outside this schema: nothing to check against


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> Any:
    import regex  # ECMA/Java registry patterns: \p{L} and friends that `re` rejects

    try:
        return regex.compile(pattern)
    except (regex.error, ValueError, OverflowError) as exc:
        warnings.warn(
            f"cloudforge cannot check the registry pattern {pattern!r} ({exc}); "
            "values for it are not checked against it",
            stacklevel=4,
        )
        return None


def _type_ok(value: Any, types: Any) -> bool:
    names = [types] if isinstance(types, str) else list(types)
    for name in names:
        accepted = _JSON_TYPES.get(name)
        if accepted is None:
            return True
        if isinstance(value, bool) and name not in ("boolean",):
            continue
        if isinstance(value, float) and name == "integer" and value.is_integer():
            return True
        if isinstance(value, accepted):
            return True
    return False


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def check(
    value: Any, node: Mapping[str, Any], root: Mapping[str, Any], path: str
) -> Iterator[Problem]:
    """Every problem of `value` against schema `node` (refs resolved in `root`), in order."""
    if "$ref" in node:
        target = _resolve(node, root)
        if target is not None:
            yield from check(value, target, root, path)
        return
    if "type" in node and not _type_ok(value, node["type"]):
        expected = node["type"] if isinstance(node["type"], str) else " or ".join(node["type"])
        yield path, f"type: expected {expected}", value
        return
    if "enum" in node and value not in node["enum"]:
        allowed = ", ".join(map(repr, node["enum"][:10])) + (
            ", ..." if len(node["enum"]) > 10 else ""
        )
        yield path, f"enum: must be one of {allowed}", value
    if "const" in node and value != node["const"]:
        yield path, f"const: must be {node['const']!r}", value
    if isinstance(value, str):
        yield from _check_string(value, node, path)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield from _check_number(value, node, path)
    elif isinstance(value, list):
        yield from _check_array(value, node, root, path)
    elif isinstance(value, dict):
        yield from _check_object(value, node, root, path)
    for branch in node.get("allOf", []):
        yield from check(value, branch, root, path)
    for key in ("anyOf", "oneOf"):
        # oneOf is checked as anyOf: registry oneOf branches often overlap, and rejecting a
        # value AWS accepts would block a deploy.
        branches = node.get(key)
        if branches:
            failures = [list(check(value, b, root, path)) for b in branches]
            if all(failures):
                first = min(failures, key=len)[0]
                yield (
                    first[0],
                    f"{key}: matches none of {len(branches)} alternatives ({first[1]})",
                    first[2],
                )


def _check_string(value: str, node: Mapping[str, Any], path: str) -> Iterator[Problem]:
    if "minLength" in node and len(value) < node["minLength"]:
        yield path, f"minLength: shorter than {node['minLength']} characters", value
    if "maxLength" in node and len(value) > node["maxLength"]:
        yield path, f"maxLength: longer than {node['maxLength']} characters", value
    pattern = node.get("pattern")
    if isinstance(pattern, str):
        compiled = _compiled(pattern)
        if compiled is not None and compiled.search(value) is None:
            yield path, f"pattern: does not match {pattern}", value


def _check_number(value: float, node: Mapping[str, Any], path: str) -> Iterator[Problem]:
    if "minimum" in node and value < node["minimum"]:
        yield path, f"minimum: less than {node['minimum']}", value
    if "maximum" in node and value > node["maximum"]:
        yield path, f"maximum: greater than {node['maximum']}", value
    if "exclusiveMinimum" in node and value <= node["exclusiveMinimum"]:
        yield path, f"exclusiveMinimum: not greater than {node['exclusiveMinimum']}", value
    if "exclusiveMaximum" in node and value >= node["exclusiveMaximum"]:
        yield path, f"exclusiveMaximum: not less than {node['exclusiveMaximum']}", value
    step = node.get("multipleOf")
    if step and not math.isclose(value / step, round(value / step)):
        yield path, f"multipleOf: not a multiple of {step}", value


def _check_array(
    value: list[Any], node: Mapping[str, Any], root: Mapping[str, Any], path: str
) -> Iterator[Problem]:
    if "minItems" in node and len(value) < node["minItems"]:
        yield path, f"minItems: fewer than {node['minItems']} items", value
    if "maxItems" in node and len(value) > node["maxItems"]:
        yield path, f"maxItems: more than {node['maxItems']} items ({len(value)} given)", value
    if node.get("uniqueItems"):
        seen: set[str] = set()
        for i, item in enumerate(value):
            key = _canonical(item)
            if key in seen:
                yield f"{path}[{i}]", "uniqueItems: repeats an earlier item", item
            seen.add(key)
    items = node.get("items")
    if isinstance(items, Mapping):
        for i, item in enumerate(value):
            yield from check(item, items, root, f"{path}[{i}]")


def _check_object(
    value: dict[str, Any], node: Mapping[str, Any], root: Mapping[str, Any], path: str
) -> Iterator[Problem]:
    properties: Mapping[str, Any] = node.get("properties", {})
    for name in node.get("required", []):
        if name not in value:
            yield _key_path(path, name), "required: a required property is missing", None
    patterns: Mapping[str, Any] = node.get("patternProperties", {})
    extra = node.get("additionalProperties", True)
    for key in sorted(value):
        sub = _key_path(path, key)
        if key in properties:
            yield from check(value[key], properties[key], root, sub)
            continue
        matched = False
        for pattern, schema in patterns.items():
            compiled = _compiled(pattern)
            if compiled is None or compiled.search(key):
                matched = True
                yield from check(value[key], schema, root, sub)
        if matched:
            continue
        if extra is False:
            yield (
                sub,
                "additionalProperties: unknown property" + _suggest(key, properties),
                value[key],
            )
        elif isinstance(extra, Mapping):
            yield from check(value[key], extra, root, sub)
    for name, needs in node.get("dependencies", {}).items():
        # Draft 7 `dependencies`: when `name` is set, these keys too, or this schema holds.
        if name not in value:
            continue
        if isinstance(needs, list):
            for other in needs:
                if other not in value:
                    problem = f"dependencies: required when {name} is set"
                    yield _key_path(path, other), problem, None
        elif isinstance(needs, Mapping):
            yield from check(value, needs, root, path)
    if "minProperties" in node and len(value) < node["minProperties"]:
        yield path, f"minProperties: fewer than {node['minProperties']} keys", value
    if "maxProperties" in node and len(value) > node["maxProperties"]:
        yield path, f"maxProperties: more than {node['maxProperties']} keys", value


def _suggest(key: str, known: Mapping[str, Any]) -> str:
    by_case = [k for k in known if k.lower() == key.lower()]
    close = by_case or difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; known properties: {', '.join(sorted(known))}" if known else ""
