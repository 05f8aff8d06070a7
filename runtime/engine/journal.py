"""The engine's bookkeeping for one run: the stage's records and generations, written to the state
backend and made durable (off the event loop) at the points a crash must find them, plus the
ClientTokens derived from them and the progress events sent to listeners.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Any, Literal

from cloudforge.cloud.cloudcontrol import CloudControl
from cloudforge.cloud.polling import Backoff
from cloudforge.cloud.tokens import client_token
from cloudforge.engine.plan import Change, PropertyChange
from cloudforge.events import Action, Listener, ResourceEvent, Status, emit
from cloudforge.metadata import TypeMetadata
from cloudforge.resource import Resource
from cloudforge.state.sqlite import ResourceRecord, StateBackend

Phase = Literal["up", "plan", "destroy"]


def _fallback_metadata(type_name: str) -> TypeMetadata:
    try:
        from cloudforge.registry import resource_class  # written by the generator

        return resource_class(type_name).metadata
    except Exception:  # an unknown or removed type: defaults are enough to delete it
        return TypeMetadata(type_name=type_name, schema_file="", primary_identifier=())


class Journal:
    """State and events of one run; the engine's layers above it carry out the operations."""

    def __init__(
        self,
        *,
        stage: str,
        backend: StateBackend,
        cloud: CloudControl,
        phase: Phase = "up",
        refresh: bool = False,
        listeners: Iterable[Listener] = (),
        backoff: Backoff | None = None,
    ) -> None:
        self.stage = stage
        self.backend = backend
        self.cloud = cloud
        self.phase = phase
        self.refresh = refresh
        self.listeners = list(listeners)
        self.backoff = backoff
        loaded = backend.load(stage)
        self.records = loaded.records
        self.generations = loaded.generations
        self.key = backend.secret()
        self._seq = max((r.created_seq for r in self.records.values()), default=0)
        self._metadata: dict[str, TypeMetadata] = {}
        self._declared: dict[str, Resource] = {}
        self._tasks: dict[str, asyncio.Future[Resource]] = {}
        self._adopted: set[str] = set()
        # Deletion ordering (cloudforge.engine.ordering): this run's identity, and when the program
        # awaited each resource (what it refers to was ready by then).
        self.run = time.time()
        self._awaited: dict[str, float] = {}
        # State changes made / made durable (see `sync`).
        self._changes = 0
        self._synced = 0
        self._sync_lock = asyncio.Lock()
        self.changes: list[Change] = []

    # -- bookkeeping ---------------------------------------------------------------------------

    def _emit(
        self,
        record: ResourceRecord | Resource,
        type_name: str,
        action: Action,
        status: Status,
        started: float,
        detail: str = "",
        diff: Iterable[PropertyChange] = (),
    ) -> None:
        event = ResourceEvent(
            record.logical_id,
            type_name,
            action,
            status,
            time.monotonic() - started,
            detail,
            tuple(diff),
        )
        emit(event, self.listeners)

    def _put(self, record: ResourceRecord) -> None:
        self.records[record.logical_id] = record
        self.backend.put(self.stage, record)
        self._changes += 1

    def _forget(self, logical_id: str) -> None:
        self.records.pop(logical_id, None)
        self.backend.remove(self.stage, logical_id)
        self._changes += 1

    async def _journal(self, record: ResourceRecord) -> None:
        """Record `record` durably: before a write is sent, and once its RequestToken is known."""
        self._put(record)
        await self.sync()

    async def sync(self) -> None:
        """Make every state change so far durable, off the event loop.

        A backend that writes each change at once (SQLite) has nothing to do here. One that
        keeps changes in memory (S3: the whole document per write) gets one write for all the
        changes made so far, so concurrent journal points share a PUT instead of queueing
        behind one each.
        """
        wanted = self._changes
        async with self._sync_lock:
            if self._synced >= wanted:
                return  # a write that started after our change covered it
            covered = self._changes
            job = self.backend.flusher(self.stage)
            if job is not None:
                write = asyncio.ensure_future(asyncio.to_thread(job))
                try:
                    await asyncio.shield(write)
                except asyncio.CancelledError:
                    # The PUT is in flight: let it land before anyone writes again (the next
                    # one is conditional on its ETag).
                    await asyncio.wait([write])
                    raise
            self._synced = covered

    def _bump(self, logical_id: str) -> None:
        generation = self.generations.get(logical_id, 0) + 1
        self.generations[logical_id] = generation
        self.backend.set_generation(self.stage, logical_id, generation)
        self._changes += 1

    def _done(self, record: ResourceRecord) -> ResourceRecord:
        """Record a finished operation: the record is ready, the generation moves on."""
        record = record.cleared()
        self._bump(record.logical_id)
        self._put(record)
        return record

    def _drop(self, logical_id: str) -> None:
        self._forget(logical_id)
        self._bump(logical_id)

    def _declared_at(self, logical_id: str) -> float:
        # The await, not the moment a (re-)submission is sent: a retry or a resumed request
        # must not make the resource look declared after what became ready meanwhile.
        return self._awaited.get(logical_id) or time.time()

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _token(
        self, logical_id: str, operation: str, desired: Any, attempt: int, identifier: str | None
    ) -> str:
        return client_token(
            self.key,
            stage=self.stage,
            logical_id=logical_id,
            operation=operation,
            desired=desired,
            attempt=attempt,
            generation=self.generations.get(logical_id, 0),
            identifier=identifier,
        )

    def metadata_for(self, type_name: str) -> TypeMetadata:
        if type_name not in self._metadata:
            self._metadata[type_name] = _fallback_metadata(type_name)
        return self._metadata[type_name]
