"""Reporting what the engine does: progress steps, and exactly one event per outcome.

An outcome (planned, succeeded, failed, skipped) is reported once, as a `ResourceEvent`; every
view of it listens to events: `App.changes` through `collect_changes`, the CLI's display and
its summary through `cloudforge.events.subscribe`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Literal

from cloudforge.engine.plan import Change, ChangeStatus, PropertyChange
from cloudforge.events import Action, Listener, ResourceEvent, emit

Step = Literal["started", "polling"]
OutcomeStatus = Literal["planned", "succeeded", "failed", "skipped"]

_CHANGE_STATUS: dict[str, ChangeStatus] = {
    "planned": "planned",
    "succeeded": "done",
    "failed": "failed",
    "skipped": "skipped",
}


class Reporter:
    """Sends the engine's events to the App's listeners and the process-wide ones."""

    def __init__(self, listeners: Iterable[Listener] = ()) -> None:
        self.listeners = list(listeners)

    def step(
        self,
        logical_id: str,
        type_name: str,
        action: Action,
        status: Step,
        started: float,
        detail: str = "",
    ) -> None:
        """A step on the way to an outcome."""
        self._send(ResourceEvent(logical_id, type_name, action, status, _since(started), detail))

    def read(self, logical_id: str, type_name: str, started: float, detail: str = "") -> None:
        """A refresh read: a step of the resource's deploy, not an outcome of its own."""
        self._send(
            ResourceEvent(logical_id, type_name, "read", "succeeded", _since(started), detail)
        )

    def outcome(
        self,
        logical_id: str,
        type_name: str,
        action: Action,
        status: OutcomeStatus,
        started: float,
        *,
        detail: str = "",
        diff: Iterable[PropertyChange] = (),
        identifier: str | None = None,
    ) -> None:
        """How this run's work on one resource ended (or, planned, would end): once each."""
        event = ResourceEvent(
            logical_id,
            type_name,
            action,
            status,
            _since(started),
            detail,
            tuple(diff),
            identifier,
        )
        self._send(event)

    def _send(self, event: ResourceEvent) -> None:
        emit(event, self.listeners)


def _since(started: float) -> float:
    return time.monotonic() - started


def change_of(event: ResourceEvent) -> Change | None:
    """The `App.changes` entry an outcome event stands for; None for a step."""
    if not event.is_outcome:
        return None
    return Change(
        event.logical_id,
        event.type_name,
        event.action,
        _CHANGE_STATUS[event.status],
        list(event.diff),
        event.identifier,
        event.detail,
    )


def collect_changes(into: list[Change]) -> Listener:
    """A listener that appends the `Change` of every outcome event to `into`."""

    def listener(event: ResourceEvent) -> None:
        change = change_of(event)
        if change is not None:
            into.append(change)

    return listener
