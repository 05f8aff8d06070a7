"""What an executor is handed: `Parts` (the run's state, its request runner and its reporter)
and a `Target` (one declared resource being deployed), and the no-op's state-only work.

Its own module, and the runner made on first use, so that a run which sends no request (a
no-op `plan` or `up`) loads neither the executors, the request runner, the poller nor the
rate limiter: a cold start pays only for what it uses (issue 14).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cloudforge.engine.reporter import Reporter
    from cloudforge.engine.requests import RequestRunner
    from cloudforge.engine.runstate import RunState
    from cloudforge.metadata import TypeMetadata
    from cloudforge.resource import Resource
    from cloudforge.state.sqlite import ResourceRecord


# Write requests in flight at once (submitted, not yet ended), whatever the call concurrency:
# a thousand creates become a steady pipeline instead of a thousand half-polled requests.
MAX_OPERATIONS = 64


class Parts:
    """The run's state and reporter, and its `RequestRunner`, made by `make_runner` when first used."""

    def __init__(
        self, state: RunState, reporter: Reporter, make_runner: Callable[[], RequestRunner]
    ) -> None:
        self.state = state
        self.reporter = reporter
        self._make_runner = make_runner

    @cached_property
    def runner(self) -> RequestRunner:
        return self._make_runner()

    @property
    def runner_made(self) -> bool:
        """Whether the run has needed its request runner (sent, resumed or read anything)."""
        return "runner" in self.__dict__


Found = tuple[str, dict[str, Any]]  # an existing resource: identifier, live properties


@dataclass(frozen=True, slots=True)
class Target:
    """One declared resource being deployed: what it is, and what it should become."""

    resource: Resource
    metadata: TypeMetadata
    redacted: dict[str, Any]  # the declared properties, write-only values as keyed hashes
    started: float  # time.monotonic() when its action started (events' elapsed times)

    @property
    def logical_id(self) -> str:
        return self.resource.logical_id

    @property
    def type_name(self) -> str:
        return self.metadata.type_name

    @property
    def declared(self) -> dict[str, Any]:
        return self.resource.declared


def keep_declared(state: RunState, record: ResourceRecord, redacted: dict[str, Any]) -> ResourceRecord:
    """A no-op's only work: the declared form, when it changed but the cloud is already so."""
    if redacted != record.declared:
        record.declared = redacted
        state.put(record)
    return record
