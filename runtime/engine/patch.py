"""Diffs between declared and live properties, and the RFC 6902 patches that close them.

Everything here is a pure function of a type's `TypeMetadata` and JSON documents (the properties
document, CloudFormation names). Comparisons treat `insertionOrder: false` arrays as multisets and
an absent property as equal to an empty array or object (AWS often omits empty collections).
Patches work at top-level property granularity: a changed property is replaced whole, which stays
correct when the live value has drifted from the last-read one (index-level ops would not).
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final

from cloudforge.cloud.tokens import canonical_json
from cloudforge.engine.hashing import PREFIX, hash_value, matches
from cloudforge.engine.plan import PropertyChange
from cloudforge.metadata import TypeMetadata

if TYPE_CHECKING:
    from jsonpatch import JsonPatch


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING: Final = _Missing()
WRITE_ONLY_MASK = "(write-only value)"
REDACTED_PREFIX = PREFIX  # what a redacted write-only value starts with


def split_pointer(pointer: str) -> tuple[str, ...]:
    if not pointer or pointer == "/":
        return ()
    return tuple(t.replace("~1", "/").replace("~0", "~") for t in pointer.lstrip("/").split("/"))


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def top_level(pointer: str) -> str:
    tokens = split_pointer(pointer)
    return tokens[0] if tokens else ""


def _pattern_matches(pattern: tuple[str, ...], path: tuple[str, ...]) -> bool:
    return len(pattern) == len(path) and all(
        p in ("*", t) for p, t in zip(pattern, path, strict=True)
    )


def normalize(value: Any, unordered: Collection[str], _path: tuple[str, ...] = ()) -> Any:
    """A copy of `value` with every `insertionOrder: false` array sorted canonically."""
    if isinstance(value, Mapping):
        return {k: normalize(v, unordered, (*_path, k)) for k, v in value.items()}
    if isinstance(value, list):
        items = [normalize(v, unordered, (*_path, "*")) for v in value]
        if any(_pattern_matches(split_pointer(p), _path) for p in unordered):
            items.sort(key=canonical_json)
        return items
    return value


def _is_empty(value: Any) -> bool:
    return value is MISSING or value is None or value == [] or value == {}


def same_value(a: Any, b: Any, unordered: Collection[str], path: str = "") -> bool:
    """Equal as Cloud Control sees it: multiset arrays, absent == empty collection."""
    if _is_empty(a) and _is_empty(b):
        return True
    if a is MISSING or b is MISSING:
        return False
    base = split_pointer(path)
    return canonical_json(normalize(a, unordered, base)) == canonical_json(
        normalize(b, unordered, base)
    )


def resolve(doc: Any, tokens: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every (concrete path, value) that a pointer with `*` wildcards reaches in `doc`."""
    if not tokens:
        yield (), doc
        return
    head, rest = tokens[0], tokens[1:]
    if isinstance(doc, Mapping):
        keys = list(doc) if head == "*" else [head] if head in doc else []
        for key in keys:
            for sub, value in resolve(doc[key], rest):
                yield (key, *sub), value
    elif isinstance(doc, list):
        if head == "*":
            indexes = range(len(doc))
        elif head.isdigit() and int(head) < len(doc):
            indexes = range(int(head), int(head) + 1)
        else:
            indexes = range(0)
        for index in indexes:
            for sub, value in resolve(doc[index], rest):
                yield (str(index), *sub), value


def _values_at(doc: Any, pointer: str) -> Any:
    tokens = split_pointer(pointer)
    found = [value for _, value in resolve(doc, tokens)]
    if not found:
        return MISSING
    result: Any = found if "*" in tokens else found[0]
    return result


def _replace_at(doc: Any, path: tuple[str, ...], fn: Any) -> None:
    parent = doc
    for token in path[:-1]:
        parent = parent[int(token)] if isinstance(parent, list) else parent[token]
    last: Any = int(path[-1]) if isinstance(parent, list) else path[-1]
    fn(parent, last)


def strip_write_only(doc: Mapping[str, Any], metadata: TypeMetadata) -> dict[str, Any]:
    """A copy of `doc` without its write-only values (what a read returns, what state may keep)."""
    out = copy.deepcopy(dict(doc))
    for pointer in metadata.write_only:
        # Deepest paths first, and list items back to front, so removals keep indexes valid.
        for path, _ in sorted(resolve(out, split_pointer(pointer)), reverse=True):
            _replace_at(out, path, lambda parent, key: parent.pop(key))
    return out


def declared_write_only(doc: Mapping[str, Any], metadata: TypeMetadata) -> list[Any]:
    """The write-only values `doc` declares (to mask what is derived from them)."""
    return [
        value
        for pointer in metadata.write_only
        for _, value in resolve(doc, split_pointer(pointer))
    ]


def redact(
    doc: Mapping[str, Any],
    metadata: TypeMetadata,
    key: bytes,
    previous: Iterable[Mapping[str, Any] | None] = (),
) -> dict[str, Any]:
    """`doc` with each write-only value replaced by a salted keyed hash (cloudforge.engine.hashing):
    enough to notice a change. Where a `previous` document (the record's declared or pending
    state) holds the hash of the same value at the same path, that hash is kept as is, so an
    unchanged value redacts identically from run to run."""
    if not metadata.write_only:
        return dict(doc)
    out = copy.deepcopy(dict(doc))
    earlier = [p for p in previous if p]

    for pointer in metadata.write_only:
        for path, value in list(resolve(out, split_pointer(pointer))):
            kept = next(
                (
                    stored
                    for p in earlier
                    if matches(stored := _at(p, path), value, key)
                ),
                None,
            )
            hashed = kept if kept is not None else hash_value(value, key)
            _replace_at(out, path, lambda parent, k, h=hashed: parent.__setitem__(k, h))
    return out


def write_only_texts(doc: Mapping[str, Any], metadata: TypeMetadata) -> list[str]:
    """Every write-only value of `doc` as a message could spell it (the string itself, its
    JSON), longest first, for `scrub`."""
    texts: set[str] = set()
    for pointer in metadata.write_only:
        for _, value in resolve(doc, split_pointer(pointer)):
            if isinstance(value, str):
                texts.add(value)
            if value is not None:
                texts.add(canonical_json(value))
    # Strings too short to be a secret would blank out ordinary words.
    return sorted((t for t in texts if len(t) >= 4), key=len, reverse=True)


def scrub(text: str, secrets: list[str]) -> str:
    """`text` with each of `secrets` (from `write_only_texts`) replaced by the mask."""
    for secret in secrets:
        text = text.replace(secret, WRITE_ONLY_MASK)
    return text


def _at(doc: Any, path: tuple[str, ...]) -> Any:
    """The value at a concrete path (as `resolve` yields them), or None."""
    for token in path:
        if isinstance(doc, Mapping) and token in doc:
            doc = doc[token]
        elif isinstance(doc, list) and token.isdigit() and int(token) < len(doc):
            doc = doc[int(token)]
        else:
            return None
    return doc


def _write_only_tops(metadata: TypeMetadata) -> set[str]:
    return {top_level(p) for p in metadata.write_only}


def _whole_write_only(metadata: TypeMetadata) -> set[str]:
    return {top_level(p) for p in metadata.write_only if len(split_pointer(p)) == 1}


def _masked(metadata: TypeMetadata, name: str, value: Any) -> Any:
    return WRITE_ONLY_MASK if name in _write_only_tops(metadata) and value is not None else value


def create_only_changes(
    metadata: TypeMetadata,
    *,
    current: Mapping[str, Any],
    desired_redacted: Mapping[str, Any],
    previous_redacted: Mapping[str, Any],
) -> list[PropertyChange]:
    """The create-only properties whose declared value differs from what the resource has.

    A create-only property the program does not declare never forces a replacement (AWS may
    have filled it in). The old value is the one declared before when there was one, otherwise
    the live one; a write-only value that was never declared cannot be compared and is trusted.
    """
    changes: list[PropertyChange] = []
    write_only = set(metadata.write_only)
    for pointer in metadata.create_only:
        new = _values_at(desired_redacted, pointer)
        if new is MISSING:
            continue
        old = _values_at(previous_redacted, pointer)
        if old is MISSING:
            if pointer in write_only:
                continue
            old = _values_at(current, pointer)
        if not same_value(old, new, metadata.unordered_arrays, pointer):
            name = top_level(pointer)
            changes.append(
                PropertyChange(
                    pointer,
                    None if old is MISSING else _masked(metadata, name, old),
                    _masked(metadata, name, new),
                )
            )
    return changes


def build_patch(
    metadata: TypeMetadata,
    *,
    current: Mapping[str, Any],
    desired: Mapping[str, Any],
    previously_declared: Collection[str] = (),
    resend_write_only: bool = False,
) -> JsonPatch:
    """The RFC 6902 patch that takes the `current` (last-read or live) properties to `desired`.

    Read-only and create-only properties never appear (a create-only change is a replacement,
    decided elsewhere). A property the program declares is replaced whole when it differs; one
    it no longer declares (in `previously_declared`, not in `desired`) is removed; one it never
    declared is left as found. Write-only values cannot be read back, so they are re-sent with
    every patch (and alone when `resend_write_only`, i.e. their keyed hash changed).
    """
    read_only = {top_level(p) for p in metadata.read_only}
    create_only = {top_level(p) for p in metadata.create_only if len(split_pointer(p)) == 1}
    skipped = read_only | create_only
    whole_write_only = _whole_write_only(metadata)
    write_only_tops = _write_only_tops(metadata)
    ops: list[dict[str, Any]] = []

    def put(name: str) -> None:
        op = "replace" if name in current else "add"
        ops.append({"op": op, "path": "/" + escape(name), "value": copy.deepcopy(desired[name])})

    stripped = strip_write_only(desired, metadata) if write_only_tops else desired
    for name in sorted(desired):
        if name in skipped or name in whole_write_only:
            continue
        pointer = "/" + escape(name)
        if not same_value(
            current.get(name, MISSING),
            stripped.get(name, MISSING),
            metadata.unordered_arrays,
            pointer,
        ):
            put(name)
    if ops or resend_write_only:
        sent = {op["path"] for op in ops}
        for name in sorted(write_only_tops & desired.keys()):
            if "/" + escape(name) not in sent and name not in skipped:
                put(name)
    for name in sorted(set(previously_declared) - desired.keys()):
        if name in current and name not in skipped:
            ops.append({"op": "remove", "path": "/" + escape(name)})
    from jsonpatch import JsonPatch  # here: a run that changes nothing needs no patch

    return JsonPatch(ops)


def patch_diff(
    metadata: TypeMetadata, patch: JsonPatch, current: Mapping[str, Any]
) -> list[PropertyChange]:
    """The property-level diff a patch makes (write-only values masked), for plans and events."""
    changes = []
    for op in patch.patch:
        name = split_pointer(op["path"])[0]
        before = current.get(name)
        after = op.get("value") if op["op"] != "remove" else None
        changes.append(PropertyChange(op["path"], before, _masked(metadata, name, after)))
    return changes


def declared_diff(metadata: TypeMetadata, desired: Mapping[str, Any]) -> list[PropertyChange]:
    """The diff of a create: every declared property, from nothing."""
    return [
        PropertyChange("/" + escape(name), None, _masked(metadata, name, desired[name]))
        for name in sorted(desired)
    ]
