"""What a stage remembers of its last run: when, which phase, how it ended, each resource's
outcome, and the program's outputs (`App.output`). Kept as the stage's info (one JSON object
beside its records), read by `cloudforge stages`, `outputs`, `graph` and `StageOutputs`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from cloudforge.engine.patch import WRITE_ONLY_MASK
from cloudforge.events import Listener, ResourceEvent

# A resource's last outcome, by the action and status of its outcome event.
_DONE = {
    "create": "created",
    "update": "updated",
    "replace": "replaced",
    "adopt": "adopted",
    "noop": "unchanged",
    "delete": "deleted",
}


def outcome_of(event: ResourceEvent) -> str | None:
    """The word a graph or listing shows for an outcome event (None for steps and plans)."""
    if not event.is_outcome or event.status == "planned":
        return None
    if event.status == "succeeded":
        return _DONE.get(event.action)
    return event.status  # failed, skipped


def recorder(into: dict[str, str]) -> Listener:
    """A listener that keeps each resource's last outcome of the run in `into`."""

    def listen(event: ResourceEvent) -> None:
        outcome = outcome_of(event)
        if outcome is not None:
            into[event.logical_id] = outcome

    return listen


def _leaves(value: Any) -> Iterable[Any]:
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def masked(value: Any, secrets: Iterable[Any]) -> Any:
    """`value`, or the write-only mask when it holds (or is) a write-only value: a secret's
    text anywhere inside one of its strings, or a secret's other value as one of its leaves."""
    leaves = [leaf for secret in secrets for leaf in _leaves(secret) if leaf not in ("", None)]
    texts = [leaf for leaf in leaves if isinstance(leaf, str)]
    # Booleans are too common to mask on: a write-only flag would mask every true output.
    others = [leaf for leaf in leaves if not isinstance(leaf, str | bool)]
    for leaf in _leaves(value):
        if isinstance(leaf, str) and any(text in leaf for text in texts):
            return WRITE_ONLY_MASK
        if any(leaf == other and type(leaf) is type(other) for other in others):
            return WRITE_ONLY_MASK
    return value


def next_info(
    previous: Mapping[str, Any],
    *,
    phase: str,
    result: str,
    started: float,
    outcomes: Mapping[str, str],
    outputs: Mapping[str, Any],
    remaining: Iterable[str],
) -> dict[str, Any]:
    """The stage's info after a run (`remaining`: the logical ids still in state)."""
    kept = set(remaining)
    last: dict[str, str] = {
        lid: o for lid, o in dict(previous.get("outcomes", {})).items() if lid in kept
    }
    # A failed create leaves no record but is worth showing (the graph colours it red).
    last.update({lid: o for lid, o in outcomes.items() if lid in kept or o == "failed"})
    if phase == "destroy":
        saved: dict[str, Any] = {}
    elif result == "succeeded":
        saved = dict(outputs)
    else:  # a failed run keeps the outputs it did not reach
        saved = {**dict(previous.get("outputs", {})), **outputs}
    return {
        "outputs": saved,
        "outcomes": last,
        "last_run": {
            "phase": phase,
            "result": result,
            "started": started,
            "finished": time.time(),
        },
    }
