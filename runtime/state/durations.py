"""What requests of each (type, operation) took in a stage's last runs, as both backends store it.

A cache for placing first status reads (`cloudforge.cloud.polling.Durations`): an entry that
cannot be read is dropped, never an error, since losing it costs at most one early read. In the
S3 document it is `{"durations": {type: {operation: [seconds or null, ...]}}}`, one figure per
run, oldest first (null: that run only confirmed the figure it was given). `cloudforge state
export` leaves it out: it is learned again by the next runs.
"""

from __future__ import annotations

import math
from typing import Any

Key = tuple[str, str]  # (type name, operation)
Figures = list[float | None]


def to_document(durations: dict[Key, Figures]) -> dict[str, dict[str, Figures]]:
    out: dict[str, dict[str, Figures]] = {}
    for (type_name, operation), seconds in sorted(durations.items()):
        if seconds:
            out.setdefault(type_name, {})[operation] = list(seconds)
    return out


def figures(value: Any) -> Figures:
    """The usable figures of one stored entry (positive, finite seconds, or null)."""
    if not isinstance(value, list):
        return []
    return [
        None if v is None else float(v)
        for v in value
        if v is None or (isinstance(v, int | float) and not isinstance(v, bool) and 0 < v < math.inf)
    ]


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
