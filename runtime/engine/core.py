"""The engine: what `await resource` reaches. It resumes a pending request, refreshes when asked,
decides (`cloudforge.engine.decide`) and runs the decision (`cloudforge.engine.operations`); `finish` is the
end-of-run pass (`cloudforge.engine.teardown`), on requests in flight and the run's journal below.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from cloudforge.engine.decide import Decision, decide
from cloudforge.engine.journal import Phase
from cloudforge.engine.patch import (
    redact,
    split_pointer,
    strip_write_only,
    top_level,
)
from cloudforge.engine.plan import UNKNOWN, Change
from cloudforge.engine.teardown import Teardown
from cloudforge.errors import (
    CloudforgeError,
    ResourceNotFoundError,
)
from cloudforge.events import Action
from cloudforge.metadata import TypeMetadata
from cloudforge.resource import Resource
from cloudforge.state.sqlite import ResourceRecord


class Engine(Teardown):
    """One App's engine: `deploy` for each awaited resource, then `finish`."""

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
            resource,
            metadata.type_name,
            decision.action,
            "planned",
            time.monotonic(),
            detail,
            decision.diff,
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


__all__ = ["Decision", "Engine", "Phase", "decide", "split_pointer"]
