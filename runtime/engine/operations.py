"""The per-operation executors: create, update, replace, delete and adopt one resource. Every
write is journaled before it is sent (ClientToken) and once its RequestToken is known, polled to
a terminal status, read back and recorded.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import jsonpatch
from cloudforge.cloud.cloudcontrol import ProgressEvent
from cloudforge.engine import adoption
from cloudforge.engine.decide import decide
from cloudforge.engine.inflight import InFlight, cannot_adopt
from cloudforge.engine.patch import strip_write_only
from cloudforge.errors import (
    AlreadyExistsError,
    CloudControlError,
    NotUpdatableError,
    RequestFailedError,
    ResourceNotFoundError,
)
from cloudforge.events import Action
from cloudforge.metadata import TypeMetadata
from cloudforge.resource import Resource
from cloudforge.state.sqlite import ResourceRecord

# A request that ends FAILED with one of these codes is sent again (a new attempt, hence a new
# ClientToken), up to MAX_RESUBMITS times: they say the handler did not get to change anything.
# NotStabilized and ServiceTimeout are not: the resource may exist half-made, and a second
# create could duplicate a resource whose identifier is generated.
RESUBMIT_CODES = frozenset(
    {"Throttling", "ServiceInternalError", "NetworkFailure", "InternalFailure"}
)
MAX_RESUBMITS = 6


def should_resubmit(status: str | None, code: str | None, attempt: int) -> bool:
    """Whether a finished request is sent again: FAILED with a retryable code, attempts left."""
    return status == "FAILED" and code in RESUBMIT_CODES and attempt < MAX_RESUBMITS


class Operations(InFlight):
    """The executors of `decide`'s actions, one resource each."""

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
            if should_resubmit(status, code, attempt):
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
            if should_resubmit(status, code, attempt):
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
            if should_resubmit(status, code, attempt):
                attempt += 1
                await self._resubmit_pause(attempt)
                continue
            self._done(record)
            raise self._failure(event, "delete", type_name, logical_id)

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
            raise cannot_adopt(
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
