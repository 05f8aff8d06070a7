"""The documentation text of generated fields: the schema's description, plus what the schema
says about the field where it gives none (its allowed values, pattern, lengths, counts), and the
lifecycle facts a user must know at the top level (create-only, write-only).

Pure functions over the raw registry schema nodes; the text is plain (no markup) because it ends
up in docstrings, TypedDict field docstrings and pydantic `Field(description=...)` alike.
"""

from __future__ import annotations

from typing import Any

MAX_VALUES = 12  # allowed values listed in full up to this many


def clean(text: Any) -> str:
    """A description on one line (registry descriptions carry hard line breaks and indents)."""
    return " ".join(text.split()) if isinstance(text, str) else ""


def _resolve(node: Any, defs: dict[str, Any]) -> dict[str, Any]:
    """The node, or the non-object definition it references (object definitions are classes,
    documented where they are defined)."""
    seen: set[str] = set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        name = node["$ref"].removeprefix("#/definitions/")
        target = defs.get(name)
        if name in seen or not isinstance(target, dict) or "properties" in target:
            return node
        seen.add(name)
        node = target
    return node if isinstance(node, dict) else {}


def _referenced(node: Any, defs: dict[str, Any]) -> dict[str, Any]:
    """The definition a `$ref` node points at; {} for anything else."""
    ref = node.get("$ref") if isinstance(node, dict) else None
    target = defs.get(ref.removeprefix("#/definitions/")) if isinstance(ref, str) else None
    return target if isinstance(target, dict) else {}


def _range(lo: Any, hi: Any, unit: str) -> str:
    if lo is not None and hi is not None:
        return f"{lo} to {hi} {unit}" if lo != hi else f"exactly {lo} {unit}"
    if lo is not None:
        return f"at least {lo} {unit}"
    return f"at most {hi} {unit}"


def constraints(node: Any, defs: dict[str, Any], depth: int = 0) -> list[str]:
    """What the schema node allows, as short sentences: values, pattern, lengths, counts."""
    node = _resolve(node, defs)
    facts: list[str] = []
    values = node.get("enum")
    if isinstance(values, list) and values:
        shown = ", ".join(repr(v) for v in values[:MAX_VALUES])
        more = f" (and {len(values) - MAX_VALUES} more)" if len(values) > MAX_VALUES else ""
        facts.append(f"Allowed values: {shown}{more}.")
    elif "const" in node:
        facts.append(f"Always {node['const']!r}.")
    if isinstance(node.get("pattern"), str) and node["pattern"]:
        facts.append(f"Pattern: {node['pattern']}")
    if node.get("minLength") is not None or node.get("maxLength") is not None:
        facts.append(
            "Length: " + _range(node.get("minLength"), node.get("maxLength"), "characters.")
        )
    if node.get("minimum") is not None or node.get("maximum") is not None:
        facts.append("Range: " + _range(node.get("minimum"), node.get("maximum"), "(inclusive)."))
    if node.get("minItems") is not None or node.get("maxItems") is not None:
        facts.append("Items: " + _range(node.get("minItems"), node.get("maxItems"), "items."))
    if node.get("uniqueItems") is True:
        facts.append("Items are unique.")
    items = node.get("items")
    if isinstance(items, dict) and depth == 0:
        inner = constraints(items, defs, depth + 1)
        if inner:
            facts.append("Each item: " + " ".join(inner))
    return facts


def field_doc(
    node: Any,
    defs: dict[str, Any],
    annotation: str,
    *,
    create_only: bool = False,
    conditional_create_only: bool = False,
    write_only: bool = False,
) -> str:
    """The documentation of one field: its description (or, without one, its constraints, or
    at least its type), then the lifecycle facts."""
    text = clean(node.get("description")) if isinstance(node, dict) else ""
    if not text:
        # A property that only references a definition: the definition's own description.
        text = clean(_referenced(node, defs).get("description"))
    parts = [text] if text else constraints(node, defs) or [f"Type: {annotation}."]
    if create_only:
        parts.append("Create-only: changing it replaces the resource.")
    elif conditional_create_only:
        parts.append("Conditionally create-only: some changes replace the resource.")
    if write_only:
        parts.append("Write-only: sent to AWS, never read back.")
    return " ".join(parts)
