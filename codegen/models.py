"""Pydantic models for a type's object definitions, through datamodel-code-generator.

Its configuration is data (`MODEL_CONFIG`), it runs in-process on the description's model
schema, and its output is trimmed to the class bodies: the enclosing module's header and imports
come from our template, so a run never carries a timestamp or a tool version.
"""

from __future__ import annotations

import re
from typing import Any

from cloudforge.codegen.description import TypeDescription

# Options (datamodel-code-generator GenerateConfig field -> value). Enums as Literal (no enum
# classes to name), Annotated constraints, no timestamps, plain lists for uniqueItems (their
# items are often objects, which are not hashable), models closed like the registry objects.
MODEL_CONFIG: dict[str, Any] = {
    "enum_field_as_literal": "all",
    "use_annotated": True,
    "field_constraints": True,
    "disable_timestamp": True,
    "use_unique_items_as_set": False,
    "use_standard_collections": True,
    "use_union_operator": True,
    # Object descriptions as class docstrings; field docs go to Field(description=...).
    "use_schema_description": True,
    "use_double_quotes": True,
    "collapse_root_models": True,
    "target_python_version": "3.11",
    "output_model_type": "pydantic_v2.BaseModel",
    "input_file_type": "jsonschema",
    "formatters": [],
    # Builds each model's schema on first use instead of at import (see generated/aws/_base.py).
    "base_class": "cloudforge.aws._base.DeferredModel",
}

_IMPORT = re.compile(r"^(from \S+ import .+|import \S+)$")


def _config() -> Any:
    from datamodel_code_generator.config import GenerateConfig

    return GenerateConfig.model_validate(MODEL_CONFIG)


def model_source(description: TypeDescription) -> tuple[str, list[str]]:
    """(class definitions, the import lines they need) for the description's models."""
    from datamodel_code_generator import generate

    out = generate(description.model_schema, config=_config())
    if not isinstance(out, str):
        raise TypeError("datamodel-code-generator returned several modules for one schema")
    imports: list[str] = []
    body: list[str] = []
    for line in out.splitlines():
        if line.startswith("#"):
            continue
        if _IMPORT.match(line) and not body:
            if "__future__" not in line:
                imports.append(line)
            continue
        if line.strip() or body:
            body.append(line)
    return "\n".join(body).strip() + "\n", imports
