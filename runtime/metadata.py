"""Per-type metadata: everything the generic engine needs to know about one resource type.

The generator emits one `TypeMetadata` constant per type (from the normalized schema); the engine
reads nothing else about the type. Property paths are JSON Pointers into the resource's
properties document, without the schema's `/properties` prefix: `/SecurityProfileName`,
`/Tags/*/Value` (`*` matches every array index or map key). These are the same paths an RFC 6902
patch for UpdateResource uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ReplacementStrategy = Literal["create_then_delete", "delete_then_create"]
Operation = Literal["create", "read", "update", "delete", "list"]

DEFAULT_TIMEOUT_MINUTES = 120


@dataclass(frozen=True, slots=True)
class Tagging:
    """The schema's `tagging` block: whether and how the type takes tags."""

    taggable: bool = True
    tag_on_create: bool = True
    tag_updatable: bool = True
    tag_property: str | None = "/Tags"


@dataclass(frozen=True, slots=True)
class TypeMetadata:
    """What the engine knows of one resource type, from its registry schema (generated)."""

    type_name: str  # "AWS::Connect::SecurityProfile"
    schema_file: str  # "aws-connect-securityprofile.json"
    primary_identifier: tuple[str, ...]  # paths; a composite identifier joins values with "|"
    additional_identifiers: tuple[tuple[str, ...], ...] = ()
    read_only: tuple[str, ...] = ()
    create_only: tuple[str, ...] = ()
    write_only: tuple[str, ...] = ()
    conditional_create_only: tuple[str, ...] = ()
    # Arrays declared `insertionOrder: false`: compared as multisets, never a perpetual diff.
    unordered_arrays: tuple[str, ...] = ()
    required: tuple[str, ...] = ()  # top-level property names the schema requires
    # Property names the list handler's handlerSchema requires in ListResources' ResourceModel.
    list_required: tuple[str, ...] = ()
    tagging: Tagging | None = None
    replacement_strategy: ReplacementStrategy = "create_then_delete"
    # True when the registry schema states the strategy; otherwise the engine deletes first
    # when a replacement would keep the resource's identifying name (see engine/decide.py).
    replacement_strategy_stated: bool = False
    # Handlers the type has, each with its timeoutInMinutes. A type without "update" is
    # replaced on any change; one without "list" cannot be adopted through ListResources.
    handlers: dict[str, int] = field(default_factory=dict)

    def has_handler(self, operation: Operation) -> bool:
        return operation in self.handlers

    def timeout_minutes(self, operation: Operation) -> int:
        return self.handlers.get(operation, DEFAULT_TIMEOUT_MINUTES)

    @property
    def service(self) -> str:
        return self.type_name.split("::")[1].lower()
