"""The decision table: what one resource needs (create, no-op, update, replace), decided from its
state record and its declared properties alone, with no API call. `cloudforge plan` shows it;
the engine's executors carry it out.

A replacement also decides its order (`replacement_order`): the program's choice for the
resource if it made one, else the strategy the schema states, else delete-then-create when the
new resource would keep the old one's identifying name (its primary identifier, or a create-only
`...Name` / `...Identifier` property, unchanged): create-then-delete cannot work then, since
the name is still taken by the one to be deleted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from cloudforge.engine.patch import (
    WRITE_ONLY_MASK,
    build_patch,
    create_only_changes,
    declared_diff,
    patch_diff,
    same_value,
    split_pointer,
    strip_write_only,
    top_level,
)
from cloudforge.engine.plan import PropertyChange
from cloudforge.metadata import ReplacementStrategy, TypeMetadata
from cloudforge.state.sqlite import ResourceRecord

if TYPE_CHECKING:
    import jsonpatch

DecisionAction = Literal["create", "update", "replace", "noop", "adopt"]


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one declared resource, and why (shared by plan and up)."""

    action: DecisionAction
    patch: jsonpatch.JsonPatch | None = None
    diff: tuple[PropertyChange, ...] = ()
    reason: str = ""
    order: ReplacementStrategy | None = None  # a replacement's: which of the two goes first

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
    chosen: ReplacementStrategy | None = None,
) -> Decision:
    """The action for one resource, from its state record and its declared properties.

    Without a refresh, declared properties equal to the ones last applied mean no-op without
    looking further (and without any API call). Otherwise the last-read (or, refreshed, live)
    properties are compared with the declared ones. `chosen`: the replacement order the
    program chose for this resource, if any.
    """
    decision = _decide(metadata, record, declared, declared_redacted, refreshed=refreshed)
    if decision.action != "replace" or record is None:
        return decision
    if record.type_name != metadata.type_name:  # another type: no name of the old one is kept
        return replace(decision, order=chosen or "create_then_delete")
    order, why = replacement_order(metadata, record, declared, chosen)
    return replace(decision, order=order, reason="; ".join(filter(None, [decision.reason, why])))


def replacement_order(
    metadata: TypeMetadata,
    record: ResourceRecord,
    declared: dict[str, Any],
    chosen: ReplacementStrategy | None = None,
) -> tuple[ReplacementStrategy, str]:
    """Which goes first when `record`'s resource is replaced by the declared one, and why
    (said in the plan when it is not the usual create-then-delete)."""
    if chosen is not None:
        return chosen, f"{_ORDER_WORDS[chosen]}, as the program chose"
    if metadata.replacement_strategy_stated:
        return metadata.replacement_strategy, (
            "" if metadata.replacement_strategy == "create_then_delete"
            else f"{_ORDER_WORDS['delete_then_create']}, as the type's schema says"
        )
    kept = kept_name(metadata, record, declared)
    if kept:
        return "delete_then_create", f"{kept} is kept, so the old one is deleted first"
    return "create_then_delete", ""


_ORDER_WORDS: dict[str, str] = {
    "delete_then_create": "the old one is deleted first",
    "create_then_delete": "the new one is created first",
}


def kept_name(metadata: TypeMetadata, record: ResourceRecord, declared: dict[str, Any]) -> str:
    """The identifying name the replacement would keep (`DBClusterIdentifier "nc-db"`), or ""."""
    read_only = {top_level(p) for p in metadata.read_only}

    def unchanged(name: str) -> bool:
        if name not in declared or name in read_only:
            return False
        old = record.properties.get(name, record.declared.get(name))
        return old is not None and same_value(old, declared[name], metadata.unordered_arrays)

    primary = [top_level(p) for p in metadata.primary_identifier]
    if primary and all(len(split_pointer(p)) == 1 for p in metadata.primary_identifier) and all(
        unchanged(name) for name in primary
    ):
        return ", ".join(f"{name} {_shown(declared[name])}" for name in primary)
    for pointer in metadata.create_only:
        name = top_level(pointer)
        if (
            len(split_pointer(pointer)) == 1
            and (name == "Name" or name.endswith(("Name", "Identifier")))
            and isinstance(declared.get(name), str)
            and unchanged(name)
        ):
            return f"{name} {_shown(declared[name])}"
    return ""


def _shown(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _decide(
    metadata: TypeMetadata,
    record: ResourceRecord | None,
    declared: dict[str, Any],
    declared_redacted: dict[str, Any],
    *,
    refreshed: bool,
) -> Decision:
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
    # The keyed hashes in state tell which write-only values the program changed.
    changed = {k for k in write_only if declared_redacted.get(k) != record.declared.get(k)}
    patch = build_patch(
        metadata,
        current=record.properties,
        desired=declared,
        previously_declared=record.declared.keys(),
        resend_write_only=bool(changed),
    )
    if not patch.patch:
        return Decision("noop")
    diff = tuple(
        _write_only_shown(change, record.declared)
        for change in patch_diff(metadata, patch, record.properties)
        # Write-only values go with every patch (they cannot be read back to compare), but
        # only a changed one is a change to show.
        if top_level(change.path) not in write_only - changed
    )
    if metadata.handlers and not metadata.has_handler("update"):
        return Decision("replace", diff=diff, reason="the type has no update handler")
    return Decision("update", patch=patch, diff=diff)


def _write_only_shown(change: PropertyChange, declared_before: dict[str, Any]) -> PropertyChange:
    """A changed write-only value was there before (masked) when the program declared it."""
    if change.after == WRITE_ONLY_MASK and top_level(change.path) in declared_before:
        return replace(change, before=WRITE_ONLY_MASK)
    return change


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
