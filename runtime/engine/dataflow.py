"""Dependencies from data flow: which resources of the run a declared resource uses.

A resource uses another when a string attribute value of the other (awaited, so its values
are known) occurs in its declared properties: `BucketPolicy(Bucket=bucket.BucketName)`, an ARN
inside a policy document. Values are looked up whole and as spans between separators (`:`, `/`,
quotes, ...), so `arn:aws:s3:::data/*` finds the bucket whose Arn is `arn:aws:s3:::data`, in
time linear in the declared text rather than in the number of resources. A value the two hold
under the same top-level property name (a shared `STANDARD` class) is a common setting, not a
reference. A false edge only makes a deletion wait; a missing one could delete a resource
before its user, so the matching leans to more edges.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

MIN_LENGTH = 4  # shorter values ("true", "1", "us") are too common to mean a reference
MAX_SPAN = 16  # tokens per span: an ARN or URL has fewer
_SEPARATOR = re.compile(r"[\s:/|,;=\"'*?&#@()\[\]{}<>]+")


def strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON value (object keys included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str):
                yield key
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)


def spans(text: str, longest: int | None = None) -> Iterator[str]:
    """`text` whole, and each run of up to MAX_SPAN tokens between separators (of at least
    MIN_LENGTH characters, and at most `longest`)."""
    yield text
    marks = list(_SEPARATOR.finditer(text))
    if not marks:
        return
    limit = len(text) if longest is None else longest
    starts = [0, *(m.end() for m in marks)]
    ends = [*(m.start() for m in marks), len(text)]
    for i, start in enumerate(starts):
        for end in ends[i : i + MAX_SPAN]:
            if end - start > limit:
                break
            if end - start >= MIN_LENGTH:
                yield text[start:end]


class AttributeIndex:
    """The string attribute values of the run's awaited resources, by value."""

    def __init__(self) -> None:
        # value -> top-level property name it is held under -> the logical ids holding it
        self._owners: dict[str, dict[str, set[str]]] = {}
        self._longest = 0  # no span longer than the longest value can match

    def add(self, logical_id: str, attributes: Mapping[str, Any]) -> None:
        for name, value in attributes.items():
            for text in strings(value):
                if len(text) >= MIN_LENGTH:
                    self._owners.setdefault(text, {}).setdefault(name, set()).add(logical_id)
                    self._longest = max(self._longest, len(text))

    def users(self, logical_id: str, declared: Mapping[str, Any]) -> set[str]:
        """The logical ids whose attribute values occur in `declared` (itself left out)."""
        found: set[str] = set()
        if not self._owners:  # nothing awaited yet (all declared together under gather)
            return found
        for name, value in declared.items():
            seen: set[str] = set()
            for text in strings(value):
                if len(text) < MIN_LENGTH:
                    continue
                for span in spans(text, self._longest):
                    holders = self._owners.get(span)
                    if holders is None or span in seen:
                        continue
                    seen.add(span)
                    for held_as, owners in holders.items():
                        if held_as != name:  # under the same name: a shared setting
                            found |= owners
        found.discard(logical_id)
        return found


def edges(
    logical_id: str,
    declared: Mapping[str, Any],
    index: AttributeIndex,
    explicit: Iterable[str] = (),
) -> list[str]:
    """The sorted dependencies of a resource: data flow plus explicit `depends_on`."""
    return sorted((index.users(logical_id, declared) | set(explicit)) - {logical_id})
