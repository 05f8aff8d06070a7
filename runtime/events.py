"""Progress events: what the engine is doing to each resource, as it happens.

The engine emits a `ResourceEvent` at every step (started, polling) and exactly one per outcome
(planned, succeeded, failed, skipped, interrupted): outcomes have one channel, and `App.changes`,
the CLI's display and its summary are all built from these events. Listeners registered
process-wide with `subscribe` (how the CLI attaches its display to a program it runs in-process)
and those passed to `App(listeners=...)` receive every event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from cloudforge.engine.plan import PropertyChange

Action = Literal["create", "update", "replace", "delete", "adopt", "noop", "read"]
# "interrupted": the run was cancelled (Ctrl-C) while this resource's request was in flight; the
# request is journaled and the next run resumes it.
Status = Literal["planned", "started", "polling", "succeeded", "failed", "skipped", "interrupted"]
OUTCOME_STATUSES = frozenset({"planned", "succeeded", "failed", "skipped", "interrupted"})

Listener = Callable[["ResourceEvent"], None]

_log = logging.getLogger(__name__)
_listeners: list[Listener] = []


@dataclass(frozen=True, slots=True)
class ResourceEvent:
    """One step or outcome of one resource in a run: what the CLI's display and `App.changes` hear."""

    logical_id: str
    type_name: str
    action: Action
    status: Status
    elapsed: float = 0.0  # seconds since this action started
    detail: str = ""
    # Outcome events: the property-level changes (write-only values masked).
    diff: tuple[PropertyChange, ...] = ()
    identifier: str | None = None  # outcome events: the resource's primary identifier, if any
    # A replacement's order: "delete_then_create" or "create_then_delete" ("" for the rest).
    order: str = ""

    @property
    def is_outcome(self) -> bool:
        """The one event that says how this run's work on a resource ended.

        A refresh read is a step of a resource's deploy, reported before its outcome.
        """
        return self.status in OUTCOME_STATUSES and self.action != "read"


def subscribe(listener: Listener) -> Callable[[], None]:
    """Receive every event of every App in this process; returns a function that unsubscribes."""
    _listeners.append(listener)

    def unsubscribe() -> None:
        if listener in _listeners:
            _listeners.remove(listener)

    return unsubscribe


def emit(event: ResourceEvent, extra: Iterable[Listener] = ()) -> None:
    for listener in [*_listeners, *extra]:
        try:
            listener(event)
        except Exception:  # a broken display must not break a deploy
            _log.exception("cloudforge event listener %r failed", listener)
