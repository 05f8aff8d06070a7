"""Validation of declared properties at construction, before any call is made.

`validate_declared` checks a resource's keyword arguments against the validation rules its
generated class carries (`props_schema`, a JSON-schema subset taken from the registry schema):
JSON values only (no datetime, bytes, set, NaN or infinity, nesting at most `MAX_DEPTH` deep),
types, enums, lengths, item counts, uniqueness, patterns, required and unknown properties, and
read-only attributes given as input. Every problem is collected and raised at once as one
`cloudforge.errors.ValidationError` (as pydantic does), unknown properties first, each naming
its property path (`AllowedAccessControlTags[0].Key`). A value at or inside a write-only path
(a password) is shown as `(write-only value)`, never as itself.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from cloudforge.errors import ValidationError

if TYPE_CHECKING:
    from cloudforge.resource import Resource

Path = tuple[str | int, ...]  # property names and array indexes, from the top level down
Problem = tuple[Path, str, Any]  # (path, problem, value)

WRITE_ONLY = "(write-only value)"
# Deeper values are refused: no registry type nests this deep, and walking them would end in a
# RecursionError instead of a message.
MAX_DEPTH = 100
# The longest value representation a message shows; the rest is counted, not printed.
SHOWN_CHARS = 120


class _Omitted:
    """A problem whose value is not worth showing (a missing property, an unknown name)."""

    def __repr__(self) -> str:
        return "(not shown)"


OMITTED: Any = _Omitted()

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


@dataclass(frozen=True, slots=True)
class PropertyProblem:
    """One problem of the declared properties; `value` is already masked where write-only."""

    path: str
    problem: str
    value: Any = OMITTED

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}" + (
            "" if self.value is OMITTED else f" (got {shown(self.value)})"
        )


def validate_declared(
    cls: type[Resource], logical_id: str, props: Mapping[str, Any]
) -> dict[str, Any]:
    """The JSON-ready declared properties of `cls`, or one ValidationError naming every problem.

    A keyword given as None means "not declared" and is dropped; models become dicts (only the
    fields that were set, so schema defaults are never sent as if declared); an explicit [] stays.
    """
    metadata = cls.metadata
    found: list[Problem] = []
    declared: dict[str, Any] = {}
    for key, value in props.items():
        if value is not None:
            shape: list[Problem] = []
            declared[key] = to_json(value, (key,), shape)
            found.extend(shape)
    malformed = {path[0] for path, _, _ in found}
    for pointer in metadata.read_only:
        for path, value in values_at(declared, _pointer_parts(pointer), ()):
            found.append(
                (path, "readOnly: a read-only attribute set by AWS, it cannot be declared", value)
            )
    schema: Mapping[str, Any] = getattr(cls, "props_schema", None) or {
        "type": "object",
        "required": list(metadata.required),
    }
    # Values that are not JSON were reported above: the schema checks the others, and takes
    # those as present (a placeholder that passes), or they would also be "missing".
    if malformed:
        from cloudforge.engine.plan import UNKNOWN

        checkable = {k: UNKNOWN if k in malformed else v for k, v in declared.items()}
    else:
        checkable = declared
    found.extend(check(checkable, schema, schema, ()))
    if not found:
        return declared
    secret = [_pointer_parts(p) for p in metadata.write_only]
    problems = [
        PropertyProblem(format_path(path) or "(properties)", problem, _mask(path, value, secret))
        for path, problem, value in sorted(found, key=_unknown_first)
    ]
    first = problems[0]
    error = ValidationError(
        type_name=metadata.type_name,
        logical_id=logical_id,
        path=first.path,
        problem=first.problem,
        value=None if first.value is OMITTED else first.value,
    )
    # Every problem, as a field like the first one's (errors.py is another change's to edit).
    error.fields["problems"] = problems
    setattr(error, "problems", problems)  # noqa: B010
    # One line for one problem (the template's sentence), a pydantic-style list for several.
    head = f"{metadata.type_name} {logical_id!r}"
    if len(problems) == 1:
        error.args = (f"{head}: {first}",)
    else:
        lines = "".join(f"\n  {p}" for p in problems)
        error.args = (f"{head}: {len(problems)} problems in the declared properties:{lines}",)
    raise error


def _unknown_first(problem: Problem) -> int:
    # A misspelt property also shows as a missing required one: the unknown name, with its
    # did-you-mean, is the line that explains both.
    return 0 if problem[1].startswith("additionalProperties") else 1


def shown(value: Any) -> str:
    """`value` as a message shows it: its repr, cut to SHOWN_CHARS with the rest counted."""
    if value is OMITTED or value == WRITE_ONLY:
        return str(value)
    text = repr(value)
    if len(text) <= SHOWN_CHARS:
        return text
    return f"{text[:SHOWN_CHARS]}... ({len(text)} characters)"


def _matches(pattern: Sequence[str], path: Path) -> bool:
    return all(p == "*" or p == str(t) for p, t in zip(pattern, path, strict=False))


def _mask(path: Path, value: Any, secret: list[list[str]]) -> Any:
    """`value` at `path` with what lies at a write-only path replaced by WRITE_ONLY."""
    if value is OMITTED:
        return value
    if any(len(s) <= len(path) and _matches(s, path) for s in secret):
        return WRITE_ONLY
    inner = [s[len(path) :] for s in secret if len(s) > len(path) and _matches(s, path)]
    return _mask_within(value, inner) if inner else value


def _mask_within(value: Any, secret: list[list[str]]) -> Any:
    if any(not s for s in secret):
        return WRITE_ONLY
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            inner = [s[1:] for s in secret if s[0] in ("*", str(key))]
            out[key] = _mask_within(item, inner) if inner else item
        return out
    if isinstance(value, list):
        items = []
        for index, item in enumerate(value):
            inner = [s[1:] for s in secret if s[0] in ("*", str(index))]
            items.append(_mask_within(item, inner) if inner else item)
        return items
    # A scalar where an object holding a write-only value belongs may be that value itself
    # (`LoginProfile="password"`).
    return WRITE_ONLY


def to_json(value: Any, path: Path = (), problems: list[Problem] | None = None) -> Any:
    """Models to dicts (set fields only, CloudFormation names), tuples to lists, recursively.

    What JSON cannot carry (datetime, bytes, sets, NaN, infinity, other objects, nesting beyond
    MAX_DEPTH) is appended to `problems` with its path, and left as it is.
    """
    found = problems if problems is not None else []
    return _to_json(value, path, found, 0)


def _to_json(value: Any, path: Path, problems: list[Problem], depth: int) -> Any:
    if depth > MAX_DEPTH:
        # Named at its top-level property: the full path would be MAX_DEPTH keys long.
        problems.append((path[:1], f"depth: nested more than {MAX_DEPTH} levels deep", OMITTED))
        return None
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        value = dump(mode="json", by_alias=True, exclude_unset=True, exclude_none=True)
    if isinstance(value, Mapping):
        return {
            str(k): _to_json(v, (*path, str(k)), problems, depth + 1)
            for k, v in value.items()
            if v is not None
        }
    if isinstance(value, list | tuple):
        return [_to_json(v, (*path, i), problems, depth + 1) for i, v in enumerate(value)]
    if isinstance(value, float) and not math.isfinite(value):
        problems.append((path, "type: NaN and infinity are not JSON numbers", value))
    elif not isinstance(value, str | int | float | bool | None) and not _is_unknown(value):
        problems.append((path, f"type: not a JSON value: {_not_json(value)}", OMITTED))
    return value


def _not_json(value: Any) -> str:
    from datetime import date, time

    from cloudforge.resource import Resource

    if isinstance(value, Resource):
        return (
            f"the resource {value.logical_id!r} itself; pass one of its attributes "
            "(such as its Arn)"
        )
    if isinstance(value, bytes | bytearray):
        return "bytes; decode them to a str"
    if isinstance(value, set | frozenset):
        return "a set; pass a list"
    if isinstance(value, date | time):
        return f"a {type(value).__name__}; pass value.isoformat()"
    return f"a {type(value).__name__}; pass a str, number, bool, list or dict"


def _is_unknown(value: Any) -> bool:
    """A plan's placeholder for an attribute known only once its resource exists."""
    global _unknown_type
    if _unknown_type is None:  # imported on first use: constructing a resource stays light
        from cloudforge.engine.plan import Unknown

        _unknown_type = Unknown
    return type(value) is _unknown_type


_unknown_type: type | None = None


def format_path(path: Path) -> str:
    """A path as the program spells it: `AllowedAccessControlTags[0].Key`, `Tags['a-b']`."""
    text = ""
    for token in path:
        if isinstance(token, int):
            text += f"[{token}]"
        elif token.isidentifier():
            text = f"{text}.{token}" if text else token
        else:
            text += f"[{token!r}]"
    return text


def _pointer_parts(pointer: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.strip("/").split("/")]


def values_at(doc: Any, parts: list[str], path: Path) -> Iterator[tuple[Path, Any]]:
    """(path, value) for every value at a metadata path (`*`: every index or key)."""
    if not parts:
        yield path, doc
        return
    head, rest = parts[0], parts[1:]
    if isinstance(doc, dict):
        for key in sorted(doc) if head == "*" else [head] if head in doc else []:
            yield from values_at(doc[key], rest, (*path, key))
    elif isinstance(doc, list) and (head == "*" or head.isdigit()):
        for i, item in enumerate(doc):
            if head == "*" or int(head) == i:
                yield from values_at(item, rest, (*path, i))


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
    value: Any, node: Mapping[str, Any], root: Mapping[str, Any], path: Path
) -> Iterator[Problem]:
    """Every problem of `value` against schema `node` (refs resolved in `root`), in order."""
    if _is_unknown(value):
        return  # a plan's placeholder stands for a value of the right type
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


def _check_string(value: str, node: Mapping[str, Any], path: Path) -> Iterator[Problem]:
    if "minLength" in node and len(value) < node["minLength"]:
        yield path, f"minLength: shorter than {node['minLength']} characters", value
    if "maxLength" in node and len(value) > node["maxLength"]:
        yield path, f"maxLength: longer than {node['maxLength']} characters", value
    pattern = node.get("pattern")
    if isinstance(pattern, str):
        compiled = _compiled(pattern)
        if compiled is not None and compiled.search(value) is None:
            yield path, f"pattern: does not match {pattern}", value


def _check_number(value: float, node: Mapping[str, Any], path: Path) -> Iterator[Problem]:
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
    value: list[Any], node: Mapping[str, Any], root: Mapping[str, Any], path: Path
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
                yield (*path, i), "uniqueItems: repeats an earlier item", item
            seen.add(key)
    items = node.get("items")
    if isinstance(items, Mapping):
        for i, item in enumerate(value):
            yield from check(item, items, root, (*path, i))


def _check_object(
    value: dict[str, Any], node: Mapping[str, Any], root: Mapping[str, Any], path: Path
) -> Iterator[Problem]:
    properties: Mapping[str, Any] = node.get("properties", {})
    for name in node.get("required", []):
        if name not in value:
            yield (*path, name), "required: a required property is missing", OMITTED
    patterns: Mapping[str, Any] = node.get("patternProperties", {})
    extra = node.get("additionalProperties", True)
    for key in sorted(value):
        sub: Path = (*path, key)
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
                OMITTED,
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
                    yield (*path, other), problem, OMITTED
        elif isinstance(needs, Mapping):
            yield from check(value, needs, root, path)
    if "minProperties" in node and len(value) < node["minProperties"]:
        yield path, f"minProperties: fewer than {node['minProperties']} keys", value
    if "maxProperties" in node and len(value) > node["maxProperties"]:
        yield path, f"maxProperties: more than {node['maxProperties']} keys", value


def _suggest(key: str, known: Mapping[str, Any]) -> str:
    by_case = [k for k in known if k.lower() == key.lower()]
    import difflib  # here: only a misspelt property needs a suggestion

    close = by_case or difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; known properties: {', '.join(sorted(known))}" if known else ""
