"""Python type annotations (as source text) for the JSON-schema nodes of a model schema.

Reads nodes of the model schema that `normalize` builds (object definitions already named and
referenced by `$ref`), and spells the annotation a user writes: the input form accepts a model or
a plain dict (`Tag | TagDict`), the output form is the JSON value AWS returns (`TagDict`).
"""

from __future__ import annotations

from typing import Any, Literal

Mode = Literal["input", "output"]

_SCALARS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}


def ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def union(parts: list[str]) -> str:
    seen: list[str] = []
    for p in parts:
        for q in _split_top(p):
            if q not in seen:
                seen.append(q)
    if not seen or "Any" in seen:
        return "Any"
    return " | ".join(seen)


def _split_top(expr: str) -> list[str]:
    """Split `A | list[B | C] | D` on its top-level bars only."""
    out, depth, cur = [], 0, ""
    for ch in expr:
        depth += ch == "["
        depth -= ch == "]"
        if ch == "|" and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    out.append(cur.strip())
    return [o for o in out if o]


def _literal(values: list[Any]) -> str | None:
    if not values or not all(isinstance(v, str | int) and not isinstance(v, float) for v in values):
        return None
    return "Literal[" + ", ".join(repr(v) for v in values) + "]"


def annotation(node: Any, mode: Mode) -> str:
    """The annotation for one schema node; `Any` where the schema does not say."""
    if not isinstance(node, dict):
        return "Any"
    if "$ref" in node:
        name = ref_name(node["$ref"])
        return f"{name} | {name}Dict" if mode == "input" else f"{name}Dict"
    if "enum" in node:
        lit = _literal(list(node["enum"]))
        if lit:
            return lit
    if "const" in node:
        lit = _literal([node["const"]])
        if lit:
            return lit
    parts: list[str] = []
    types = node.get("type")
    if types is None:
        types = (
            ["object"]
            if "properties" in node or "additionalProperties" in node
            else ["array"]
            if "items" in node
            else []
        )
    for t in [types] if isinstance(types, str) else list(types):
        if t in _SCALARS:
            parts.append(_SCALARS[t])
        elif t == "array":
            parts.append(f"list[{annotation(node.get('items'), mode)}]")
        elif t == "object":
            extra = node.get("additionalProperties")
            value = annotation(extra, mode) if isinstance(extra, dict) else "Any"
            parts.append(f"dict[str, {value}]")
        else:
            parts.append("Any")
    for key in ("oneOf", "anyOf"):
        branches = [annotation(b, mode) for b in node.get(key, [])]
        if branches and not parts:
            parts.extend(branches)
    if not parts and node.get("allOf"):
        shaped = [b for b in node["allOf"] if isinstance(b, dict) and len(b) > 0]
        if len(shaped) == 1:
            parts.append(annotation(shaped[0], mode))
    return union(parts)
