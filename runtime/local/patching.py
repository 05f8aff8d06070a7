"""RFC 6902 patch documents for UpdateResource: normalising, and what a patch touches.

Cloud Control accepts paths with or without the leading slash; a patch may not touch create-only
or read-only properties, but may replace a parent object as long as a create-only value inside
it stays as it was.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonpointer
from cloudforge.local.protocol import validation


def normalise(patch: Any) -> list[dict[str, Any]]:
    """The patch as a list of operations with absolute paths; ValidationException when it is not one."""
    if not isinstance(patch, list) or not all(isinstance(op, dict) for op in patch):
        raise validation("Invalid patch document: expected a JSON array of RFC 6902 operations")
    fixed = []
    for op in patch:
        op = dict(op)
        if not isinstance(op.get("op"), str) or not isinstance(op.get("path"), str):
            raise validation(f"Invalid patch document: operation {json.dumps(op)} needs 'op' and 'path' strings")
        if op["op"] in ("move", "copy") and not isinstance(op.get("from"), str):
            raise validation(f"Invalid patch document: operation {json.dumps(op)} needs a 'from' string")
        for key in ("path", "from"):
            if isinstance(op.get(key), str) and op[key] and not op[key].startswith("/"):
                op[key] = "/" + op[key]
        fixed.append(op)
    return fixed


def changed_paths(patch: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    """The property paths the patch writes (a move also empties its source)."""
    paths = []
    for op in patch:
        if op["op"] == "test":
            continue
        for key in ("path", "from") if op["op"] == "move" else ("path",):
            try:
                paths.append(tuple(jsonpointer.JsonPointer(op[key]).parts))
            except jsonpointer.JsonPointerException as exc:
                raise validation(f"Invalid patch document: {exc}") from exc
    return paths


def _matches(guarded: tuple[str, ...], path: tuple[str, ...]) -> bool:
    return all(g == p or g == "*" for g, p in zip(guarded, path, strict=False))


def _values_at(node: Any, path: tuple[str, ...]) -> list[Any]:
    if not path:
        return [node]
    head, rest = path[0], path[1:]
    if head == "*" and isinstance(node, list):
        return [v for item in node for v in _values_at(item, rest)]
    if isinstance(node, dict) and head in node:
        return _values_at(node[head], rest)
    return []


def touched(paths: list[tuple[str, ...]], guarded: tuple[tuple[str, ...], ...],
            before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> list[str]:
    """The guarded paths (as `/properties/...`) the patch writes.

    A write at or below a guarded path counts. A write to a parent of one counts only when
    `before` and `after` are given and the value at the guarded path differs between them.
    """
    hits = []
    for g in guarded:
        for p in paths:
            if not _matches(g, p):
                continue
            if len(p) < len(g) and (before is None or after is None or _values_at(before, g) == _values_at(after, g)):
                continue
            text = "/properties/" + "/".join(g)
            if text not in hits:
                hits.append(text)
    return hits


def strip(paths: tuple[tuple[str, ...], ...], model: dict[str, Any]) -> dict[str, Any]:
    """A copy of `model` without the values at `paths` (`*` walks every array item)."""
    out = copy.deepcopy(model)

    def drop(node: Any, path: tuple[str, ...]) -> None:
        if not path:
            return
        head, rest = path[0], path[1:]
        if head == "*" and isinstance(node, list):
            for item in node:
                drop(item, rest)
        elif isinstance(node, dict) and head in node:
            if rest:
                drop(node[head], rest)
            else:
                del node[head]

    for path in paths:
        drop(out, path)
    return out
