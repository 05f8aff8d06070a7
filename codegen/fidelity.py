"""Fidelity of a generated class to its registry schema: documents drawn by hypothesis, judged
three ways, and every disagreement reported with the document.

The oracle is Draft 7 with registry patterns run by the `regex` package (ECMA classes such as
\\p{L}, `\\z`), `oneOf` read as `anyOf` (the generator's documented choice: registry branches
overlap), and read-only values and nulls (None means "not declared") removed from each document
before it is judged. For every drawn document:

- the generated validation (`validate_declared`, run by constructing the class) accepts it exactly
  when the oracle does;
- every document the validation accepts, the class's pydantic `props_model` accepts too (the models
  carry the shape only, so they may accept more, never less).

Used by tests/registry/test_fidelity.py (a seeded sample of types, in `make test`) and by
`make check-registry` (every type). Needs hypothesis (a dev dependency): imported only there.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jsonschema
import regex
from cloudforge.errors import ValidationError
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

REF_DEPTH = 3  # recursive definitions are unrolled this deep for drawing documents
NAME_MAPS = ("properties", "definitions", "patternProperties")


# --- the oracle: Draft 7, patterns through `regex` ------------------------------------------


def ecma(pattern: str) -> str:
    """An ECMA/Java pattern for `regex`: `\\z` is spelt `\\Z` there."""
    return str(regex.sub(r"(?<!\\)((?:\\\\)*)\\z", r"\1\\Z", pattern))


def _search(pattern: str, text: str) -> bool:
    return regex.search(ecma(pattern), text) is not None


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    if validator.is_type(instance, "string") and not _search(pattern, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator: Any, patterns: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, sub in patterns.items():
        for key, value in instance.items():
            if _search(pattern, key):
                yield from validator.descend(value, sub, path=key, schema_path=pattern)


def _additional(validator: Any, extra: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    known, patterns = schema.get("properties", {}), schema.get("patternProperties", {})
    others = [k for k in instance if k not in known and not any(_search(p, k) for p in patterns)]
    if extra is False and others:
        yield jsonschema.ValidationError(f"unexpected {others}")
    elif isinstance(extra, dict):
        for key in others:
            yield from validator.descend(instance[key], extra, path=key)


Oracle = jsonschema.validators.extend(
    jsonschema.Draft7Validator,
    {
        "pattern": _pattern,
        "patternProperties": _pattern_properties,
        "additionalProperties": _additional,
    },
)


def _map_keywords(node: Any, fn: Any) -> Any:
    """Apply `fn` to every schema node (names in properties/definitions maps left alone)."""
    if isinstance(node, list):
        return [_map_keywords(v, fn) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in NAME_MAPS and isinstance(value, dict):
            out[key] = {k: _map_keywords(v, fn) for k, v in value.items()}
        elif key in ("enum", "const", "required"):
            out[key] = value
        else:
            out[key] = _map_keywords(value, fn)
    return fn(out)


def _one_of_as_any_of(node: dict[str, Any]) -> dict[str, Any]:
    if "oneOf" in node:
        node = {**node, "anyOf": node["oneOf"]}
        del node["oneOf"]
    return node


def read_only_top(schema: dict[str, Any]) -> set[str]:
    return {p.split("/")[2] for p in schema.get("readOnlyProperties", []) if p.count("/") == 2}


def declared_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The registry schema of what a program declares: read-only top-level properties out."""
    hidden = read_only_top(schema)
    props = {k: v for k, v in schema.get("properties", {}).items() if k not in hidden}
    out: dict[str, Any] = {
        "type": "object",
        "properties": props,
        "required": [r for r in schema.get("required", []) if r in props],
        "additionalProperties": False,
        "definitions": schema.get("definitions", {}),
    }
    if schema.get("patternProperties"):
        out["patternProperties"] = schema["patternProperties"]
    for key in ("allOf", "anyOf", "oneOf"):
        if key in schema:
            out[key] = schema[key]
    declared: dict[str, Any] = _map_keywords(out, _one_of_as_any_of)
    return declared


# --- drawing documents (own strategies: hypothesis-jsonschema does not run on current hypothesis) ---

JSON_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 10**6), st.floats(-1e6, 1e6), st.text(max_size=8)
)
ANY_JSON = st.recursive(
    JSON_LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _inline_refs(node: Any, defs: dict[str, Any], depth: int) -> Any:
    if isinstance(node, list):
        return [_inline_refs(v, defs, depth) for v in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        target = defs.get(ref.removeprefix("#/definitions/"))
        if target is None or depth <= 0:
            return {}
        return _inline_refs(target, defs, depth - 1)
    out = {}
    for key, value in node.items():
        if key in NAME_MAPS and isinstance(value, dict):
            out[key] = {k: _inline_refs(v, defs, depth) for k, v in value.items()}
        elif key in ("enum", "const", "required"):
            out[key] = value
        else:
            out[key] = _inline_refs(value, defs, depth)
    return out


def _types(node: dict[str, Any]) -> list[str]:
    types = node.get("type")
    if isinstance(types, str):
        return [types]
    if isinstance(types, list):
        return types
    if "properties" in node or "patternProperties" in node or "additionalProperties" in node:
        return ["object"]
    if "items" in node:
        return ["array"]
    return []


def _regex_strings(pattern: str) -> st.SearchStrategy[str] | None:
    import re

    try:
        re.compile(pattern)
    except re.error:
        return None  # ECMA-only syntax: draw plain text, the oracle still judges it
    return st.from_regex(pattern)


def strategy(node: Any, loose: bool) -> st.SearchStrategy[Any]:
    """Documents for one schema node; `loose` mixes in arbitrary values and drops required keys,
    so that many draws break some rule somewhere."""
    base = _strict(node, loose)
    if not loose:
        return base
    return st.integers(0, 4).flatmap(lambda i: ANY_JSON if i == 0 else base)


def _strict(node: Any, loose: bool) -> st.SearchStrategy[Any]:
    if not isinstance(node, dict) or not node:
        return ANY_JSON
    if node.get("enum"):
        return st.sampled_from(node["enum"])
    if "const" in node:
        return st.just(node["const"])
    branches = node.get("anyOf") or node.get("oneOf")
    if branches:
        rest = {k: v for k, v in node.items() if k not in ("anyOf", "oneOf")}
        return st.one_of([strategy({**rest, **b}, loose) for b in branches if isinstance(b, dict)])
    types = _types(node)
    if not types:
        return ANY_JSON
    return st.one_of([_typed(t, node, loose) for t in types])


def _typed(kind: str, node: dict[str, Any], loose: bool) -> st.SearchStrategy[Any]:
    if kind == "string":
        lo = node.get("minLength", 0)
        hi = max(lo, min(node.get("maxLength", lo + 12), lo + 12))
        drawn = _regex_strings(node["pattern"]) if isinstance(node.get("pattern"), str) else None
        top = node.get("maxLength", 200)
        if drawn is not None:
            return drawn.filter(lambda s: lo <= len(s) <= top)
        return st.text(min_size=lo, max_size=hi)
    if kind == "integer":
        return st.integers(node.get("minimum", -5), node.get("maximum", 10**6))
    if kind == "number":
        lo, hi = node.get("minimum", -1e6), node.get("maximum", 1e6)
        return st.floats(lo, hi, allow_nan=False) | st.integers(int(lo), int(hi))
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        lo = node.get("minItems", 0)
        hi = max(lo, min(node.get("maxItems", lo + 3), lo + 3))
        return st.lists(strategy(node.get("items", {}), loose), min_size=lo, max_size=hi)
    if kind == "object":
        props: dict[str, Any] = node.get("properties", {})
        required = [r for r in node.get("required", []) if r in props]
        must = {} if loose else {k: strategy(props[k], loose) for k in required}
        maybe = {k: strategy(v, loose) for k, v in props.items() if k not in must}
        fixed = st.fixed_dictionaries(must, optional=maybe)
        extra_values = [strategy(v, loose) for v in (node.get("patternProperties") or {}).values()]
        if isinstance(node.get("additionalProperties"), dict):
            extra_values.append(strategy(node["additionalProperties"], loose))
        if loose or (
            not props and not extra_values and node.get("additionalProperties") is not False
        ):
            extra_values.append(ANY_JSON)  # loose: unknown keys too
        if not extra_values:
            return fixed
        keys = [_regex_strings(p) for p in (node.get("patternProperties") or {})]
        key = st.one_of([k for k in keys if k is not None] + [st.text(min_size=1, max_size=8)])
        extra = st.dictionaries(
            key.filter(lambda k: len(k) < 40), st.one_of(extra_values), max_size=3
        )
        return st.tuples(fixed, extra).map(lambda pair: {**pair[1], **pair[0]})
    return ANY_JSON


def documents(declared: dict[str, Any]) -> st.SearchStrategy[Any]:
    defs = declared.get("definitions", {})
    body = _inline_refs({k: v for k, v in declared.items() if k != "definitions"}, defs, REF_DEPTH)
    # Strict draws are mostly valid, loose ones mostly not: both verdicts get exercised.
    return st.one_of(strategy(body, loose=False), strategy(body, loose=True))


def without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def without_read_only(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    for pointer in schema.get("readOnlyProperties", []):
        parts = pointer.removeprefix("/properties/").split("/")
        _drop(doc, parts)
    return doc


def _drop(node: Any, parts: list[str]) -> None:
    head, rest = parts[0], parts[1:]
    targets: list[Any]
    if isinstance(node, dict):
        if not rest:
            node.pop(head, None) if head != "*" else node.clear()
            return
        targets = list(node.values()) if head == "*" else [node[head]] if head in node else []
    elif isinstance(node, list) and head == "*":
        if not rest:
            return
        targets = list(node)
    else:
        return
    for target in targets:
        _drop(target, rest)


@dataclass
class Verdicts:
    """How many drawn documents the oracle judged valid and invalid (all agreed on)."""

    valid: int = 0
    invalid: int = 0


class Disagreement(AssertionError):
    """The generated class and the registry schema judge a document differently."""


def judge(cls: Any, schema: dict[str, Any], oracle: Any, doc: dict[str, Any]) -> bool:
    """The oracle's verdict on `doc`, after checking that validation and model agree with it;
    Disagreement (naming the document and each verdict) otherwise."""
    type_name = schema.get("typeName", cls.__name__)
    expected = bool(oracle.is_valid(doc))
    try:
        resource = cls("x", **doc)
    except ValidationError as exc:
        if expected:
            raise Disagreement(
                f"{type_name}: the generated validation rejects a document the registry schema "
                f"accepts: {json.dumps(doc)[:600]} ({exc})"
            ) from None
        return expected
    if not expected:
        raise Disagreement(
            f"{type_name}: the generated validation accepts a document the registry schema "
            f"rejects: {json.dumps(doc)[:600]} ({next(iter(oracle.iter_errors(doc)), '')})"
        )
    from pydantic import ValidationError as ModelError

    try:
        cls.props_model.model_validate(resource.declared)
    except ModelError as exc:
        raise Disagreement(
            f"{type_name}: {cls.props_model.__name__} rejects a document the generated validation "
            f"accepts: {json.dumps(resource.declared)[:600]} ({str(exc)[:400]})"
        ) from None
    return expected


def check_type(
    cls: Any, schema: dict[str, Any], examples: int = 120, *, shrink: bool = True
) -> Verdicts:
    """Draw `examples` documents from `schema` (a registry schema) and judge each against `cls`
    (its generated class): the verdicts, or Disagreement for the first disagreement (shrunk to a
    minimal document unless `shrink` is off: on a large schema that can take minutes)."""
    declared = declared_schema(schema)
    oracle = Oracle(declared)
    verdicts = Verdicts()

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        database=None,
        phases=tuple(Phase) if shrink else (Phase.explicit, Phase.reuse, Phase.generate),
    )
    @given(documents(declared))
    def agree(doc: Any) -> None:
        if not isinstance(doc, dict) or "adopt" in doc:
            return
        doc = without_read_only(without_nulls(doc), schema)
        if judge(cls, schema, oracle, doc):
            verdicts.valid += 1
        else:
            verdicts.invalid += 1

    agree()
    return verdicts
