"""Operations on one stage's state that never call the cloud: what `cloudforge state ...`,
`stages`, `outputs` and `graph` do, on whichever backend holds the stage.

`opened` takes the stage's lock for anything that writes (and reads under it too, so a listing
never sees a deploy's half-written document); each operation is a plain function of the
backend. A scope is `"<app>/<stage>"`, as `App.scope` builds it.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from cloudforge.errors import CloudforgeError
from cloudforge.state.backends import open_backend
from cloudforge.state.document import (
    export_document,
    key_fingerprint,
    stage_state,
    write_only_hashes,
)
from cloudforge.state.sqlite import ResourceRecord, StageState, StateBackend

Location = str | os.PathLike[str] | None


def scope_of(app: str, stage: str) -> str:
    return f"{app}/{stage}"


def split_scope(scope: str) -> tuple[str, str]:
    app, _, stage = scope.partition("/")
    return app, stage


@dataclass(frozen=True, slots=True)
class StageSummary:
    app: str
    stage: str
    resources: int
    last_run: dict[str, Any]  # phase, result, started, finished; empty when never recorded


def open_location(location: Location, **aws: str | None) -> StateBackend:
    # Deferred: an S3 stage is written once, when the lock is released, not once per record.
    return open_backend(location, deferred=True, **aws)


@contextmanager
def opened(
    scope: str, location: Location, *, lock: bool = True, **aws: str | None
) -> Iterator[tuple[StateBackend, StageState]]:
    """The stage's backend and state, under its lock; written and unlocked on the way out."""
    backend = open_location(location, **aws)
    try:
        if lock:
            backend.lock(scope)
        yield backend, backend.load(scope)
    finally:
        backend.close()  # flushes deferred writes while still locked, then unlocks


def resolve_app(backend: StateBackend, app: str | None, stage: str) -> str:
    """The app whose `stage` is meant: `app`, or the only app that has that stage."""
    if app:
        return app
    apps = sorted({a for a, s in map(split_scope, backend.stages()) if s == stage})
    if len(apps) == 1:
        return apps[0]
    if not apps:
        raise CloudforgeError(
            f"no app has state for stage {stage!r} here; pass --stage (see `cloudforge stages`)"
        )
    raise CloudforgeError(
        f"several apps have a stage {stage!r} ({', '.join(apps)}): pass --app NAME"
    )


def summaries(location: Location, **aws: str | None) -> list[StageSummary]:
    backend = open_location(location, **aws)
    try:
        found = []
        for scope in backend.stages():
            loaded = backend.load(scope)
            app, stage = split_scope(scope)
            last = loaded.info.get("last_run")
            found.append(
                StageSummary(app, stage, len(loaded.records), last if isinstance(last, dict) else {})
            )
        return found
    finally:
        backend.close()


def forget(backend: StateBackend, scope: str, state: StageState, logical_id: str) -> ResourceRecord:
    """Remove a resource from state (it stays in the cloud); returns the record removed."""
    record = record_of(state, logical_id)
    backend.remove(scope, logical_id)
    outcomes = dict(state.info.get("outcomes", {}))
    if outcomes.pop(logical_id, None) is not None:
        backend.put_info(scope, {**state.info, "outcomes": outcomes})
    return record


def rename(
    backend: StateBackend, scope: str, state: StageState, old: str, new: str
) -> ResourceRecord:
    """Give a record a new logical id (a refactor then changes nothing in the cloud)."""
    record = record_of(state, old)
    if not new or new == old:
        raise CloudforgeError(f"the new logical id must differ from {old!r}")
    if new in state.records:
        raise CloudforgeError(
            f"{new!r} already exists in this stage's state: `cloudforge state rm {new}` first "
            "if it is stale"
        )
    if record.status == "pending":
        raise CloudforgeError(
            f"{old!r} has a {record.pending_operation} in flight from an interrupted run: run "
            "`cloudforge up` to finish it first"
        )
    moved = dataclasses.replace(record, logical_id=new)
    backend.put(scope, moved)
    backend.remove(scope, old)
    # Keep ClientTokens of the new id distinct from any it had before.
    generation = max(state.generations.get(old, 0), state.generations.get(new, 0))
    backend.set_generation(scope, new, generation)
    for other in state.records.values():
        if other.depends_on and old in other.depends_on:
            other.depends_on = sorted({new if d == old else d for d in other.depends_on})
            backend.put(scope, other)
    outcomes = dict(state.info.get("outcomes", {}))
    if old in outcomes:
        outcomes[new] = outcomes.pop(old)
        backend.put_info(scope, {**state.info, "outcomes": outcomes})
    return moved


def export(
    backend: StateBackend, scope: str, state: StageState, *, with_key: bool = False
) -> dict[str, Any]:
    app, stage = split_scope(scope)
    return export_document(app, stage, state, backend.secret(), with_key=with_key)


@dataclass(frozen=True, slots=True)
class Imported:
    resources: int
    replaced: int  # records the destination stage held before (with --force)
    rehashed: int  # write-only hashes made under another key (re-sent once by the next up)


def import_into(
    backend: StateBackend, scope: str, state: StageState, doc: dict[str, Any], *, force: bool
) -> Imported:
    """Make the stage's state exactly the document's (refusing to overwrite unless `force`)."""
    incoming = stage_state(doc)
    if state.records and not force:
        raise CloudforgeError(
            f"stage {scope!r} already has {len(state.records)} resources in this state store; "
            "pass --force to replace its state with the file's"
        )
    # A store without a key yet takes the exported one (when the export carries it). Before
    # any record is written: a store holding records never makes a key of its own.
    key = backend.secret(bytes.fromhex(doc["key"]) if doc.get("key") else None)
    for lid in state.records:
        if lid not in incoming.records:
            backend.remove(scope, lid)
    for record in incoming.records.values():
        backend.put(scope, record)
    for lid, generation in incoming.generations.items():
        # Never lower a generation the destination had: ClientTokens must not repeat.
        backend.set_generation(scope, lid, max(generation, state.generations.get(lid, 0)))
    backend.put_info(scope, incoming.info)
    same_key = doc.get("key_fingerprint") == key_fingerprint(key)
    return Imported(
        resources=len(incoming.records),
        replaced=len(state.records),
        rehashed=0 if same_key else write_only_hashes(incoming),
    )


def record_of(state: StageState, logical_id: str) -> ResourceRecord:
    record = state.records.get(logical_id)
    if record is None:
        known = ", ".join(sorted(state.records)) or "none"
        raise CloudforgeError(f"no resource {logical_id!r} in this stage's state (known: {known})")
    return record
