"""The order in which a stage's resources are deleted: dependents first, independents together.

A resource can only refer to another (an ARN in its properties) if the other was ready when the
program declared it: an awaited attribute exists only once its create finished. So X may depend
on Y only when X's last create/update started after Y first became ready; deletion waves delete,
together, every resource nothing left may depend on. Resources created concurrently (gather)
share a wave; a chain of awaits is deleted in reverse creation order, one per wave. In a cycle,
or without times (older state), the newest by creation order goes first, alone (a replaced
resource keeps its creation order).
"""

from __future__ import annotations

from collections.abc import Iterable

from cloudforge.state import ResourceRecord


def deletion_waves(records: Iterable[ResourceRecord]) -> list[list[ResourceRecord]]:
    pending = sorted(records, key=lambda r: r.created_seq, reverse=True)
    if any(not r.declared_at or not r.ready_at for r in pending):
        return [[r] for r in pending]  # unknown times: strict reverse creation order
    waves: list[list[ResourceRecord]] = []
    while pending:
        # The two latest declaration times, so each record is compared with the others only.
        latest = sorted((r.declared_at for r in pending), reverse=True)[:2]
        wave = []
        for record in pending:
            others = latest[1] if len(latest) > 1 and record.declared_at == latest[0] else latest[0]
            if len(pending) == 1 or others < record.ready_at:
                wave.append(record)
        if not wave:
            # A cycle (each declared after the other was ready: one was updated or replaced
            # later). Times cannot tell which refers to which: reverse creation order decides.
            wave = [pending[0]]
        waves.append(wave)
        chosen = {id(r) for r in wave}
        pending = [r for r in pending if id(r) not in chosen]
    return waves
