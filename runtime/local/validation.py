"""Validation of resource models against registry schemas, worded as Cloud Control words it.

AWS validates with everit json-schema, so its messages read "#/BucketName: expected type: String,
found: Boolean"; we validate with jsonschema and translate. Registry patterns are ECMA/Java
regexes, so `pattern` and `patternProperties` go through the `regex` package.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import Any

import jsonschema
import regex
from cloudforge.schemas.loading import load_schema
from cloudforge.schemas.patterns import normalize_pattern
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError as SchemaViolation

_JSON_TYPES = {
    str: "String",
    bool: "Boolean",
    int: "Integer",
    float: "Number",
    list: "JSONArray",
    dict: "JSONObject",
    type(None): "Null",
}


def json_type(value: Any) -> str:
    """The name Cloud Control's messages give the JSON type of a decoded value."""
    return _JSON_TYPES.get(type(value), "Unknown")


_SCHEMA_TYPES = {
    "string": "String",
    "boolean": "Boolean",
    "integer": "Integer",
    "number": "Number",
    "array": "JSONArray",
    "object": "JSONObject",
    "null": "Null",
}


@cache
def compile_pattern(pattern: str) -> Any:
    """The compiled ECMA/Java pattern, or None when not even `regex` can compile it (translated
    as the generator translates it for the generated validation)."""
    try:
        return regex.compile(normalize_pattern(pattern))
    except regex.error:
        return None


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[SchemaViolation]:
    if not isinstance(instance, str):
        return
    compiled = compile_pattern(pattern)
    if compiled is not None and compiled.search(instance) is None:
        yield SchemaViolation(f"string [{instance}] does not match pattern {pattern}")


def _pattern_properties(
    validator: Any, patterns: dict[str, Any], instance: Any, schema: Any
) -> Iterator[SchemaViolation]:
    if not isinstance(instance, dict):
        return
    for pattern, subschema in patterns.items():
        compiled = compile_pattern(pattern)
        for key, value in instance.items():
            if compiled is not None and compiled.search(key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(
    validator: Any, allowed: Any, instance: Any, schema: Any
) -> Iterator[SchemaViolation]:
    if not isinstance(instance, dict):
        return
    declared = set(schema.get("properties", {}))
    patterns = [compile_pattern(p) for p in schema.get("patternProperties", {})]
    extras = [
        k for k in instance
        if k not in declared and not any(c is not None and c.search(k) for c in patterns)
    ]
    if allowed is False:
        for key in extras:
            yield SchemaViolation(f"extraneous key [{key}] is not permitted")
    elif isinstance(allowed, dict):
        for key in extras:
            yield from validator.descend(instance[key], allowed, path=key)


RegistryValidator = jsonschema.validators.extend(
    Draft7Validator,
    {
        "pattern": _pattern,
        "patternProperties": _pattern_properties,
        "additionalProperties": _additional_properties,
        # Registry `format`s are informal (`AWS::S3::Bucket.Name`); AWS does not enforce them here.
        "format": lambda *_: iter(()),
    },
)


def _pointer(error: SchemaViolation) -> str:
    return "#" + "".join(f"/{p}" for p in error.absolute_path)


def describe(error: SchemaViolation) -> str:
    """One violation in everit's words: `#/Path: what is wrong`."""
    where = _pointer(error)
    keyword = error.validator
    value = error.validator_value
    instance = error.instance
    if keyword == "type":
        wanted = value if isinstance(value, list) else [value]
        expected = ", ".join(_SCHEMA_TYPES.get(str(t), str(t)) for t in wanted)
        return f"{where}: expected type: {expected}, found: {json_type(instance)}"
    if keyword == "required":
        missing = next((k for k in value if isinstance(instance, dict) and k not in instance), value)
        return f"{where}: required key [{missing}] not found"
    if keyword == "maxLength":
        return f"{where}: expected maxLength: {value}, actual: {len(instance)}"
    if keyword == "minLength":
        return f"{where}: expected minLength: {value}, actual: {len(instance)}"
    if keyword == "maxItems":
        return f"{where}: expected maximum item count: {value}, found: {len(instance)}"
    if keyword == "minItems":
        return f"{where}: expected minimum item count: {value}, found: {len(instance)}"
    if keyword == "enum":
        return f"{where}: {json.dumps(instance)} is not a valid enum value"
    if keyword == "uniqueItems":
        return f"{where}: array items are not unique"
    if keyword == "maximum":
        return f"{where}: {instance} is not less or equal to {value}"
    if keyword == "minimum":
        return f"{where}: {instance} is not greater or equal to {value}"
    return f"{where}: {error.message}"


@cache
def validator_for(type_name: str) -> Any:
    """A validator for the type's full resource model (the schema as the registry wrote it)."""
    return RegistryValidator(load_schema(type_name))


def _order(error: SchemaViolation) -> tuple[int, str]:
    return (len(error.absolute_path), _pointer(error))


def violations(type_name: str, model: dict[str, Any], *, ignore_required: frozenset[str] = frozenset()) -> list[str]:
    """Every violation of the schema by `model`, shallowest first, in AWS's words."""
    found = []
    for error in validator_for(type_name).iter_errors(model):
        if error.validator == "required" and not error.absolute_path:
            missing = [k for k in error.validator_value if k not in model and k not in ignore_required]
            if not missing:
                continue
            found.append((0, "#", f"#: required key [{missing[0]}] not found"))
            continue
        found.append((*_order(error), describe(error)))
    # everit checks a value's type before anything else and stops there, so a wrong type hides the
    # other complaints about the same value.
    mistyped = {where for _, where, text in found if ": expected type: " in text}
    found = [f for f in found if f[1] not in mistyped or ": expected type: " in f[2]]
    found.sort(key=lambda f: (f[0], f[1]))
    return [text for _, _, text in found]


def property_violations(type_name: str, name: str, value: Any) -> list[str]:
    """Violations of the schema by one property's value alone (other required keys excused)."""
    required = frozenset(load_schema(type_name).get("required", []))
    return violations(type_name, {name: value}, ignore_required=required)


def model_validation_message(problems: list[str]) -> str:
    if len(problems) == 1:
        return f"Model validation failed ({problems[0]})"
    return f"Model validation failed (#: {len(problems)} schema violations found: " + "; ".join(problems) + ")"
