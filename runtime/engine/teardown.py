"""The end-of-run pass: delete what the program no longer declares (in the destroy phase,
everything) in deletion waves, dependents first (`cloudforge.engine.ordering`); in plan, or after a
failed run, only report what would be or was not deleted.
"""

from __future__ import annotations

import asyncio
import time

from cloudforge.engine.ordering import deletion_waves
from cloudforge.engine.parts import Parts
from cloudforge.engine.reporter import INTERRUPTED, ended
from cloudforge.engine.runstate import Phase
from cloudforge.state.sqlite import ResourceRecord


async def teardown(parts: Parts, phase: Phase, *, failed: bool, interrupted: bool = False) -> None:
    """Delete orphans (destroy: everything), dependents first; plan them in plan.

    Deletions go in waves (`cloudforge.engine.ordering`): a wave's resources are deleted
    concurrently, a wave starts when the previous one is done, and a failure stops the waves
    after its own. `interrupted` (Ctrl-C, cancellation): resources still in flight are
    cancelled rather than waited for; their requests stay journaled for the next run.
    """
    state = parts.state
    if state.tasks:
        if interrupted:
            for task in state.tasks.values():
                task.cancel()
        await asyncio.gather(*state.tasks.values(), return_exceptions=True)
    if phase == "destroy":
        targets = list(state.records.values())
    else:
        targets = [r for r in state.records.values() if r.logical_id not in state.declared]
    # Orphans made at another target (a --refresh run re-homing the stage): never deleted
    # here, where they do not live; forgotten, and said so.
    for record in [r for r in targets if r.logical_id in state.foreign]:
        where = state.foreign[record.logical_id]
        _skip(parts, record, planned=phase == "plan",
              detail=f"left at {where}: no longer managed by this stage")
        if phase == "up" and not failed:
            state.forget(record.logical_id)
    targets = [r for r in targets if r.logical_id not in state.foreign]
    waves = deletion_waves(targets)
    if phase == "plan" or failed:
        for record in [r for wave in waves for r in wave]:
            _skip(parts, record, planned=phase == "plan")
        return
    for index, wave in enumerate(waves):
        outcomes = await asyncio.gather(
            *(_delete_orphan(parts, record) for record in wave), return_exceptions=True
        )
        errors = [o for o in outcomes if isinstance(o, BaseException)]
        if errors:
            first = errors[0]
            for record in [r for later in waves[index + 1 :] for r in later]:
                _skip(parts, record, detail=f"not deleted: {first}")
            raise first
    await state.sync()  # the rest is written when the backend is closed, on the loop


def _skip(parts: Parts, record: ResourceRecord, planned: bool = False, detail: str = "") -> None:
    if planned:
        detail = detail or "no longer declared"
    else:
        detail = detail or "not deleted: the run failed (fix it and run again)"
    parts.reporter.outcome(
        record.logical_id,
        record.type_name,
        "delete",
        "planned" if planned else "skipped",
        time.monotonic(),
        detail=detail,
        identifier=record.identifier,
    )


async def _delete_orphan(parts: Parts, record: ResourceRecord) -> None:
    started = time.monotonic()
    logical_id, type_name = record.logical_id, record.type_name
    parts.reporter.step(logical_id, type_name, "delete", "started", started)
    try:
        current: ResourceRecord | None = record
        if record.status == "pending":
            current = await parts.runner.resume(record)
        if current is not None:
            from cloudforge.engine import executors  # here: only a run that deletes needs them

            await executors.delete(parts, current, parts.state.metadata_for(type_name), started)
    except BaseException as err:
        status = ended(err)
        parts.reporter.outcome(
            logical_id,
            type_name,
            "delete",
            status,
            started,
            detail=INTERRUPTED if status == "interrupted" else str(err),
            identifier=record.identifier,
        )
        raise
    parts.reporter.outcome(
        logical_id, type_name, "delete", "succeeded", started, identifier=record.identifier
    )
