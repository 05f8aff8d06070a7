"""The engine: what `await resource` reaches, a thin facade over parts it is handed.

`deploy` resumes a pending request, refreshes when asked, decides (`cloudforge.engine.decide`),
runs the decision (`cloudforge.engine.executors`) and reports its one outcome
(`cloudforge.engine.reporter`); `finish` is the end-of-run pass (`cloudforge.engine.teardown`).
The run's records live in a `RunState`, requests go through a `RequestRunner`.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from cloudforge.engine.dataflow import AttributeIndex, edges
from cloudforge.engine.decide import Decision, decide, decide_adoption
from cloudforge.engine.parts import MAX_OPERATIONS, Found, Parts, Target, keep_declared
from cloudforge.engine.patch import redact, scrub, top_level, write_only_texts
from cloudforge.engine.plan import UNKNOWN
from cloudforge.engine.reporter import INTERRUPTED, Reporter, ended
from cloudforge.engine.runstate import Phase, RunState
from cloudforge.engine.teardown import teardown
from cloudforge.errors import ResourceNotFoundError, UsageError
from cloudforge.metadata import TypeMetadata
from cloudforge.resource import Resource
from cloudforge.state.sqlite import ResourceRecord

if TYPE_CHECKING:
    from cloudforge.cloud.cloudcontrol import CloudControl
    from cloudforge.cloud.polling import Backoff
    from cloudforge.engine.requests import RequestRunner


class Engine:
    """One App's engine: `deploy` for each awaited resource, then `finish`."""

    def __init__(
        self,
        state: RunState,
        cloud: CloudControl,
        reporter: Reporter,
        *,
        phase: Phase = "up",
        refresh: bool = False,
        backoff: Backoff | None = None,
        max_operations: int = MAX_OPERATIONS,
    ) -> None:
        self.state = state
        self.cloud = cloud
        self.reporter = reporter
        self.phase = phase
        self.refresh = refresh

        def make_runner() -> RequestRunner:
            from cloudforge.engine.requests import RequestRunner

            return RequestRunner(state, cloud, reporter, backoff, max_operations)

        # Made on first use: a run that sends nothing never loads the request machinery.
        self.parts = Parts(state, reporter, make_runner)
        # The attribute values of the resources awaited so far: what later ones may use.
        self.index = AttributeIndex()
        self.dependencies: dict[str, list[str]] = {}

    async def deploy(self, resource: Resource) -> Resource:
        """Deploy `resource` once per run; awaiting it again waits for the same deploy."""
        logical_id, state = resource.logical_id, self.state
        known = state.declared.get(logical_id)
        if known is not None and known is not resource:
            raise UsageError(
                f"{resource.metadata.type_name} {logical_id!r}: the logical id is declared twice "
                "in this app; each resource needs its own logical id (the first argument)",
                logical_id=logical_id,
                type_name=resource.metadata.type_name,
            )
        task = state.tasks.get(logical_id)
        if task is None:
            state.declared[logical_id] = resource
            state.awaited[logical_id] = time.time()
            # Declared now: it can only use what was awaited before (data flow), or what it
            # names (depends_on).
            self.dependencies[logical_id] = edges(
                logical_id, resource.declared, self.index, resource.depends_on
            )
            task = asyncio.ensure_future(self._deploy(resource))
            state.tasks[logical_id] = task
        return await asyncio.shield(task)

    async def finish(self, failed: bool, interrupted: bool = False) -> None:
        """The end of the run: orphans (destroy: everything) deleted, or planned."""
        await teardown(self.parts, self.phase, failed=failed, interrupted=interrupted)
        if self.phase != "plan" and self.parts.runner_made:  # what nothing measured, nothing stores
            self.runner.remember_durations()

    @property
    def runner(self) -> RequestRunner:
        return self.parts.runner

    async def _deploy(self, resource: Resource) -> Resource:
        deployed = await self._deploy_one(resource)
        self.index.add(resource.logical_id, deployed.attributes)
        return deployed

    async def _deploy_one(self, resource: Resource) -> Resource:
        metadata = type(resource).metadata
        self.state.remember(metadata)
        record = self.state.records.get(resource.logical_id)
        if self.phase == "destroy":
            # What the program reads off it (an Arn wired into another resource) is its last
            # known value, or the placeholder a plan uses when there is none: a destroy from a
            # fresh folder, or a second destroy, runs the program to its end as the first did.
            resource.attributes.update(record.properties if record else {})
            for pointer in metadata.read_only:
                resource.attributes.setdefault(top_level(pointer), UNKNOWN)
            return resource
        declared = resource.declared
        previous = (record.declared, record.pending_declared) if record is not None else ()
        redacted = redact(declared, metadata, self.state.key, previous)
        resumed: str | None = None
        if record is not None and record.status == "pending" and self.phase == "up":
            resumed = record.pending_operation if record.pending_token else None
            record = await self.runner.resume(record)
        refreshed, drift = False, ""
        if self.refresh and record is not None and record.identifier is not None:
            declared_before = record.declared
            record, refreshed = await self._refresh(record, metadata)
            if record is None:
                drift = "drift: deleted out of band"
            elif declared_before == redacted:
                drift = "drift: changed out of band"
        decision = decide(
            metadata,
            _as_up_finds(record, self.phase),
            declared,
            redacted,
            refreshed=refreshed,
            chosen=resource.replacement,
        )
        if drift and decision.action != "noop":
            decision = decision.explained(drift)
        found: Found | None = None
        if decision.action == "create" and resource.adopt and record is None:
            # Look before creating: adopting what exists costs no write at all (a program
            # printed by `cloudforge import` redeploys with zero writes). A create that still
            # collides (found nothing, or raced) adopts on its late AlreadyExists.
            from cloudforge.engine import adoption

            found = await adoption.locate(
                self.runner, resource.logical_id, metadata, declared, strict=False
            )
            if found is not None:
                decision = decide_adoption(metadata, resource.logical_id, found, declared, redacted)
        if self.phase == "plan":
            return self._plan(resource, metadata, record, decision, found)
        target = Target(resource, metadata, redacted, time.monotonic())
        return await self._apply(target, record, decision, found, resumed)

    async def _apply(
        self,
        target: Target,
        record: ResourceRecord | None,
        decision: Decision,
        found: Found | None,
        resumed: str | None,
    ) -> Resource:
        logical_id, type_name, started = target.logical_id, target.type_name, target.started
        self.reporter.step(
            logical_id, type_name, decision.action, "started", started, decision.reason
        )
        try:
            if decision.action == "noop":
                assert record is not None  # nothing to do about a resource the stage holds
                record = keep_declared(self.state, record, target.redacted)  # no request
            else:
                from cloudforge.engine.executors import execute

                record = await execute(self.parts, target, decision, record, found)
        except BaseException as err:
            status = ended(err)
            _mask_secrets(err, target)
            self.reporter.outcome(
                logical_id,
                type_name,
                decision.action,
                status,
                started,
                detail=INTERRUPTED if status == "interrupted" else str(err),
                diff=decision.diff,
                order=decision.order,
            )
            raise
        depends_on = self.dependencies.get(logical_id, [])
        if record.depends_on != depends_on:
            record.depends_on = depends_on
            self.state.put(record)
        action, detail = decision.action, decision.reason
        if action == "create" and logical_id in self.state.adopted:
            action = "adopt"  # the create collided, and adopt=True took the existing one over
        if resumed and action == "noop":
            # The work was done by the request an earlier run left pending: report that.
            action = "create" if resumed == "create" else "update"
            detail = "resumed the request an earlier run left pending"
        self.reporter.outcome(
            logical_id,
            type_name,
            action,
            "succeeded",
            started,
            detail=detail,
            diff=decision.diff,
            identifier=record.identifier,
            order=decision.order,
        )
        resource = target.resource
        resource.attributes.clear()
        resource.attributes.update(record.properties)
        return resource

    def _plan(
        self,
        resource: Resource,
        metadata: TypeMetadata,
        record: ResourceRecord | None,
        decision: Decision,
        found: Found | None,
    ) -> Resource:
        detail = decision.reason
        if record is not None and record.status == "pending":
            detail = (detail + "; " if detail else "") + (
                f"a {record.pending_operation} from an earlier run is pending and will be resumed"
            )
        self.reporter.outcome(
            resource.logical_id,
            metadata.type_name,
            decision.action,
            "planned",
            time.monotonic(),
            detail=detail,
            diff=decision.diff,
            identifier=found[0] if found else record.identifier if record else None,
            order=decision.order,
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
        logical_id = record.logical_id
        try:
            live = await self.runner.read(metadata, record.identifier, logical_id)
        except ResourceNotFoundError:
            self.reporter.read(logical_id, metadata.type_name, started, "deleted out of band")
            if self.phase == "up":
                self.state.drop(logical_id)
            return None, False
        self.reporter.read(logical_id, metadata.type_name, started)
        record.properties = live
        if self.phase == "up":
            self.state.put(record)
        return record, True


def _mask_secrets(err: BaseException, target: Target) -> None:
    """Mask in `err`'s message (and fields) every write-only value the resource sent, should a
    handler's message echo its input: the error is printed, logged and kept in events."""
    secrets = write_only_texts(target.declared, target.metadata)
    if not secrets or not err.args:
        return
    err.args = tuple(scrub(a, secrets) if isinstance(a, str) else a for a in err.args)
    fields = getattr(err, "fields", None)
    if isinstance(fields, dict):
        for key, value in fields.items():
            if isinstance(value, str):
                fields[key] = scrub(value, secrets)
                setattr(err, key, fields[key])


def _as_up_finds(record: ResourceRecord | None, phase: Phase) -> ResourceRecord | None:
    """The record a plan decides from: as the `up` it predicts will find it.

    `up` first resumes a request an earlier run left pending. A pending create or update is
    decided as it stands (no identifier yet: a create; the old declared properties: an update);
    a pending delete that was sent will have removed the resource, so `up` creates it again.
    """
    if (
        phase == "plan"
        and record is not None
        and record.status == "pending"
        and record.pending_operation == "delete"
        and record.pending_token
    ):
        return None
    return record


__all__ = ["Decision", "Engine", "Phase", "decide"]
