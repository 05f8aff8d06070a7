"""The intermediate description of one resource type: what every emit stage reads.

`normalize.describe()` builds it from a validated registry schema; the templates and the model
generator read only this (never the raw JSON), so every naming and typing decision lives in one
place. Frozen and made of tuples and strings, so two runs over one schema compare equal.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Field:
    """One property of the resource or of a nested object, as Python sees it."""

    name: str  # the CloudFormation name, used verbatim as the field / keyword name
    input_type: str  # annotation accepting models or plain dicts: `list[Tag | TagDict]`
    output_type: str  # annotation of the JSON value AWS returns: `list[TagDict]`
    required: bool
    is_identifier: bool  # usable as a Python keyword argument (not a keyword, valid identifier)
    # The schema's description (or what the schema allows, without one), and at the top level
    # whether it is create-only or write-only: for docstrings and the model's Field(description).
    doc: str


@dataclass(frozen=True, slots=True)
class ObjectModel:
    """A named object definition: one pydantic model and one TypedDict (`<name>Dict`)."""

    name: str  # Python class name, unique in the module
    source: str  # the definition name in the schema, or the path it was hoisted from
    fields: tuple[Field, ...]
    doc: str = ""  # the definition's description, when it has one


@dataclass(frozen=True, slots=True)
class TaggingDescription:
    taggable: bool
    tag_on_create: bool
    tag_updatable: bool
    tag_property: str | None  # path without /properties


@dataclass(frozen=True, slots=True)
class TypeDescription:
    type_name: str  # AWS::Connect::SecurityProfile
    schema_file: str  # aws-connect-securityprofile.json
    service: str  # package name under cloudforge.aws: "connect"
    module: str  # module name in that package: "security_profile"
    class_name: str  # SecurityProfile
    props_class: str  # SecurityProfileProps (pydantic, the declared properties)
    attributes_class: str  # SecurityProfileAttributes (pydantic, the read-only ones)
    doc: str  # the schema's description
    props: tuple[Field, ...]  # every top-level property that is not read-only
    attributes: tuple[Field, ...]  # the read-only top-level properties
    models: tuple[ObjectModel, ...]  # named object definitions, sorted by name
    # Paths are JSON Pointers without the /properties prefix (`/Tags/*/Key`).
    read_only: tuple[str, ...]
    create_only: tuple[str, ...]
    write_only: tuple[str, ...]
    conditional_create_only: tuple[str, ...]
    primary_identifier: tuple[str, ...]
    additional_identifiers: tuple[tuple[str, ...], ...]
    required: tuple[str, ...]
    list_required: tuple[str, ...]
    unordered_arrays: tuple[str, ...]
    tagging: TaggingDescription | None
    replacement_strategy: str
    handlers: tuple[tuple[str, int], ...]  # (operation, timeoutInMinutes), schema order
    # JSON Schema (draft-07 subset) handed to datamodel-code-generator: object definitions
    # renamed to the `models` names, inline objects hoisted, patterns and formats removed.
    model_schema: str
    # Validation rules the runtime checks at construction (normalized patterns kept), JSON text.
    validation_schema: str
    unsupported_patterns: tuple[str, ...]  # patterns the `regex` package cannot compile
    # Properties beyond the named ones are accepted (top-level patternProperties: custom resources).
    open_properties: bool = False
    # Whether the schema says which (about 100 do): the runtime follows a stated strategy, and
    # otherwise deletes first when a replacement keeps the resource's name.
    replacement_strategy_stated: bool = False
