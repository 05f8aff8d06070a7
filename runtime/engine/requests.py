"""The life of a Cloud Control write request, written once: journal it (with its ClientToken),
send it, journal its RequestToken, wait for its end, re-submit it when it failed for a reason
worth retrying; and resume one an earlier run left pending. Also the reads that follow a write.

The executors (`cloudforge.engine.executors`) decide what a request's end means for their
operation; this module only carries a request to its end.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from cloudforge.cloud.cloudcontrol import CloudControl, EndpointUnreachableError, ProgressEvent
from cloudforge.cloud.polling import Backoff, Durations, PollTimeout, learned_from, wait_for
from cloudforge.engine.parts import MAX_OPERATIONS
from cloudforge.engine.patch import split_pointer, strip_write_only
from cloudforge.engine.reporter import Reporter
from cloudforge.engine.runstate import RunState
from cloudforge.errors import (
    CloudControlError,
    RequestFailedError,
    RequestTimeoutError,
    ResourceNotFoundError,
)
from cloudforge.events import Action
from cloudforge.metadata import TypeMetadata
from cloudforge.state.sqlite import ResourceRecord

Operation = Literal["create", "update", "delete"]
Send = Callable[[str], Awaitable[ProgressEvent]]  # makes the call, given its ClientToken

# A request that ends FAILED with one of these codes is sent again (a new attempt, hence a new
# ClientToken), up to MAX_RESUBMITS times: they say the handler did not get to change anything.
# NotStabilized and ServiceTimeout are not: the resource may exist half-made, and a second
# create could duplicate a resource whose identifier is generated.
RESUBMIT_CODES = frozenset(
    {"Throttling", "ServiceInternalError", "NetworkFailure", "InternalFailure"}
)
MAX_RESUBMITS = 6
READ_RETRIES = 6  # read-after-create on NotFound (eventual consistency)


def identifier_properties(metadata: TypeMetadata, identifier: str) -> dict[str, Any] | None:
    """The primary identifier's properties from the identifier a ProgressEvent carries."""
    names = [split_pointer(p) for p in metadata.primary_identifier]
    if not names or any(len(n) != 1 for n in names):
        return None
    values = identifier.split("|") if len(names) > 1 else [identifier]
    if len(values) != len(names):
        return None
    return {str(n[0]): v for n, v in zip(names, values, strict=True)}


def event_tells_all(metadata: TypeMetadata) -> bool:
    """Whether a write's ProgressEvent carries everything a read-back would add: the type has
    no read-only property beyond its primary identifier (which the event's Identifier holds)."""
    if not metadata.primary_identifier or not metadata.schema_file:
        return False
    return set(metadata.read_only) <= set(metadata.primary_identifier)


def should_resubmit(status: str | None, code: str | None, attempt: int) -> bool:
    """Whether a finished request is sent again: FAILED with a retryable code, attempts left."""
    return status == "FAILED" and code in RESUBMIT_CODES and attempt < MAX_RESUBMITS


def gone(event: ProgressEvent) -> bool:
    """Whether a delete's end means the resource no longer exists (NotFound counts)."""
    status = event.get("OperationStatus")
    return status == "SUCCESS" or (status == "FAILED" and event.get("ErrorCode") == "NotFound")


def failure(
    event: ProgressEvent, operation: str, type_name: str, logical_id: str
) -> RequestFailedError:
    """The error of a request that ended FAILED or CANCEL_COMPLETE."""
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


class RequestRunner:
    """Carries write requests to their end for one run, journaling them in its `RunState`."""

    def __init__(
        self,
        state: RunState,
        cloud: CloudControl,
        reporter: Reporter,
        backoff: Backoff | None = None,
        max_operations: int = MAX_OPERATIONS,
    ) -> None:
        self.state = state
        self.cloud = cloud
        self.reporter = reporter
        self.backoff = backoff
        # What requests of each type took in the last runs and in this one: where the next
        # one's first poll goes (stored again by `remember_durations` at the end of the run).
        self.durations = Durations(stored=learned_from(state.durations))
        self.max_operations = max_operations
        self._operations: asyncio.Semaphore | None = None
        self.read_backs_skipped = 0

    def remember_durations(self) -> None:
        """Store this run's figures with the last runs' (one write, and none if none polled)."""
        self.state.put_durations(self.durations.figures(self.state.durations))

    async def submit(
        self,
        record: ResourceRecord,
        metadata: TypeMetadata,
        operation: Operation,
        send: Send,
        *,
        desired: Any,
        action: Action,
        started: float,
    ) -> ProgressEvent:
        """Journal `record` as pending, `send`, journal the RequestToken, wait for the end.

        A request that failed for a retryable reason is sent again as a new attempt (a new
        ClientToken); the event it finally ended with is returned. A call refused outright
        takes the journal entry back (no request is pending) and raises.
        """
        if self._operations is None:
            self._operations = asyncio.Semaphore(self.max_operations)
        async with self._operations:
            return await self._submit(
                record, metadata, operation, send, desired=desired, action=action, started=started
            )

    async def _submit(
        self,
        record: ResourceRecord,
        metadata: TypeMetadata,
        operation: Operation,
        send: Send,
        *,
        desired: Any,
        action: Action,
        started: float,
    ) -> ProgressEvent:
        logical_id, type_name = record.logical_id, metadata.type_name
        identifier = record.identifier  # None for a create: the token must not depend on it
        attempt = 0
        while True:
            record.status = "pending"
            record.pending_operation = operation
            record.identifier = identifier
            record.client_token = self.state.token(
                logical_id, operation, desired, attempt, identifier
            )
            record.pending_token = None
            await self.state.journal(record)  # before sending: a crash leaves a trace to resume
            try:
                event = await send(record.client_token)
            except (CloudControlError, EndpointUnreachableError):
                # Refused outright, or no connection was made: no request exists. (Another
                # EndpointError is not one: the request may have arrived, so its journal
                # entry stays for the next run.)
                self.state.unjournal(record)
                raise
            # The request started between the moment it left and this answer (not after the
            # journaling below): its reads are placed from the answer, its duration measured
            # from its departure (cloudforge.cloud.polling.wait_for).
            answered = time.monotonic()
            sent = self.cloud.sent(event.get("RequestToken")) or answered
            record.pending_token = event.get("RequestToken")
            if operation == "create":
                record.identifier = event.get("Identifier")
            await self.state.journal(record)
            self.reporter.step(
                logical_id, type_name, action, "polling", started, record.pending_token or ""
            )
            event = await self.wait(
                event, metadata, operation, logical_id, action, started, (sent, answered)
            )
            code = event.get("ErrorCode")
            if not should_resubmit(event.get("OperationStatus"), code, attempt):
                return event
            attempt += 1
            self.reporter.step(
                logical_id, type_name, action, "polling", started, f"{code}: re-submitting"
            )
            await asyncio.sleep(random.uniform(0.5, 1.0) * min(8.0, 0.25 * 2**attempt))

    async def wait(
        self,
        event: ProgressEvent,
        metadata: TypeMetadata,
        operation: Operation,
        logical_id: str,
        action: Action,
        started: float,
        sent: tuple[float, float] | None = None,
    ) -> ProgressEvent:
        """Poll the request of `event` to a terminal status, within the handler's timeout.

        `sent`: when (time.monotonic) this run sent it and had the answer; None for a request an
        earlier run sent, whose age is unknown: it neither uses nor teaches what requests of its
        kind take."""
        type_name = metadata.type_name

        async def fetch(token: str) -> ProgressEvent:
            return await self.cloud.status(token, type_name, logical_id)

        def on_poll(polled: ProgressEvent) -> None:
            detail = str(polled.get("OperationStatus", ""))
            self.reporter.step(logical_id, type_name, action, "polling", started, detail)

        minutes = metadata.timeout_minutes(operation)
        try:
            return await wait_for(
                fetch,
                event,
                timeout=minutes * 60.0,
                backoff=self.backoff,
                on_poll=on_poll,
                durations=self.durations if sent is not None else None,
                key=(type_name, operation),
                sent=sent[0] if sent is not None else None,
                answered=sent[1] if sent is not None else None,
            )
        except PollTimeout as timeout:
            raise RequestTimeoutError(
                operation=operation,
                type_name=type_name,
                logical_id=logical_id,
                timeout_minutes=minutes,
                request_token=timeout.event.get("RequestToken"),
            ) from None

    async def resume(self, record: ResourceRecord) -> ResourceRecord | None:
        """Finish the request an earlier run left pending; the record as it now is (None: gone)."""
        metadata = self.state.metadata_for(record.type_name)
        started = time.monotonic()
        operation: Operation = (
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
            return self.state.unjournal(record)
        logical_id, token = record.logical_id, record.pending_token
        # "started": the resumed work's first line ("Creating..."), its outcome the only other.
        self.reporter.step(
            logical_id,
            record.type_name,
            operation,
            "started",
            started,
            f"resuming the request an earlier run left pending ({token})",
        )
        try:
            event = await self.cloud.status(token, record.type_name, logical_id)
        except CloudControlError as err:
            if err.code != "RequestTokenNotFoundException":
                raise
            return self.state.unjournal(record)
        event = await self.wait(event, metadata, operation, logical_id, operation, started)
        if operation == "delete":
            if gone(event):
                self.state.drop(logical_id)
                return None
            return self.state.done(record)
        if event.get("OperationStatus") != "SUCCESS":
            if operation == "create":
                self.state.drop(logical_id)
                return None
            return self.state.done(record)
        record.identifier = event.get("Identifier") or record.identifier
        if not record.identifier:
            self.state.drop(logical_id)
            return None
        return await self.succeeded(record, metadata, operation)

    async def succeeded(
        self, record: ResourceRecord, metadata: TypeMetadata, operation: Operation
    ) -> ResourceRecord:
        """A create or update that succeeded: read it back and record what it applied."""
        assert record.identifier is not None
        known = identifier_properties(metadata, record.identifier)
        if known is not None and event_tells_all(metadata):
            # Nothing a read would add: what was declared (write-only values left out), the
            # identifier from the event, and for an update what the earlier read held besides.
            kept = {} if operation == "create" else {
                k: v for k, v in record.properties.items() if k not in record.declared
            }
            declared = {k: v for k, v in (record.pending_declared or {}).items()}
            record.properties = {**kept, **strip_write_only(declared, metadata), **known}
            self.read_backs_skipped += 1
            record.ready_at = record.ready_at or time.time()
            record.done_at = time.time()
            record.declared = record.pending_declared or {}
            return self.state.done(record)
        if operation == "create":
            record.properties = await self.read_after_create(
                metadata, record.identifier, record.logical_id
            )
            record.ready_at = record.ready_at or time.time()
        else:
            record.properties = await self.read(metadata, record.identifier, record.logical_id)
        record.done_at = time.time()
        record.declared = record.pending_declared or {}
        return self.state.done(record)

    async def read(
        self, metadata: TypeMetadata, identifier: str, logical_id: str
    ) -> dict[str, Any]:
        """The resource's live properties, without write-only values."""
        props = await self.cloud.get(metadata.type_name, identifier, logical_id)
        return strip_write_only(props, metadata)

    async def read_after_create(
        self, metadata: TypeMetadata, identifier: str, logical_id: str
    ) -> dict[str, Any]:
        for attempt in range(READ_RETRIES):
            try:
                return await self.read(metadata, identifier, logical_id)
            except ResourceNotFoundError:
                if attempt == READ_RETRIES - 1:
                    raise
                await asyncio.sleep(0.2 * 2**attempt)
        raise AssertionError("unreachable")
