"""The state of one run: the stage's records and generations as this run sees them, what the
program declared and awaited, and the tasks deploying it.

Every record change goes through here, to memory and to the state backend at once; `journal`
and `sync` make the changes durable (off the event loop) at the points a crash must find them.
`RunState.open` loads the stage; the constructor does no I/O.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from cloudforge.cloud.target import Target as CloudTarget
from cloudforge.cloud.tokens import client_token
from cloudforge.metadata import TypeMetadata
from cloudforge.names import internal_id
from cloudforge.resource import Resource
from cloudforge.state.durations import Figures, Key
from cloudforge.state.sqlite import ResourceRecord, StateBackend

Phase = Literal["up", "plan", "destroy"]
# The generations row holding the stage's floor: outside the logical-id form, no id's own.
FLOOR_ID = internal_id("", "floor")


def _fallback_metadata(type_name: str) -> TypeMetadata:
    try:
        from cloudforge.registry import resource_class  # written by the generator

        return resource_class(type_name).metadata
    except Exception:  # an unknown or removed type: defaults are enough to delete it
        return TypeMetadata(type_name=type_name, schema_file="", primary_identifier=())


@dataclass(eq=False)
class RunState:
    """The run's records, generations and declarations; the one writer of the stage's state."""

    stage: str
    backend: StateBackend
    key: bytes  # of ClientTokens and write-only hashes
    records: dict[str, ResourceRecord] = field(default_factory=dict)
    generations: dict[str, int] = field(default_factory=dict)
    # Above every generation a dropped id reached: where an id without a row starts.
    floor: int = 0
    # The stage's info as loaded (outputs, last run: `cloudforge.engine.lastrun`).
    info: dict[str, Any] = field(default_factory=dict)
    # What requests of each (type, operation) took in the stage's last runs (as loaded).
    durations: dict[Key, Figures] = field(default_factory=dict)
    # This run's identity for deletion ordering (cloudforge.engine.ordering): its start time.
    run: float = field(default_factory=time.time)
    # What the program declared, when it awaited each (what it refers to was ready by then),
    # the tasks deploying them, and those adopted instead of created.
    declared: dict[str, Resource] = field(default_factory=dict)
    awaited: dict[str, float] = field(default_factory=dict)
    tasks: dict[str, asyncio.Future[Resource]] = field(default_factory=dict)
    adopted: set[str] = field(default_factory=set)
    # Where this run acts (cloudforge.cloud.target), stamped on every record it writes; found
    # on first need through `locate` (no call at all for a run that writes nothing). `foreign`:
    # records made at another target, which --refresh re-homes (cloudforge.engine.targets).
    where: CloudTarget | None = None
    locate: Callable[[], CloudTarget] | None = None
    foreign: dict[str, CloudTarget] = field(default_factory=dict)
    _seq: int = 0
    _metadata: dict[str, TypeMetadata] = field(default_factory=dict)
    # State changes made / made durable (see `sync`).
    _changes: int = 0
    _synced: int = 0
    _sync_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    def open(cls, stage: str, backend: StateBackend) -> RunState:
        """The run's state, loaded from `backend` (one read of the whole stage)."""
        loaded = backend.load(stage)
        floor = loaded.generations.pop(FLOOR_ID, 0)
        return cls(
            stage=stage,
            backend=backend,
            key=backend.secret(),
            records=loaded.records,
            generations=loaded.generations,
            floor=floor,
            info=loaded.info,
            durations=loaded.durations,
            _seq=max((r.created_seq for r in loaded.records.values()), default=0),
        )

    # -- record changes ------------------------------------------------------------------------

    def target(self) -> CloudTarget | None:
        if self.where is None and self.locate is not None:
            self.where = self.locate()
        return self.where

    def put(self, record: ResourceRecord) -> None:
        where = self.target()
        if where is not None:
            record.account, record.region, record.endpoint = (
                where.account, where.region, where.endpoint
            )
            self.foreign.pop(record.logical_id, None)
        self.records[record.logical_id] = record
        self.backend.put(self.stage, record)
        self._changes += 1

    def forget(self, logical_id: str) -> None:
        self.records.pop(logical_id, None)
        self.backend.remove(self.stage, logical_id)
        self._changes += 1

    def done(self, record: ResourceRecord) -> ResourceRecord:
        """Record a finished operation: the record is ready, the generation moves on."""
        record = record.cleared()
        self._bump(record.logical_id)
        self.put(record)
        return record

    def drop(self, logical_id: str) -> None:
        """The resource is gone (deleted, or a create that made nothing): forget it for good.

        Its generation row goes too (destroying 1,000 resources leaves no row behind): the
        stage's floor rises past it instead, and an id without a row starts at the floor, so
        a later create of the same id still derives a ClientToken never used before.
        """
        self.forget(logical_id)
        ended = self.generation(logical_id) + 1
        self.generations.pop(logical_id, None)
        self.backend.remove_generation(self.stage, logical_id)
        if ended > self.floor:
            self.floor = ended
            self.backend.set_generation(self.stage, FLOOR_ID, ended)
        self._changes += 1

    def generation(self, logical_id: str) -> int:
        return self.generations.get(logical_id, self.floor)

    def pin(self, logical_id: str) -> int:
        """The id's generation, written down before a token is derived from it: a floor that
        rises meanwhile (another resource deleted) must not change a resent request's token."""
        if logical_id not in self.generations:
            self.generations[logical_id] = self.floor
            self.backend.set_generation(self.stage, logical_id, self.floor)
            self._changes += 1
        return self.generations[logical_id]

    def unjournal(self, record: ResourceRecord) -> ResourceRecord | None:
        """Take back a journaled request that was never made (rejected, or never sent).

        The generation is NOT bumped: a later attempt must derive the same ClientToken.
        """
        if record.identifier is None:
            self.forget(record.logical_id)
            return None
        record = record.cleared()
        self.put(record)
        return record

    def put_info(self, info: dict[str, Any]) -> None:
        """Replace the stage's info (written with the run's last state write)."""
        self.info = info
        self.backend.put_info(self.stage, info)
        self._changes += 1

    def put_durations(self, durations: dict[Key, Figures]) -> None:
        """Replace what the stage's requests took (once, at the end of a run that polled)."""
        if durations != self.durations:
            self.durations = durations
            self.backend.put_durations(self.stage, durations)
            self._changes += 1

    def _bump(self, logical_id: str) -> None:
        generation = self.generation(logical_id) + 1
        self.generations[logical_id] = generation
        self.backend.set_generation(self.stage, logical_id, generation)
        self._changes += 1

    # -- durability ----------------------------------------------------------------------------

    async def journal(self, record: ResourceRecord) -> None:
        """Record `record` durably: before a write is sent, and once its RequestToken is known."""
        self.put(record)
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

    # -- derived values ------------------------------------------------------------------------

    def token(
        self, logical_id: str, operation: str, desired: Any, attempt: int, identifier: str | None
    ) -> str:
        """The ClientToken of a request: the same inputs and generation give the same token."""
        return client_token(
            self.key,
            stage=self.stage,
            logical_id=logical_id,
            operation=operation,
            desired=desired,
            attempt=attempt,
            generation=self.pin(logical_id),
            identifier=identifier,
        )

    def declared_at(self, logical_id: str) -> float:
        # The await, not the moment a (re-)submission is sent: a retry or a resumed request
        # must not make the resource look declared after what became ready meanwhile.
        return self.awaited.get(logical_id) or time.time()

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def remember(self, metadata: TypeMetadata) -> None:
        """The metadata of a type the program declared (an orphan's type may be gone)."""
        self._metadata.setdefault(metadata.type_name, metadata)

    def metadata_for(self, type_name: str) -> TypeMetadata:
        if type_name not in self._metadata:
            self._metadata[type_name] = _fallback_metadata(type_name)
        return self._metadata[type_name]
