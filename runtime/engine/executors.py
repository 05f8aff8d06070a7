"""The executors of `decide`'s actions: create, update, replace, delete and adopt one resource.

Each is a plain function handed the run's parts; the request itself (journal, send, wait,
re-submit) is the `RequestRunner`'s, so an executor only says what to send and what the end
of the request means for its operation.
"""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING

from cloudforge.cloud.cloudcontrol import ProgressEvent
from cloudforge.engine import adoption
from cloudforge.engine.decide import Decision, decide, kept_name, replacement_order
from cloudforge.engine.parts import Found, Parts, Target
from cloudforge.engine.patch import strip_write_only
from cloudforge.engine.requests import failure, gone
from cloudforge.errors import AlreadyExistsError, NotUpdatableError, ResourceNotFoundError
from cloudforge.events import Action
from cloudforge.metadata import ReplacementStrategy, TypeMetadata
from cloudforge.names import internal_id
from cloudforge.state.sqlite import ResourceRecord

if TYPE_CHECKING:
    import jsonpatch



async def execute(
    parts: Parts,
    target: Target,
    decision: Decision,
    record: ResourceRecord | None,
    found: Found | None,
) -> ResourceRecord:
    """Carry out the write `decision` for `target`; the record as it ends. A no-op is no write:
    the engine keeps it without loading this module (`cloudforge.engine.parts.keep_declared`)."""
    if decision.action == "adopt":
        assert found is not None
        return await adopt(parts, target, found)
    if decision.action == "create":
        return await create(parts, target)
    assert record is not None
    if decision.action == "update":
        assert decision.patch is not None
        return await update(parts, target, record, decision.patch)
    assert decision.action == "replace", decision.action
    return await replace(parts, target, record, decision.order)


async def create(
    parts: Parts,
    target: Target,
    previous: ResourceRecord | None = None,
    *,
    replacing: str | None = None,
) -> ResourceRecord:
    """Create the resource. A re-creation (replacement) keeps the `previous` record's place
    in the deletion order: what was created after it may refer to it. `replacing`: the name
    the replaced resource keeps, when it still exists (a collision is then with it, never a
    resource to adopt)."""
    state, metadata = parts.state, target.metadata
    record = ResourceRecord(
        target.logical_id,
        target.type_name,
        None,
        declared={},
        properties={},
        pending_declared=target.redacted,
        created_seq=previous.created_seq if previous else state.next_seq(),
        declared_at=state.declared_at(target.logical_id),
        ready_at=previous.ready_at if previous else 0.0,
        declared_run=state.run,
    )

    async def send(token: str) -> ProgressEvent:
        return await parts.runner.cloud.create(
            target.type_name, target.declared, token, target.logical_id
        )

    try:
        event = await parts.runner.submit(
            record,
            metadata,
            "create",
            send,
            desired=target.redacted,
            action="create",
            started=target.started,
        )
    except AlreadyExistsError as err:  # AlreadyExists usually arrives late, as a FAILED event
        event = {
            "OperationStatus": "FAILED",
            "ErrorCode": "AlreadyExists",
            "StatusMessage": err.detail,
        }
    if event.get("OperationStatus") == "SUCCESS":
        record.identifier = (
            event.get("Identifier")
            or record.identifier
            or adoption.identifier_of(metadata, target.declared)
        )
        if not record.identifier:
            event = {**event, "StatusMessage": "the request succeeded without an identifier"}
            raise failure(event, "create", target.type_name, target.logical_id)
        return await parts.runner.succeeded(record, metadata, "create")
    state.drop(target.logical_id)
    if event.get("ErrorCode") != "AlreadyExists":
        raise failure(event, "create", target.type_name, target.logical_id)
    if replacing is not None:
        raise _replacement_collided(target, event, replacing)
    return await _collided(parts, target, event)


def _replacement_collided(target: Target, event: ProgressEvent, kept: str) -> AlreadyExistsError:
    """A create-then-delete replacement whose new resource collided with the old one (which
    the stage owns: adopting it is never the way out)."""
    detail = event.get("StatusMessage") or "AlreadyExists"
    return AlreadyExistsError(
        f"{target.type_name} {target.logical_id!r}: its replacement could not be created "
        f"({detail}): the resource being replaced still holds the name"
        f"{f' ({kept})' if kept else ''}. It was left as it was, and the stage still "
        "manages it. Delete it first: call .with_replacement(\"delete_then_create\") on the "
        "resource, or declare a new name",
        type_name=target.type_name,
        logical_id=target.logical_id,
        detail=detail,
    )


async def _collided(parts: Parts, target: Target, event: ProgressEvent) -> ResourceRecord:
    """A create that found the resource already there: adopt it when allowed, else say so."""
    if not target.resource.adopt:
        raise AlreadyExistsError(
            type_name=target.type_name,
            logical_id=target.logical_id,
            detail=event.get("StatusMessage") or "AlreadyExists",
            request_token=event.get("RequestToken"),
        )
    found = await adoption.locate(
        parts.runner,
        target.logical_id,
        target.metadata,
        target.declared,
        event.get("Identifier"),
        strict=True,
    )
    assert found is not None
    return await adopt(parts, target, found)


async def update(
    parts: Parts, target: Target, record: ResourceRecord, patch: jsonpatch.JsonPatch
) -> ResourceRecord:
    """Patch the resource in place; re-create it when it was deleted out of band."""
    state, metadata = parts.state, target.metadata
    assert record.identifier is not None
    identifier = record.identifier
    record.declared_at = state.declared_at(target.logical_id)
    record.declared_run = state.run
    record.pending_declared = target.redacted

    async def send(token: str) -> ProgressEvent:
        return await parts.runner.cloud.update(
            target.type_name, identifier, patch.patch, token, target.logical_id
        )

    try:
        event = await parts.runner.submit(
            record,
            metadata,
            "update",
            send,
            desired=target.redacted,
            action="update",
            started=target.started,
        )
    except NotUpdatableError:
        if not metadata.conditional_create_only:
            raise
        # A conditionally create-only property did need a replacement after all.
        current = state.records[target.logical_id]
        order, _ = replacement_order(
            metadata, current, target.declared, target.resource.replacement
        )
        return await replace(parts, target, current, order)
    except ResourceNotFoundError:
        state.drop(target.logical_id)  # deleted out of band: create it again
        return await create(parts, target, previous=record)
    if event.get("OperationStatus") == "SUCCESS":
        return await parts.runner.succeeded(record, metadata, "update")
    state.done(record)  # the old declared state stays: the next run tries again
    if event.get("ErrorCode") == "NotFound":
        state.drop(target.logical_id)
        return await create(parts, target, previous=record)
    raise failure(event, "update", target.type_name, target.logical_id)


async def replace(
    parts: Parts,
    target: Target,
    record: ResourceRecord,
    order: ReplacementStrategy | None = None,
) -> ResourceRecord:
    """Create anew and delete the old one, in `order` (`decide.replacement_order`)."""
    state, metadata = parts.state, target.metadata
    old_metadata = (
        metadata if record.type_name == metadata.type_name else state.metadata_for(record.type_name)
    )
    if order == "delete_then_create":
        await delete(parts, record, old_metadata, target.started, action="replace")
        return await create(parts, target, previous=record)
    # create_then_delete: the old resource moves to its own key first, so that a crash before
    # it is deleted leaves an orphan the next run deletes (never a lost resource).
    generation = state.generation(record.logical_id)
    # Named outside the logical-id form (cloudforge.names), so no declared id can collide.
    doomed = dataclasses.replace(
        record.cleared(), logical_id=internal_id(record.logical_id, f"replaced-{generation}")
    )
    state.put(doomed)
    state.forget(record.logical_id)
    same_type = record.type_name == metadata.type_name
    kept = kept_name(metadata, record, target.declared) if same_type else ""
    try:
        new = await create(parts, target, previous=record, replacing=kept)
    except Exception:
        if record.logical_id not in state.records:
            # The new one was not made (nothing is pending): the old one, untouched, is the
            # resource again, so reverting the program means no change, and a fixed program
            # replaces it on the next run.
            state.forget(doomed.logical_id)
            state.put(dataclasses.replace(doomed, logical_id=record.logical_id))
        raise
    await delete(parts, doomed, old_metadata, target.started, action="replace")
    return new


async def delete(
    parts: Parts,
    record: ResourceRecord,
    metadata: TypeMetadata,
    started: float,
    action: Action = "delete",
) -> None:
    """Delete the resource of `record`; one already gone counts as deleted."""
    state, logical_id = parts.state, record.logical_id
    if record.identifier is None:
        state.drop(logical_id)  # a create that never produced a resource
        return
    identifier = record.identifier

    async def send(token: str) -> ProgressEvent:
        return await parts.runner.cloud.delete(metadata.type_name, identifier, token, logical_id)

    try:
        event = await parts.runner.submit(
            record, metadata, "delete", send, desired=None, action=action, started=started
        )
    except ResourceNotFoundError:
        event = {"OperationStatus": "FAILED", "ErrorCode": "NotFound"}
    if gone(event):
        state.drop(logical_id)
        return
    state.done(record)
    raise failure(event, "delete", metadata.type_name, logical_id)


async def adopt(parts: Parts, target: Target, found: Found) -> ResourceRecord:
    """Take `found` into state, then bring it to the declared properties (others as found)."""
    state, metadata = parts.state, target.metadata
    identifier, props = found
    parts.reporter.step(
        target.logical_id, target.type_name, "adopt", "started", target.started, identifier
    )
    now = time.time()
    record = ResourceRecord(
        target.logical_id,
        target.type_name,
        identifier,
        declared={},
        properties=strip_write_only(props, metadata),
        created_seq=state.next_seq(),
        declared_at=state.declared_at(target.logical_id),
        ready_at=now,
        declared_run=state.run,
        done_at=now,
    )
    decision = decide(metadata, record, target.declared, target.redacted)
    if decision.action == "replace":
        raise adoption.cannot_adopt(
            target.type_name,
            target.logical_id,
            f"found {identifier}, but it differs in what cannot be updated "
            f"({decision.reason}); declare the existing values, or remove it first",
        )
    record = state.done(record)
    state.adopted.add(target.logical_id)
    if decision.action == "update":
        assert decision.patch is not None
        return await update(parts, target, record, decision.patch)
    record.declared = target.redacted
    state.put(record)
    return record
