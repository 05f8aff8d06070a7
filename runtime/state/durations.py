"""What requests of each (type, operation) took in a stage's last runs, as both backends store it.

A cache for placing status reads (`cloudforge.cloud.polling.Durations`): an entry that cannot
be read is dropped, never an error, since losing it costs at most a few early reads. In the S3
document it is `{"durations": {type: {operation: [[low, high] or null, ...]}}}`, one figure per
run, oldest first: the window in which that run's requests of the kind ended, in seconds (null:
that run only confirmed the figure it was given). A bare number, as format 3 first stored it, is
the shortest time to a read that saw one done, read as the window [n, n]. `cloudforge state
export` leaves it out: it is learned again by the next runs.
"""

from __future__ import annotations

import math
from typing import Any

Key = tuple[str, str]  # (type name, operation)
Figures = list[float | tuple[float, float] | None]


def to_document(durations: dict[Key, Figures]) -> dict[str, dict[str, list[Any]]]:
    out: dict[str, dict[str, list[Any]]] = {}
    for (type_name, operation), seconds in sorted(durations.items()):
        if seconds:
            out.setdefault(type_name, {})[operation] = [
                list(v) if isinstance(v, tuple) else v for v in seconds
            ]
    return out


def _seconds(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < math.inf


def figures(value: Any) -> Figures:
    """The usable figures of one stored entry: positive, finite seconds, windows of two such
    (low <= high), or null."""
    if not isinstance(value, list):
        return []
    out: Figures = []
    for v in value:
        if v is None or (_seconds(v) and v > 0):
            out.append(None if v is None else float(v))
        elif isinstance(v, list) and len(v) == 2 and all(map(_seconds, v)):
            if v[0] <= v[1] and v[1] > 0:
                out.append((float(v[0]), float(v[1])))
    return out


def from_document(value: Any) -> dict[Key, Figures]:
    out: dict[Key, Figures] = {}
    if not isinstance(value, dict):
        return out
    for type_name, operations in value.items():
        if not isinstance(operations, dict):
            continue
        for operation, seconds in operations.items():
            found = figures(seconds)
            if found:
                out[(str(type_name), str(operation))] = found
    return out
