"""The order in which a stage's resources are deleted: dependents first, independents together.

A resource can only refer to another (an ARN in its properties) if the other was ready when the
program declared it: an awaited attribute exists only once its create finished. So X may depend
on Y only when X was last declared (awaited for a create, update or replacement) after Y first
became ready, and, when the same run also wrote Y, after that run's write of Y finished (before
then the program had none of Y's attributes: resources updated or replaced together under
`gather` stay independent). Deletion waves delete, together, every resource nothing left may
depend on. Resources created concurrently (gather) share a wave; a chain of awaits is deleted in
reverse creation order, one per wave. In a cycle, or without times (older state), the newest by
creation order goes first, alone (a replaced resource keeps its creation order).

Records that carry their dependencies (`depends_on`, recorded from data flow since issue 17) are
ordered by those edges alone: a resource is deleted once nothing left uses it, so 20 queues that
use nothing go in one wave whatever their times. Times order only the records without edges.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable

from cloudforge.state.sqlite import ResourceRecord


def _run(record: ResourceRecord) -> Hashable:
    # Without a known run (older state) a record is a run of its own: only `ready_at` counts.
    return record.declared_run or ("unknown", record.logical_id)


def _latest_other(top: list[float], own: float) -> float | None:
    """The latest of a group's declaration times leaving out `own` once (top: its two latest)."""
    if top[0] != own:
        return top[0]
    return top[1] if len(top) > 1 else None


def _free(pending: list[ResourceRecord]) -> list[ResourceRecord]:
    """The records no other pending record may depend on (each compared with the others only)."""
    by_run: dict[Hashable, list[float]] = {}
    for record in pending:
        by_run.setdefault(_run(record), []).append(record.declared_at)
    tops = {run: sorted(times, reverse=True)[:2] for run, times in by_run.items()}
    # The two runs with the latest declarations: enough to know the latest of "any other run".
    best = sorted(((top[0], run) for run, top in tops.items()), key=lambda t: t[0], reverse=True)
    free = []
    for record in pending:
        run = _run(record)
        other_run = next((latest for latest, r in best[:2] if r != run), None)
        same_run = _latest_other(tops[run], record.declared_at)
        if (other_run is None or other_run < record.ready_at) and (
            same_run is None or same_run < max(record.ready_at, record.done_at)
        ):
            free.append(record)
    return free


def deletion_waves(records: Iterable[ResourceRecord]) -> list[list[ResourceRecord]]:
    pending = sorted(records, key=lambda r: r.created_seq, reverse=True)
    if pending and all(r.depends_on is not None for r in pending):
        return _edge_waves(pending)
    if any(r.depends_on is not None for r in pending):
        return _mixed_waves(pending)
    return _time_waves(pending)


def _edge_waves(pending: list[ResourceRecord]) -> list[list[ResourceRecord]]:
    """Waves from recorded edges: each wave is what no remaining record depends on."""
    used = {r.logical_id: set(r.depends_on or ()) for r in pending}
    return _peel(pending, lambda remaining: set().union(*(used[r.logical_id] for r in remaining)))


def _may_use(user: ResourceRecord, used: ResourceRecord) -> bool:
    """Times' answer to "may `user` refer to `used`?" (the rule `_free` applies to a group)."""
    if not user.declared_at or not used.ready_at:
        return user.created_seq > used.created_seq
    if _run(user) == _run(used):
        return user.declared_at >= max(used.ready_at, used.done_at)
    return user.declared_at >= used.ready_at


def _mixed_waves(pending: list[ResourceRecord]) -> list[list[ResourceRecord]]:
    """Some records have edges, some (older state) do not: edges where known, times elsewhere.

    Pairwise (quadratic), but only reached while a stage's records are being re-recorded.
    """

    def users_of(remaining: list[ResourceRecord]) -> set[str]:
        needed: set[str] = set()
        for user in remaining:
            if user.depends_on is not None:
                needed.update(user.depends_on)
            else:
                needed.update(
                    r.logical_id for r in remaining if r is not user and _may_use(user, r)
                )
        return needed

    return _peel(pending, users_of)


def _peel(
    pending: list[ResourceRecord],
    needed_by: Callable[[list[ResourceRecord]], set[str]],
) -> list[list[ResourceRecord]]:
    waves: list[list[ResourceRecord]] = []
    while pending:
        needed = needed_by(pending)
        wave = [r for r in pending if r.logical_id not in needed]
        if not wave:  # a cycle (explicit depends_on can make one): newest first, alone
            wave = [pending[0]]
        waves.append(wave)
        chosen = {id(r) for r in wave}
        pending = [r for r in pending if id(r) not in chosen]
    return waves


def _time_waves(pending: list[ResourceRecord]) -> list[list[ResourceRecord]]:
    if any(not r.declared_at or not r.ready_at for r in pending):
        return [[r] for r in pending]  # unknown times: strict reverse creation order
    waves: list[list[ResourceRecord]] = []
    while pending:
        wave = _free(pending)
        if not wave:
            # A cycle (each declared after the other was ready: one was updated or replaced
            # in a later run). Times cannot tell which refers to which: reverse creation order.
            wave = [pending[0]]
        waves.append(wave)
        chosen = {id(r) for r in wave}
        pending = [r for r in pending if id(r) not in chosen]
    return waves
