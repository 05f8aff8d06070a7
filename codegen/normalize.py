"""Normalize a validated registry schema into the `TypeDescription` every emit stage reads.

Pure functions, no I/O. Object definitions (and objects written inline) become named models;
other definitions are inlined where referenced; class names avoid every property name and every
name the module imports, so fields keep their CloudFormation names. Two derived JSON schemas are
kept as text: one for datamodel-code-generator, one for validation at construction.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from cloudforge.codegen import docs, naming
from cloudforge.codegen.description import (
    Field,
    ObjectModel,
    TaggingDescription,
    TypeDescription,
)
from cloudforge.codegen.pytypes import annotation
from cloudforge.errors import SchemaError
from cloudforge.schemas.loading import schema_file_name
from cloudforge.schemas.patterns import normalize_pattern, pattern_compiles

HANDLER_ORDER = ("create", "read", "update", "delete", "list")
DEFAULT_TIMEOUT = 120

# Keywords datamodel-code-generator sees: the shape only. Constraints (lengths, counts, patterns,
# formats) are checked once, by cloudforge.validation at construction, from the validation schema;
# given to the model generator they turn constrained list items into RootModel classes.
MODEL_KEYWORDS = frozenset(
    {"type", "enum", "const", "properties", "required", "items", "additionalProperties",
     "oneOf", "anyOf", "allOf", "$ref"}
)  # fmt: skip
# Keywords the runtime validator checks.
VALIDATION_KEYWORDS = MODEL_KEYWORDS | {
    "pattern", "patternProperties", "uniqueItems", "multipleOf", "minProperties", "maxProperties",
    "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "minItems", "maxItems", "dependencies",
}  # fmt: skip
_OBJECT_KEYWORDS = frozenset({"properties", "required", "additionalProperties"})
_SHAPE_KEYWORDS = frozenset(
    {"type", "properties", "items", "$ref", "enum", "const", "oneOf", "anyOf", "allOf",
     "additionalProperties", "patternProperties"}
)  # fmt: skip


def strip_properties_prefix(path: str) -> str:
    """`/properties/Tags/*/Key` -> `/Tags/*/Key` (the paths TypeMetadata uses)."""
    return path.removeprefix("/properties") or "/"


def first_sentence(text: Any) -> str:
    if not isinstance(text, str):
        return ""
    text = " ".join(text.split())
    m = re.match(r"(.+?[.!?])(\s|$)", text)
    return (m.group(1) if m else text)[:200]


@dataclass
class _Namer:
    """Assigns model class names and hoists inline objects while the model schema is built."""

    defs: dict[str, Any]
    prefix: str
    taken: set[str]
    def_names: dict[str, str] = field(default_factory=dict)  # schema definition -> class
    models: dict[str, Any] = field(default_factory=dict)  # class -> model-schema node
    sources: dict[str, str] = field(default_factory=dict)  # class -> where it came from
    raw: dict[str, Any] = field(default_factory=dict)  # class -> its registry node (for docs)

    def claim(self, candidates: list[str]) -> str:
        name = naming.unique_class_name(candidates, self.taken | {c + "Dict" for c in self.taken})
        self.taken |= {name, name + "Dict"}
        return name


def _is_object(node: Any) -> bool:
    if not isinstance(node, dict) or not isinstance(node.get("properties"), dict):
        return False
    # cfn-lint puts `properties` on some arrays (DynamoDB KeySchema) to describe their items.
    types = node.get("type", "object")
    return "object" in ([types] if isinstance(types, str) else types)


def _all_property_names(schema: dict[str, Any]) -> set[str]:
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict):
                names.update(props)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk({"properties": schema.get("properties", {})})
    walk(schema.get("definitions", {}))
    return names


def _local_def(ref: Any) -> str | None:
    if isinstance(ref, str) and ref.startswith("#/definitions/"):
        return ref.removeprefix("#/definitions/")
    return None


def _model_node(node: Any, namer: _Namer, owner: str, stack: tuple[str, ...]) -> Any:
    """Rewrite one schema node for the model generator. `owner` names hoisted objects."""
    if not isinstance(node, dict):
        return {}
    if "$ref" in node:
        target = _local_def(node["$ref"])
        if target is None or target not in namer.defs:
            return {}  # a remote or dangling reference: untyped, validation still sees it
        if target in namer.def_names:
            return {"$ref": f"#/definitions/{namer.def_names[target]}"}
        if target in stack:
            return {}  # a non-object definition that refers to itself: untyped
        return _model_node(namer.defs[target], namer, owner, (*stack, target))
    if _is_object(node):
        name = namer.claim([owner, owner + "Object"])
        namer.sources[name] = owner
        namer.raw[name] = node
        namer.models[name] = {}
        namer.models[name] = _object_body(node, namer, name, stack)
        return {"$ref": f"#/definitions/{name}"}
    out: dict[str, Any] = {}
    types = node.get("type")
    for key, value in node.items():
        if key not in MODEL_KEYWORDS:
            continue
        if key == "items" and types is not None and "array" not in types:
            continue  # `items` on a non-array (it happens): meaningless for the shape
        if key in _OBJECT_KEYWORDS and types is not None and "object" not in types:
            continue  # object keywords on a non-object (cfn-lint's arrays): the same
        if key == "items":
            out[key] = _model_node(value, namer, owner + "Item", stack)
        elif key == "additionalProperties":
            out[key] = (
                _model_node(value, namer, owner + "Value", stack)
                if isinstance(value, dict)
                else value
            )
        elif key in ("oneOf", "anyOf", "allOf"):
            shaped = [b for b in value if isinstance(b, dict) and _SHAPE_KEYWORDS & set(b)]
            if shaped:
                out[key] = [
                    _model_node(
                        b, namer, f"{owner}Option{i + 1}" if len(shaped) > 1 else owner, stack
                    )
                    for i, b in enumerate(shaped)
                ]
        elif key == "type" and isinstance(value, list):
            out[key] = sorted(set(value), key=value.index)
        else:
            out[key] = value
    maps = node.get("patternProperties")
    if isinstance(maps, dict) and maps and out.get("additionalProperties") is not True:
        # A map keyed by pattern: the key patterns are checked at validation, the models type
        # it as dict[str, value]. `additionalProperties: false` beside it only closes the map
        # to keys matching no pattern (a check of keys, left to validation): the map is open
        # to the model, whose values are those of any pattern (or of additionalProperties).
        values = [_model_node(v, namer, owner + "Value", stack) for v in maps.values()]
        extra = out.get("additionalProperties")
        if isinstance(extra, dict):
            values.append(extra)
        out["additionalProperties"] = values[0] if len(values) == 1 else {"anyOf": values}
        out.setdefault("type", "object")
    return out


def _object_body(node: dict[str, Any], namer: _Namer, name: str, stack: tuple[str, ...]) -> Any:
    props = {
        key: _described(_model_node(value, namer, name + naming.pascal(key), stack), value, namer)
        for key, value in node["properties"].items()
    }
    body: dict[str, Any] = {"type": "object", "properties": props}
    if docs.clean(node.get("description")):
        body["description"] = docs.clean(node["description"])
    required = [r for r in node.get("required", []) if r in props]
    if required:
        body["required"] = required
    if node.get("patternProperties"):
        # Named properties and keys matching a pattern: the model takes the extra keys as they
        # come, validation checks their names and values.
        body["additionalProperties"] = True
    elif node.get("additionalProperties") is False:
        body["additionalProperties"] = False
    return body


def _described(shape: Any, raw: Any, namer: _Namer) -> Any:
    """A model-schema property node with the field's documentation as its `description`."""
    doc = docs.field_doc(raw, namer.defs, annotation(shape, "output"))
    return {**shape, "description": doc} if doc else shape


def _validation_node(node: Any, bad_patterns: set[str]) -> Any:
    if isinstance(node, list):
        return [_validation_node(v, bad_patterns) for v in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return {"$ref": node["$ref"]}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key not in VALIDATION_KEYWORDS:
            continue
        if key == "pattern":
            if not isinstance(value, str) or value == "":
                continue  # an empty pattern matches everything: nothing is lost
            value = normalize_pattern(value)
            if not pattern_compiles(value):
                bad_patterns.add(value)
        elif key in ("properties", "dependencies"):
            # Names -> schemas (a `dependencies` entry may also be a list of names: kept).
            value = {k: _validation_node(v, bad_patterns) for k, v in value.items()}
        elif key == "patternProperties":
            value = {
                normalize_pattern(k): _validation_node(v, bad_patterns) for k, v in value.items()
            }
            for k in value:
                if not pattern_compiles(k):
                    bad_patterns.add(k)
        else:
            value = _validation_node(value, bad_patterns)
        out[key] = value
    return out


def _unordered_arrays(schema: dict[str, Any]) -> list[str]:
    defs = schema.get("definitions", {})
    found: list[str] = []

    def walk(node: Any, path: str, stack: tuple[str, ...]) -> None:
        if not isinstance(node, dict):
            return
        target = _local_def(node.get("$ref"))
        if target is not None:
            if target in defs and target not in stack:
                walk(defs[target], path, (*stack, target))
            return
        if node.get("insertionOrder") is False and ("items" in node or node.get("type") == "array"):
            found.append(path)
        if "items" in node:
            walk(node["items"], path + "/*", stack)
        for key, value in (node.get("properties") or {}).items():
            walk(value, f"{path}/{key}", stack)
        for value in (node.get("patternProperties") or {}).values():
            walk(value, path + "/*", stack)
        for key in ("oneOf", "anyOf", "allOf"):
            for branch in node.get(key, []):
                walk(branch, path, stack)

    for key, value in schema.get("properties", {}).items():
        walk(value, "/" + key, ())
    return sorted(dict.fromkeys(found))


def _paths(schema: dict[str, Any], key: str) -> tuple[str, ...]:
    return tuple(strip_properties_prefix(p) for p in schema.get(key, []))


def _handlers(schema: dict[str, Any]) -> tuple[tuple[str, int], ...]:
    handlers = schema.get("handlers") or {}
    return tuple(
        (op, int(handlers[op].get("timeoutInMinutes", DEFAULT_TIMEOUT)))
        for op in HANDLER_ORDER
        if isinstance(handlers.get(op), dict)
    )


def _tagging(schema: dict[str, Any]) -> TaggingDescription | None:
    tagging = schema.get("tagging")
    if not isinstance(tagging, dict):
        return None
    prop = tagging.get("tagProperty", "/properties/Tags" if tagging.get("taggable", True) else None)
    return TaggingDescription(
        taggable=bool(tagging.get("taggable", True)),
        tag_on_create=bool(tagging.get("tagOnCreate", True)),
        tag_updatable=bool(tagging.get("tagUpdatable", True)),
        tag_property=strip_properties_prefix(prop) if isinstance(prop, str) else None,
    )


def _fields(
    body: dict[str, Any],
    names: Iterator[str] | list[str],
    top_level: bool = False,
) -> tuple[Field, ...]:
    """The fields of a model-schema object body (whose property nodes carry their docs)."""
    props, required = body.get("properties", {}), set(body.get("required", []))
    return tuple(
        Field(
            name=name,
            input_type=annotation(props[name], "input"),
            output_type=annotation(props[name], "output"),
            required=name in required,
            is_identifier=naming.is_member_name(name) if top_level else naming.is_identifier(name),
            doc=props[name].get("description", ""),
        )
        for name in names
    )


def _lifecycle_docs(body: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The top-level body with create-only / write-only facts added to its fields' docs."""
    flags = {
        key: {p.split("/")[1] for p in _paths(schema, key) if p.count("/") == 1}
        for key in (
            "createOnlyProperties",
            "conditionalCreateOnlyProperties",
            "writeOnlyProperties",
        )
    }
    props = {}
    for name, node in body.get("properties", {}).items():
        raw = schema["properties"][name]
        doc = docs.field_doc(
            raw,
            schema.get("definitions", {}),
            annotation(node, "output"),
            create_only=name in flags["createOnlyProperties"],
            conditional_create_only=name in flags["conditionalCreateOnlyProperties"],
            write_only=name in flags["writeOnlyProperties"],
        )
        props[name] = {**node, "description": doc}
    return {**body, "properties": props}


def describe(schema: dict[str, Any], schema_file: str | None = None) -> TypeDescription:
    """The description of one validated registry schema."""
    type_name = schema.get("typeName", "")
    parts = type_name.split("::")
    if len(parts) != 3:
        raise SchemaError(
            source=type_name or "schema", problem="typeName is not Org::Service::Type"
        )
    class_name = naming.pascal(parts[2])
    properties: dict[str, Any] = schema.get("properties", {})
    defs: dict[str, Any] = schema.get("definitions", {})
    read_only = _paths(schema, "readOnlyProperties")
    read_only_top = {p.split("/")[1] for p in read_only if p.count("/") == 1}

    namer = _Namer(
        defs=defs,
        prefix=class_name,
        taken={class_name} | _all_property_names(schema),
    )
    namer.taken |= {class_name + "Props", class_name + "Attributes"}
    props_class, attributes_class = class_name + "Props", class_name + "Attributes"
    for name in sorted(defs):
        if _is_object(defs[name]):
            base = naming.pascal(name)
            namer.def_names[name] = namer.claim([base, class_name + base, base + "Object"])
    for name, cls in sorted(namer.def_names.items(), key=lambda kv: kv[1]):
        namer.sources[cls] = f"#/definitions/{name}"
        namer.raw[cls] = defs[name]
        namer.models[cls] = _object_body(defs[name], namer, cls, (name,))

    required = tuple(r for r in schema.get("required", []) if r in properties)
    declared_names = [k for k in properties if k not in read_only_top]
    attribute_names = [k for k in properties if k in read_only_top]
    props_body = _lifecycle_docs(
        _object_body(
            {
                "properties": {k: properties[k] for k in declared_names},
                "required": [r for r in required if r not in read_only_top],
                "additionalProperties": not schema.get("patternProperties"),
                "description": f"The properties a program declares for a {type_name}.",
            },
            namer,
            class_name,
            ("<root>",),
        ),
        schema,
    )
    attributes_body = _lifecycle_docs(
        _object_body(
            {
                "properties": {k: properties[k] for k in attribute_names},
                "description": f"The read-only attributes of a {type_name}, set by AWS.",
            },
            namer,
            class_name,
            ("<root>",),
        ),
        schema,
    )
    model_defs = {name: namer.models[name] for name in sorted(namer.models)}
    model_defs[attributes_class] = attributes_body
    model_schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": props_class,
        **props_body,
        "definitions": model_defs,
    }
    models = tuple(
        ObjectModel(
            name=name,
            source=namer.sources[name],
            fields=_fields(body, list(body.get("properties", {}))),
            doc=docs.clean(namer.raw.get(name, {}).get("description")),
        )
        for name, body in sorted(namer.models.items())
    )

    bad_patterns: set[str] = set()
    validation = {
        "properties": {k: _validation_node(v, bad_patterns) for k, v in properties.items()},
        "required": list(required),
        "additionalProperties": False,
        "definitions": {k: _validation_node(v, bad_patterns) for k, v in defs.items()},
    }
    for key in ("oneOf", "anyOf", "allOf"):
        if schema.get(key):
            validation[key] = _validation_node(schema[key], bad_patterns)
    open_props = schema.get("patternProperties")
    if isinstance(open_props, dict) and open_props:
        # Properties beyond the named ones (custom resources): keys and values still checked.
        validation.update(_validation_node({"patternProperties": open_props}, bad_patterns))
    list_schema = ((schema.get("handlers") or {}).get("list") or {}).get("handlerSchema") or {}
    strategy = schema.get("replacementStrategy", "create_then_delete")
    return TypeDescription(
        type_name=type_name,
        schema_file=schema_file or schema_file_name(type_name),
        service=naming.package_name(parts[1]),
        module=naming.snake(parts[2]),
        class_name=class_name,
        props_class=props_class,
        attributes_class=attributes_class,
        doc=" ".join(str(schema.get("description", type_name)).split()),
        props=_fields(props_body, declared_names, top_level=True),
        attributes=_fields(attributes_body, attribute_names, top_level=True),
        models=models,
        read_only=read_only,
        create_only=_paths(schema, "createOnlyProperties"),
        write_only=_paths(schema, "writeOnlyProperties"),
        conditional_create_only=_paths(schema, "conditionalCreateOnlyProperties"),
        primary_identifier=_paths(schema, "primaryIdentifier"),
        additional_identifiers=tuple(
            tuple(strip_properties_prefix(p) for p in ident)
            for ident in schema.get("additionalIdentifiers", [])
        ),
        required=required,
        list_required=tuple(list_schema.get("required", [])),
        unordered_arrays=tuple(_unordered_arrays(schema)),
        tagging=_tagging(schema),
        replacement_strategy=strategy
        if strategy in ("create_then_delete", "delete_then_create")
        else "create_then_delete",
        replacement_strategy_stated=schema.get("replacementStrategy")
        in ("create_then_delete", "delete_then_create"),
        handlers=_handlers(schema),
        model_schema=json.dumps(model_schema, sort_keys=False, indent=1),
        validation_schema=json.dumps(validation, sort_keys=True),
        unsupported_patterns=tuple(sorted(bad_patterns)),
        open_properties=bool(isinstance(open_props, dict) and open_props),
    )
