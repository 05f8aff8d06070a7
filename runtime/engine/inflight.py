"""Requests in flight: waiting for one to reach a terminal status, reading back what it made,
resuming a request an earlier run left pending, and finding an existing resource a create
collided with (the lookup adoption goes through).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Literal

from cloudforge.cloud.cloudcontrol import ProgressEvent
from cloudforge.cloud.polling import PollTimeout, wait_for
from cloudforge.engine import adoption
from cloudforge.engine.journal import Journal
from cloudforge.engine.patch import strip_write_only
from cloudforge.errors import (
    AlreadyExistsError,
    CloudControlError,
    RequestTimeoutError,
    ResourceNotFoundError,
)
from cloudforge.events import Action
from cloudforge.metadata import TypeMetadata
from cloudforge.resource import Resource
from cloudforge.state.sqlite import ResourceRecord

READ_RETRIES = 6  # read-after-create on NotFound (eventual consistency)


def cannot_adopt(type_name: str, logical_id: str, detail: str) -> AlreadyExistsError:
    return AlreadyExistsError(
        f"{type_name} {logical_id!r} already exists and adopt=True cannot take it over: {detail}",
        type_name=type_name,
        logical_id=logical_id,
        detail=detail,
    )


class InFlight(Journal):
    """Waiting, reading back, resuming and looking up: what every operation builds on."""

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
            return cannot_adopt(type_name, logical_id, detail)

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
