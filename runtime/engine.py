"""The engine: for each awaited resource, decide what to do and do it through Cloud Control.

`decide` is the pure decision table (create / no-op / update / replace) of the design brief;
`Engine` executes decisions: every write is journaled in state before it is sent (ClientToken)
and once its RequestToken is known, polled to a terminal status, read back and recorded. A
pending request found in state (a crashed run) is resumed by its token before deciding again.
At the end of a run `Engine.finish` deletes orphans (or, in the destroy phase, everything) in
reverse creation order.

Re-submission: a request that ends FAILED with Throttling, ServiceInternalError, NetworkFailure
or InternalFailure is sent again (a new attempt, hence a new ClientToken), up to
`MAX_RESUBMITS` times: those codes say the handler did not get to change anything. NotStabilized
and ServiceTimeout are not re-submitted: the resource may exist half-made, and a second create
could duplicate a resource whose identifier is generated.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import jsonpatch
from cloudforge import adoption
from cloudforge.cloudcontrol import CloudControl, ProgressEvent
from cloudforge.errors import (
    AlreadyExistsError,
    CloudControlError,
    CloudforgeError,
    NotUpdatableError,
    RequestFailedError,
    RequestTimeoutError,
    ResourceNotFoundError,
)
from cloudforge.events import Action, Listener, ResourceEvent, Status, emit
from cloudforge.metadata import TypeMetadata
from cloudforge.ordering import deletion_waves
from cloudforge.patch import (
    build_patch,
    create_only_changes,
    declared_diff,
    patch_diff,
    redact,
    split_pointer,
    strip_write_only,
    top_level,
)
from cloudforge.plan import UNKNOWN, Change, PropertyChange
from cloudforge.polling import Backoff, PollTimeout, wait_for
from cloudforge.resource import Resource
from cloudforge.state import ResourceRecord, StateBackend
from cloudforge.tokens import client_token

Phase = Literal["up", "plan", "destroy"]
DecisionAction = Literal["create", "update", "replace", "noop", "adopt"]

RESUBMIT_CODES = frozenset(
    {"Throttling", "ServiceInternalError", "NetworkFailure", "InternalFailure"}
)
MAX_RESUBMITS = 6
READ_RETRIES = 6  # read-after-create on NotFound (eventual consistency)


@dataclass(slots=True)
class Decision:
    action: DecisionAction
    patch: jsonpatch.JsonPatch | None = None
    diff: list[PropertyChange] = field(default_factory=list)
    reason: str = ""


def decide(
    metadata: TypeMetadata,
    record: ResourceRecord | None,
    declared: dict[str, Any],
    declared_redacted: dict[str, Any],
    *,
    refreshed: bool = False,
) -> Decision:
    """The action for one resource, from its state record and its declared properties.

    Without a refresh, declared properties equal to the ones last applied mean no-op without
    looking further (and without any API call). Otherwise the last-read (or, refreshed, live)
    properties are compared with the declared ones.
    """
    if record is None or record.identifier is None:
        return Decision("create", diff=declared_diff(metadata, declared))
    if record.type_name != metadata.type_name:
        return Decision(
            "replace",
            diff=declared_diff(metadata, declared),
            reason=f"the type changed from {record.type_name}",
        )
    if not refreshed and declared_redacted == record.declared:
        return Decision("noop")
    forced = create_only_changes(
        metadata,
        current=record.properties,
        desired_redacted=declared_redacted,
        previous_redacted=record.declared,
    )
    if forced:
        names = ", ".join(change.path for change in forced)
        return Decision("replace", diff=forced, reason=f"create-only {names} changed")
    write_only = {top_level(p) for p in metadata.write_only}
    resend = any(declared_redacted.get(k) != record.declared.get(k) for k in write_only)
    patch = build_patch(
        metadata,
        current=record.properties,
        desired=declared,
        previously_declared=record.declared.keys(),
        resend_write_only=resend,
    )
    if not patch.patch:
        return Decision("noop")
    diff = patch_diff(metadata, patch, record.properties)
    if metadata.handlers and not metadata.has_handler("update"):
        return Decision("replace", diff=diff, reason="the type has no update handler")
    return Decision("update", patch=patch, diff=diff)


def _cannot_adopt(type_name: str, logical_id: str, detail: str) -> AlreadyExistsError:
    return AlreadyExistsError(
        f"{type_name} {logical_id!r} already exists and adopt=True cannot take it over: {detail}",
        type_name=type_name,
        logical_id=logical_id,
        detail=detail,
    )


def _fallback_metadata(type_name: str) -> TypeMetadata:
    try:
        from cloudforge.registry import resource_class  # written by the generator

        return resource_class(type_name).metadata
    except Exception:  # an unknown or removed type: defaults are enough to delete it
        return TypeMetadata(type_name=type_name, schema_file="", primary_identifier=())


class Engine:
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
        # Deletion ordering (cloudforge.ordering): this run's identity, and when the program
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
    ) -> None:
        event = ResourceEvent(
            record.logical_id, type_name, action, status, time.monotonic() - started, detail
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

    async def _wait(
        self,
        event: ProgressEvent,
        metadata: TypeMetadata,
        operation: Literal["create", "update", "delete"],
        subject: Resource | ResourceRecord,
        action: Action,
        started: float,
    ) -> ProgressEvent:
        type_name = metadata.type_name

        async def fetch(token: str) -> ProgressEvent:
            return await self.cloud.status(token, type_name, subject.logical_id)

        def on_poll(polled: ProgressEvent) -> None:
            detail = str(polled.get("OperationStatus", ""))
            self._emit(subject, type_name, action, "polling", started, detail)

        minutes = metadata.timeout_minutes(operation)
        try:
            return await wait_for(
                fetch, event, timeout=minutes * 60.0, backoff=self.backoff, on_poll=on_poll
            )
        except PollTimeout as timeout:
            raise RequestTimeoutError(
                operation=operation,
                type_name=type_name,
                logical_id=subject.logical_id,
                timeout_minutes=minutes,
                request_token=timeout.event.get("RequestToken"),
            ) from None

    @staticmethod
    def _failure(
        event: ProgressEvent, operation: str, type_name: str, logical_id: str
    ) -> RequestFailedError:
        status = event.get("OperationStatus")
        code = event.get("ErrorCode") or ("Cancelled" if status == "CANCEL_COMPLETE" else "Unknown")
        return RequestFailedError(
            operation=operation,
            type_name=type_name,
            logical_id=logical_id,
            error_code=code,
            status_message=event.get("StatusMessage") or str(status),
            request_token=event.get("RequestToken"),
        )

    async def _resubmit_pause(self, attempt: int) -> None:
        await asyncio.sleep(random.uniform(0.5, 1.0) * min(8.0, 0.25 * 2**attempt))

    async def _read(
        self, metadata: TypeMetadata, identifier: str, logical_id: str
    ) -> dict[str, Any]:
        props = await self.cloud.get(metadata.type_name, identifier, logical_id)
        return strip_write_only(props, metadata)

    async def _read_after_create(
        self, metadata: TypeMetadata, identifier: str, logical_id: str
    ) -> dict[str, Any]:
        for attempt in range(READ_RETRIES):
            try:
                return await self._read(metadata, identifier, logical_id)
            except ResourceNotFoundError:
                if attempt == READ_RETRIES - 1:
                    raise
                await asyncio.sleep(0.2 * 2**attempt)
        raise AssertionError("unreachable")

    # -- the program's awaits ------------------------------------------------------------------

    async def deploy(self, resource: Resource) -> Resource:
        logical_id = resource.logical_id
        known = self._declared.get(logical_id)
        if known is not None and known is not resource:
            raise CloudforgeError(
                f"logical id {logical_id!r} is declared twice in this app; each resource needs "
                "its own logical id (the first argument)"
            )
        task = self._tasks.get(logical_id)
        if task is None:
            self._declared[logical_id] = resource
            self._awaited[logical_id] = time.time()
            task = asyncio.ensure_future(self._deploy(resource))
            self._tasks[logical_id] = task
        return await asyncio.shield(task)

    async def _deploy(self, resource: Resource) -> Resource:
        metadata = type(resource).metadata
        self._metadata.setdefault(metadata.type_name, metadata)
        record = self.records.get(resource.logical_id)
        if self.phase == "destroy":
            resource.attributes.update(record.properties if record else {})
            return resource
        declared = resource.declared
        redacted = redact(declared, metadata, self.key)
        resumed: str | None = None
        if record is not None and record.status == "pending" and self.phase == "up":
            resumed = record.pending_operation if record.pending_token else None
            record = await self._resume(record)
        refreshed, drift = False, ""
        if self.refresh and record is not None and record.identifier is not None:
            declared_before = record.declared
            record, refreshed = await self._refresh(record, metadata)
            if record is None:
                drift = "drift: deleted out of band"
            elif declared_before == redacted:
                drift = "drift: changed out of band"
        decision = decide(metadata, record, declared, redacted, refreshed=refreshed)
        if drift and decision.action != "noop":
            decision.reason = drift + (f"; {decision.reason}" if decision.reason else "")
        found: tuple[str, dict[str, Any]] | None = None
        if decision.action == "create" and resource.adopt and record is None:
            # Look before creating: adopting what exists costs no write at all (a program
            # printed by `cloudforge import` redeploys with zero writes). A create that still
            # collides (found nothing, or raced) adopts on its late AlreadyExists.
            found = await self._locate(resource, metadata, declared, strict=False)
            if found is not None:
                existing = ResourceRecord(
                    resource.logical_id,
                    metadata.type_name,
                    found[0],
                    declared={},
                    properties=strip_write_only(found[1], metadata),
                )
                decision = decide(metadata, existing, declared, redacted)
                decision.reason = f"adopting {found[0]}" + (
                    f"; {decision.reason}" if decision.reason else ""
                )
                decision.action = "adopt"
        if self.phase == "plan":
            return self._plan(resource, metadata, record, decision, found)
        started = time.monotonic()
        change = Change(
            resource.logical_id,
            metadata.type_name,
            decision.action,
            "done",
            decision.diff,
            detail=decision.reason,
        )
        action: Action = decision.action
        self._emit(resource, metadata.type_name, action, "started", started, decision.reason)
        try:
            if decision.action == "adopt" and found is not None:
                record = await self._adopt(resource, metadata, declared, redacted, found, started)
            elif decision.action == "create":
                record = await self._create(resource, metadata, declared, redacted, started)
                if resource.logical_id in self._adopted:
                    change.action = "adopt"
            elif decision.action == "update":
                assert record is not None and decision.patch is not None
                record = await self._update(
                    resource, metadata, record, decision.patch, redacted, started
                )
            elif decision.action == "replace":
                assert record is not None
                record = await self._replace(
                    resource, metadata, record, declared, redacted, started
                )
            else:
                assert record is not None
                if redacted != record.declared:
                    # Declared differently but already so in the cloud: only state changes.
                    record.declared = redacted
                    self._put(record)
        except BaseException as err:
            change.status = "failed"
            change.detail = str(err)
            self.changes.append(change)
            self._emit(resource, metadata.type_name, change.action, "failed", started, str(err))
            raise
        if resumed and decision.action == "noop":
            # The work was done by the request an earlier run left pending: report that.
            change.action = "create" if resumed == "create" else "update"
            change.detail = "resumed the request an earlier run left pending"
        change.identifier = record.identifier
        self.changes.append(change)
        self._emit(
            resource,
            metadata.type_name,
            change.action,
            "succeeded",
            started,
            record.identifier or "",
        )
        resource.attributes.clear()
        resource.attributes.update(record.properties)
        return resource

    def _plan(
        self,
        resource: Resource,
        metadata: TypeMetadata,
        record: ResourceRecord | None,
        decision: Decision,
        found: tuple[str, dict[str, Any]] | None = None,
    ) -> Resource:
        detail = decision.reason
        if record is not None and record.status == "pending":
            detail = (detail + "; " if detail else "") + (
                f"a {record.pending_operation} from an earlier run is pending and will be resumed"
            )
        self.changes.append(
            Change(
                resource.logical_id,
                metadata.type_name,
                decision.action,
                "planned",
                decision.diff,
                found[0] if found else record.identifier if record else None,
                detail,
            )
        )
        self._emit(
            resource, metadata.type_name, decision.action, "planned", time.monotonic(), detail
        )
        resource.attributes.clear()
        if found is not None:
            resource.attributes.update(found[1])
        elif decision.action in ("noop", "update") and record is not None:
            resource.attributes.update(record.properties)
        else:
            for pointer in metadata.read_only:
                resource.attributes[top_level(pointer)] = UNKNOWN
        return resource

    async def _refresh(
        self, record: ResourceRecord, metadata: TypeMetadata
    ) -> tuple[ResourceRecord | None, bool]:
        """Read the resource live: None when it was deleted out of band."""
        started = time.monotonic()
        assert record.identifier is not None
        try:
            live = await self._read(metadata, record.identifier, record.logical_id)
        except ResourceNotFoundError:
            self._emit(
                record, metadata.type_name, "read", "succeeded", started, "deleted out of band"
            )
            if self.phase == "up":
                self._drop(record.logical_id)
            return None, False
        self._emit(record, metadata.type_name, "read", "succeeded", started)
        record.properties = live
        if self.phase == "up":
            self._put(record)
        return record, True

    # -- operations ----------------------------------------------------------------------------

    async def _create(
        self,
        resource: Resource,
        metadata: TypeMetadata,
        declared: dict[str, Any],
        redacted: dict[str, Any],
        started: float,
        previous: ResourceRecord | None = None,
    ) -> ResourceRecord:
        """Create the resource. A re-creation (replacement) keeps the `previous` record's place
        in the deletion order: what was created after it may refer to it."""
        logical_id, type_name = resource.logical_id, metadata.type_name
        record = ResourceRecord(
            logical_id,
            type_name,
            None,
            declared={},
            properties={},
            status="pending",
            pending_operation="create",
            pending_declared=redacted,
            created_seq=previous.created_seq if previous else self._next_seq(),
            declared_at=self._declared_at(logical_id),
            ready_at=previous.ready_at if previous else 0.0,
            declared_run=self.run,
        )
        attempt = 0
        while True:
            record.client_token = self._token(logical_id, "create", redacted, attempt, None)
            record.pending_token = None
            await self._journal(record)  # before sending: a crash leaves a trace to resume
            try:
                event = await self.cloud.create(
                    type_name, declared, record.client_token, logical_id
                )
            except AlreadyExistsError as err:
                event = {
                    "OperationStatus": "FAILED",
                    "ErrorCode": "AlreadyExists",
                    "StatusMessage": str(err),
                }
            except CloudControlError:
                # Rejected outright (validation, unknown type...): no request exists, so the
                # journal entry goes. An EndpointError keeps it: the request may have arrived.
                self._forget(logical_id)
                raise
            else:
                record.pending_token = event.get("RequestToken")
                record.identifier = event.get("Identifier")
                await self._journal(record)
                self._emit(
                    resource, type_name, "create", "polling", started, record.pending_token or ""
                )
                event = await self._wait(event, metadata, "create", resource, "create", started)
            status, code = event.get("OperationStatus"), event.get("ErrorCode")
            if status == "SUCCESS":
                identifier = (
                    event.get("Identifier")
                    or record.identifier
                    or adoption.identifier_of(metadata, declared)
                )
                if not identifier:
                    raise self._failure(
                        {**event, "StatusMessage": "the request succeeded without an identifier"},
                        "create",
                        type_name,
                        logical_id,
                    )
                record.identifier = identifier
                record.properties = await self._read_after_create(metadata, identifier, logical_id)
                record.ready_at = record.ready_at or time.time()
                record.done_at = time.time()
                record.declared = redacted
                return self._done(record)
            if status == "FAILED" and code in RESUBMIT_CODES and attempt < MAX_RESUBMITS:
                attempt += 1
                self._emit(
                    resource, type_name, "create", "polling", started, f"{code}: re-submitting"
                )
                await self._resubmit_pause(attempt)
                continue
            self._drop(logical_id)
            if code == "AlreadyExists":
                if resource.adopt:
                    found = await self._locate(
                        resource, metadata, declared, event.get("Identifier"), strict=True
                    )
                    assert found is not None
                    return await self._adopt(resource, metadata, declared, redacted, found, started)
                raise AlreadyExistsError(
                    type_name=type_name,
                    logical_id=logical_id,
                    detail=event.get("StatusMessage") or "AlreadyExists",
                )
            raise self._failure(event, "create", type_name, logical_id)

    async def _update(
        self,
        resource: Resource,
        metadata: TypeMetadata,
        record: ResourceRecord,
        patch: jsonpatch.JsonPatch,
        redacted: dict[str, Any],
        started: float,
    ) -> ResourceRecord:
        logical_id, type_name = record.logical_id, metadata.type_name
        assert record.identifier is not None
        identifier = record.identifier
        attempt = 0
        while True:
            record.status = "pending"
            record.pending_operation = "update"
            record.declared_at = self._declared_at(logical_id)
            record.declared_run = self.run
            record.pending_declared = redacted
            record.client_token = self._token(logical_id, "update", redacted, attempt, identifier)
            record.pending_token = None
            await self._journal(record)
            try:
                event = await self.cloud.update(
                    type_name, identifier, patch.patch, record.client_token, logical_id
                )
            except NotUpdatableError:
                self._put(record.cleared())
                if not metadata.conditional_create_only:
                    raise
                # A conditionally create-only property did need a replacement after all.
                return await self._replace(
                    resource,
                    metadata,
                    self.records[logical_id],
                    resource.declared,
                    redacted,
                    started,
                )
            except CloudControlError:
                self._put(record.cleared())  # rejected outright: no request is pending
                raise
            except ResourceNotFoundError:
                self._drop(logical_id)  # deleted out of band: create it again
                return await self._create(
                    resource, metadata, resource.declared, redacted, started, record
                )
            record.pending_token = event.get("RequestToken")
            await self._journal(record)
            event = await self._wait(event, metadata, "update", record, "update", started)
            status, code = event.get("OperationStatus"), event.get("ErrorCode")
            if status == "SUCCESS":
                record.properties = await self._read(metadata, identifier, logical_id)
                record.done_at = time.time()
                record.declared = redacted
                return self._done(record)
            if status == "FAILED" and code in RESUBMIT_CODES and attempt < MAX_RESUBMITS:
                attempt += 1
                await self._resubmit_pause(attempt)
                continue
            self._done(record)  # the old declared state stays: the next run tries again
            if code == "NotFound":
                self._drop(logical_id)
                return await self._create(
                    resource, metadata, resource.declared, redacted, started, record
                )
            raise self._failure(event, "update", type_name, logical_id)

    async def _replace(
        self,
        resource: Resource,
        metadata: TypeMetadata,
        record: ResourceRecord,
        declared: dict[str, Any],
        redacted: dict[str, Any],
        started: float,
    ) -> ResourceRecord:
        old_metadata = (
            metadata
            if record.type_name == metadata.type_name
            else self.metadata_for(record.type_name)
        )
        if metadata.replacement_strategy == "delete_then_create":
            await self._delete(record, old_metadata, started, action="replace")
            return await self._create(resource, metadata, declared, redacted, started, record)
        # create_then_delete: the old resource moves to its own key first, so that a crash
        # before it is deleted leaves an orphan the next run deletes (never a lost resource).
        doomed = ResourceRecord(
            f"{record.logical_id}#replaced-{self.generations.get(record.logical_id, 0)}",
            record.type_name,
            record.identifier,
            record.declared,
            record.properties,
            created_seq=record.created_seq,
            declared_at=record.declared_at,
            ready_at=record.ready_at,
            declared_run=record.declared_run,
            done_at=record.done_at,
        )
        self._put(doomed)
        self._forget(record.logical_id)
        new = await self._create(resource, metadata, declared, redacted, started, record)
        await self._delete(doomed, old_metadata, started, action="replace")
        return new

    async def _delete(
        self,
        record: ResourceRecord,
        metadata: TypeMetadata,
        started: float,
        action: Action = "delete",
    ) -> None:
        logical_id, type_name = record.logical_id, metadata.type_name
        if record.identifier is None:
            self._drop(logical_id)  # a create that never produced a resource
            return
        identifier = record.identifier
        attempt = 0
        while True:
            record.status = "pending"
            record.pending_operation = "delete"
            record.client_token = self._token(logical_id, "delete", None, attempt, identifier)
            record.pending_token = None
            await self._journal(record)
            try:
                event = await self.cloud.delete(
                    type_name, identifier, record.client_token, logical_id
                )
            except ResourceNotFoundError:
                self._drop(logical_id)
                return
            except CloudControlError:
                self._put(record.cleared())  # rejected outright: no request is pending
                raise
            record.pending_token = event.get("RequestToken")
            await self._journal(record)
            event = await self._wait(event, metadata, "delete", record, action, started)
            status, code = event.get("OperationStatus"), event.get("ErrorCode")
            if status == "SUCCESS" or (status == "FAILED" and code == "NotFound"):
                self._drop(logical_id)
                return
            if status == "FAILED" and code in RESUBMIT_CODES and attempt < MAX_RESUBMITS:
                attempt += 1
                await self._resubmit_pause(attempt)
                continue
            self._done(record)
            raise self._failure(event, "delete", type_name, logical_id)

    async def _resume(self, record: ResourceRecord) -> ResourceRecord | None:
        """Finish the request an earlier run left pending; returns the record as it now is."""
        metadata = self.metadata_for(record.type_name)
        started = time.monotonic()
        operation: Literal["create", "update", "delete"] = (
            "update"
            if record.pending_operation == "update"
            else "delete"
            if record.pending_operation == "delete"
            else "create"
        )
        if record.pending_token is None:
            # Crashed before the request token was journaled. Deciding again derives the same
            # ClientToken (same inputs, same generation), so a request that was sent is repeated,
            # not duplicated.
            return self._forget_pending(record)
        self._emit(
            record,
            record.type_name,
            operation,
            "polling",
            started,
            "resuming " + record.pending_token,
        )
        try:
            event = await self.cloud.status(
                record.pending_token, record.type_name, record.logical_id
            )
        except CloudControlError as err:
            if getattr(err, "code", "") != "RequestTokenNotFoundException":
                raise
            return self._forget_pending(record)
        event = await self._wait(event, metadata, operation, record, operation, started)
        status, code = event.get("OperationStatus"), event.get("ErrorCode")
        succeeded = status == "SUCCESS"
        if operation == "delete":
            if succeeded or code == "NotFound":
                self._drop(record.logical_id)
                return None
            return self._done(record)
        if not succeeded:
            if operation == "create":
                self._drop(record.logical_id)
                return None
            return self._done(record)
        identifier = event.get("Identifier") or record.identifier
        if not identifier:
            self._drop(record.logical_id)
            return None
        record.identifier = identifier
        record.properties = await self._read_after_create(metadata, identifier, record.logical_id)
        record.ready_at = record.ready_at or time.time()
        record.done_at = time.time()
        record.declared = record.pending_declared or {}
        self._emit(record, record.type_name, operation, "succeeded", started, "resumed")
        return self._done(record)

    def _forget_pending(self, record: ResourceRecord) -> ResourceRecord | None:
        # The generation is NOT bumped: the next attempt must derive the same ClientToken.
        if record.identifier is None:
            self._forget(record.logical_id)
            return None
        record = record.cleared()
        self._put(record)
        return record

    async def _locate(
        self,
        resource: Resource,
        metadata: TypeMetadata,
        declared: dict[str, Any],
        hint: str | None = None,
        *,
        strict: bool,
    ) -> tuple[str, dict[str, Any]] | None:
        """The existing resource the declared one would collide with, if it can be found.

        By the identifier a failed event named (`hint`), else by a declared identifier (a
        bucket name), else through ListResources matched on the identifying properties. With
        `strict`, a lookup that cannot be made or finds nothing raises AlreadyExistsError
        saying why; otherwise it returns None.
        """
        logical_id, type_name = resource.logical_id, metadata.type_name
        identifier = hint or adoption.identifier_of(metadata, declared)
        if identifier:
            try:
                return identifier, await self._read(metadata, identifier, logical_id)
            except ResourceNotFoundError:
                pass  # an event may name the identifier the create would have had

        def cannot(detail: str) -> AlreadyExistsError | None:
            if not strict:
                return None
            return _cannot_adopt(type_name, logical_id, detail)

        problem: AlreadyExistsError | None
        model, missing = adoption.list_model(metadata, declared)
        keys = adoption.identifying_keys(metadata, declared)
        if metadata.handlers and not metadata.has_handler("list"):
            problem = cannot("the type has no list handler, so the existing one cannot be found")
        elif missing:
            problem = cannot(f"ListResources needs {', '.join(missing)}; declare them")
        elif not keys:
            problem = cannot("no declared property identifies the existing resource")
        else:
            for found, listed in await self.cloud.list(type_name, model or None, logical_id):
                verdict = adoption.matches(metadata, keys, declared, listed)
                if verdict is False:
                    continue
                props = await self._read(metadata, found, logical_id)
                if verdict or adoption.matches(metadata, keys, declared, props):
                    return found, props
            wanted = ", ".join(f"{k}={declared[k]!r}" for k in keys)
            problem = cannot(f"no resource with {wanted} was found through ListResources")
        if problem is not None:
            raise problem
        return None

    async def _adopt(
        self,
        resource: Resource,
        metadata: TypeMetadata,
        declared: dict[str, Any],
        redacted: dict[str, Any],
        found: tuple[str, dict[str, Any]],
        started: float,
    ) -> ResourceRecord:
        """Take `found` into state, then bring it to the declared properties (others as found)."""
        logical_id, type_name = resource.logical_id, metadata.type_name
        identifier, props = found
        self._emit(resource, type_name, "adopt", "started", started, identifier)
        record = ResourceRecord(
            logical_id,
            type_name,
            identifier,
            declared={},
            properties=strip_write_only(props, metadata),
            created_seq=self._next_seq(),
            declared_at=self._declared_at(logical_id),
            ready_at=time.time(),
            declared_run=self.run,
            done_at=time.time(),
        )
        decision = decide(metadata, record, declared, redacted)
        if decision.action == "replace":
            raise _cannot_adopt(
                type_name,
                logical_id,
                f"found {identifier}, but it differs in what cannot be updated "
                f"({decision.reason}); declare the existing values, or remove it first",
            )
        record = self._done(record)
        self._adopted.add(logical_id)
        if decision.action == "update":
            assert decision.patch is not None
            return await self._update(resource, metadata, record, decision.patch, redacted, started)
        record.declared = redacted
        self._put(record)
        return record

    # -- end of run ----------------------------------------------------------------------------

    async def finish(self, failed: bool, interrupted: bool = False) -> None:
        """Delete orphans (destroy: everything), dependents first; plan them in plan.

        Deletions go in waves (`cloudforge.ordering`): a wave's resources are deleted
        concurrently, a wave starts when the previous one is done, and a failure stops the
        waves after its own. `interrupted` (Ctrl-C, cancellation): resources still in flight
        are cancelled rather than waited for; their requests stay journaled for the next run.
        """
        if self._tasks:
            if interrupted:
                for task in self._tasks.values():
                    task.cancel()
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        if self.phase == "destroy":
            targets = list(self.records.values())
        else:
            targets = [r for r in self.records.values() if r.logical_id not in self._declared]
        waves = deletion_waves(targets)
        if self.phase == "plan" or failed:
            for record in [r for wave in waves for r in wave]:
                self._skip_delete(record, planned=self.phase == "plan")
            return
        for index, wave in enumerate(waves):
            outcomes = await asyncio.gather(
                *(self._delete_orphan(record) for record in wave), return_exceptions=True
            )
            errors = [o for o in outcomes if isinstance(o, BaseException)]
            if errors:
                first = errors[0]
                for record in [r for later in waves[index + 1 :] for r in later]:
                    self._skip_delete(record, detail=f"not deleted: {first}")
                raise first
        await self.sync()  # the rest is written when the backend is closed, on the loop

    def _skip_delete(self, record: ResourceRecord, planned: bool = False, detail: str = "") -> None:
        if planned:
            detail = "no longer declared"
        else:
            detail = detail or "not deleted: the run failed (fix it and run again)"
        self.changes.append(
            Change(
                record.logical_id,
                record.type_name,
                "delete",
                "planned" if planned else "skipped",
                identifier=record.identifier,
                detail=detail,
            )
        )
        status: Status = "planned" if planned else "skipped"
        self._emit(record, record.type_name, "delete", status, time.monotonic(), detail)

    async def _delete_orphan(self, record: ResourceRecord) -> None:
        started = time.monotonic()
        change = Change(
            record.logical_id, record.type_name, "delete", "done", identifier=record.identifier
        )
        self._emit(record, record.type_name, "delete", "started", started)
        try:
            current: ResourceRecord | None = record
            if record.status == "pending":
                current = await self._resume(record)
            if current is not None:
                await self._delete(current, self.metadata_for(record.type_name), started)
        except BaseException as err:
            change.status, change.detail = "failed", str(err)
            self.changes.append(change)
            self._emit(record, record.type_name, "delete", "failed", started, str(err))
            raise
        self.changes.append(change)
        self._emit(record, record.type_name, "delete", "succeeded", started)


__all__ = ["Decision", "Engine", "decide", "split_pointer"]
