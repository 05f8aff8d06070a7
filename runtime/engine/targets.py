"""A run against another target than its records': refused, or (with --refresh) re-homed.

Each record names the account, region and endpoint its resource was made at. A run whose
target differs must never take those records as its own resources (that reported `unchanged`
for what did not exist): without --refresh it stops before any Cloud Control call, naming both
targets; with --refresh each declared resource is read at the new target (found: re-homed,
missing: created there), and records the program no longer declares are forgotten, not deleted
(their resources live elsewhere). Records from before targets were kept are taken as the run's.
"""

from __future__ import annotations

from cloudforge.cloud.target import Target as CloudTarget
from cloudforge.engine.runstate import Phase, RunState
from cloudforge.errors import TargetChangedError
from cloudforge.state.sqlite import ResourceRecord


def recorded_at(record: ResourceRecord) -> CloudTarget | None:
    if not record.endpoint:
        return None  # written before records kept their target
    return CloudTarget(record.account, record.region, record.endpoint)


def settle(state: RunState, phase: Phase, *, refresh: bool) -> None:
    """Check the run's target against the records' (at most one STS call to find it)."""
    if not state.records:
        return  # nothing to compare: the target is found when the first record is written
    current = state.target()
    assert current is not None
    foreign = {
        lid: where
        for lid, record in state.records.items()
        if (where := recorded_at(record)) is not None and where != current
    }
    if foreign and (not refresh or phase == "destroy"):
        recorded = sorted({str(w) for w in foreign.values()})
        examples = ", ".join(sorted(foreign)[:3]) + (", ..." if len(foreign) > 3 else "")
        raise TargetChangedError(
            stage=state.stage,
            count=len(foreign),
            examples=examples,
            recorded="; ".join(recorded),
            current=str(current),
        )
    state.foreign = foreign
    if phase == "up":
        for record in [r for r in state.records.values() if recorded_at(r) is None]:
            state.put(record)  # a record from before targets were kept: this run's target


__all__ = ["recorded_at", "settle"]
