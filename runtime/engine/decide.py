"""The decision table: what one resource needs (create, no-op, update, replace), decided from its
state record and its declared properties alone, with no API call. `cloudforge plan` shows it;
the engine's executors carry it out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

import jsonpatch
from cloudforge.engine.patch import (
    build_patch,
    create_only_changes,
    declared_diff,
    patch_diff,
    strip_write_only,
    top_level,
)
from cloudforge.engine.plan import PropertyChange
from cloudforge.metadata import TypeMetadata
from cloudforge.state.sqlite import ResourceRecord

DecisionAction = Literal["create", "update", "replace", "noop", "adopt"]


@dataclass(frozen=True, slots=True)
class Decision:
    action: DecisionAction
    patch: jsonpatch.JsonPatch | None = None
    diff: tuple[PropertyChange, ...] = ()
    reason: str = ""

    def explained(self, why: str) -> Decision:
        """The same decision, with `why` (drift, adoption) said before its own reason."""
        return replace(self, reason=why + (f"; {self.reason}" if self.reason else ""))


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
        return Decision("create", diff=tuple(declared_diff(metadata, declared)))
    if record.type_name != metadata.type_name:
        return Decision(
            "replace",
            diff=tuple(declared_diff(metadata, declared)),
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
        return Decision("replace", diff=tuple(forced), reason=f"create-only {names} changed")
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
    diff = tuple(patch_diff(metadata, patch, record.properties))
    if metadata.handlers and not metadata.has_handler("update"):
        return Decision("replace", diff=diff, reason="the type has no update handler")
    return Decision("update", patch=patch, diff=diff)


def decide_adoption(
    metadata: TypeMetadata,
    logical_id: str,
    found: tuple[str, dict[str, Any]],
    declared: dict[str, Any],
    declared_redacted: dict[str, Any],
) -> Decision:
    """Adopting `found` (identifier, live properties): the update it needs, as an "adopt"."""
    identifier, props = found
    existing = ResourceRecord(
        logical_id,
        metadata.type_name,
        identifier,
        declared={},
        properties=strip_write_only(props, metadata),
    )
    decision = decide(metadata, existing, declared, declared_redacted)
    return replace(decision, action="adopt").explained(f"adopting {identifier}")
