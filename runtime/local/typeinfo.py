"""What the emulator needs to know about a resource type, read once from its registry schema.

Paths are top-level property names where the schema's paths are `/properties/<Name>`; nested
paths (`/properties/A/B`) are kept as tuples for the few places that walk into the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any

from cloudforge.errors import SchemaError
from cloudforge.local.protocol import ApiError, type_not_found
from cloudforge.schemas.loading import load_schema

TYPE_NAME = re.compile(r"^[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}$")


def _paths(schema: dict[str, Any], key: str) -> list[tuple[str, ...]]:
    return [tuple(p.split("/")[2:]) for p in schema.get(key, []) if p.startswith("/properties/")]


@dataclass(frozen=True)
class TypeInfo:
    type_name: str
    schema: dict[str, Any] = field(repr=False)
    primary_identifier: tuple[str, ...]
    read_only: tuple[tuple[str, ...], ...]
    create_only: tuple[tuple[str, ...], ...]
    write_only: tuple[tuple[str, ...], ...]
    handlers: frozenset[str]
    list_required: tuple[str, ...]
    additional_identifiers: tuple[tuple[str, ...], ...] = ()

    @property
    def service(self) -> str:
        return self.type_name.split("::")[1].lower()

    @property
    def resource(self) -> str:
        return self.type_name.split("::")[2]

    @cached_property  # read once per key in the create/update paths' comprehensions
    def read_only_top(self) -> frozenset[str]:
        return frozenset(p[0] for p in self.read_only if len(p) == 1)

    def identifier_of(self, model: dict[str, Any]) -> str | None:
        """The primary identifier: values in schema order joined by `|`, None if one is missing."""
        values = [model.get(name) for name in self.primary_identifier]
        if any(v is None or v == "" for v in values):
            return None
        return "|".join(str(v) for v in values)


def type_info(type_name: Any) -> TypeInfo:
    """The type's TypeInfo; TypeNotFoundException (or ValidationException for a malformed name)."""
    if not isinstance(type_name, str) or not TYPE_NAME.match(type_name):
        raise ApiError(
            "ValidationException",
            f"1 validation error detected: Value '{type_name}' at 'typeName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}",
        )
    info = _load(type_name)
    if info is None:
        raise type_not_found(type_name)
    return info


@cache
def _load(type_name: str) -> TypeInfo | None:
    try:
        schema = load_schema(type_name)
    except SchemaError:
        return None
    if schema.get("typeName") != type_name:
        return None
    handlers = schema.get("handlers", {})
    list_schema = handlers.get("list", {}).get("handlerSchema", {})
    return TypeInfo(
        type_name=type_name,
        schema=schema,
        primary_identifier=tuple(p.split("/")[-1] for p in schema.get("primaryIdentifier", [])),
        read_only=tuple(_paths(schema, "readOnlyProperties")),
        create_only=tuple(_paths(schema, "createOnlyProperties")),
        write_only=tuple(_paths(schema, "writeOnlyProperties")),
        handlers=frozenset(handlers),
        list_required=tuple(list_schema.get("required", [])),
        additional_identifiers=tuple(
            tuple(p.split("/")[-1] for p in group) for group in schema.get("additionalIdentifiers", [])
        ),
    )
