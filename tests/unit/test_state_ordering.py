"""Deletion waves: dependents before what they may refer to, independent resources together."""

from __future__ import annotations

from cloudforge.engine.ordering import deletion_waves
from cloudforge.state.sqlite import ResourceRecord


def rec(name: str, seq: int, declared_at: float, ready_at: float) -> ResourceRecord:
    return ResourceRecord(
        name, "T", f"id-{name}", {}, {}, created_seq=seq, declared_at=declared_at, ready_at=ready_at
    )


def names(waves: list[list[ResourceRecord]]) -> list[list[str]]:
    return [sorted(r.logical_id for r in wave) for wave in waves]


def test_created_together_are_deleted_together() -> None:
    records = [rec(f"r{i}", i, declared_at=10.0 + i * 0.01, ready_at=12.0 + i * 0.01) for i in range(5)]
    assert names(deletion_waves(records)) == [["r0", "r1", "r2", "r3", "r4"]]


def test_a_chain_of_awaits_is_deleted_in_reverse() -> None:
    # b was declared after a was ready (it may hold a's ARN), c after b.
    a, b, c = rec("a", 1, 0.0 + 1, 1.0 + 1), rec("b", 2, 2.0 + 1, 3.0 + 1), rec("c", 3, 4.0 + 1, 5.0 + 1)
    assert names(deletion_waves([a, b, c])) == [["c"], ["b"], ["a"]]


def test_a_later_update_makes_a_resource_a_possible_dependent() -> None:
    # y was updated after w was ready, so y may refer to w; but w was created after y was
    # ready, so w may refer to y too: a cycle, broken by reverse creation order.
    x = rec("x", 1, declared_at=10.0, ready_at=11.0)
    y = rec("y", 2, declared_at=50.0, ready_at=11.0)
    w = rec("w", 3, declared_at=40.0, ready_at=41.0)
    assert names(deletion_waves([x, y, w])) == [["w"], ["y"], ["x"]]
    # No cycle when w was created before y was ever ready: y goes first.
    y = rec("y", 3, declared_at=50.0, ready_at=45.0)
    w = rec("w", 2, declared_at=40.0, ready_at=41.0)
    assert names(deletion_waves([x, y, w])) == [["y"], ["w"], ["x"]]


def test_unknown_times_fall_back_to_reverse_creation_order() -> None:
    records = [rec("a", 1, 0.0, 0.0), rec("b", 2, 5.0, 6.0), rec("c", 3, 5.0, 6.0)]
    assert names(deletion_waves(records)) == [["c"], ["b"], ["a"]]


def test_a_cycle_is_broken_in_reverse_creation_order() -> None:
    # Both re-declared (updated) after the other was ready.
    p = rec("p", 1, declared_at=20.0, ready_at=5.0)
    q = rec("q", 2, declared_at=21.0, ready_at=6.0)
    assert names(deletion_waves([p, q])) == [["q"], ["p"]]


def test_nothing_to_delete() -> None:
    assert deletion_waves([]) == []


def written(name: str, seq: int, run: float, declared_at: float, done_at: float, ready_at: float) -> ResourceRecord:
    record = rec(name, seq, declared_at=declared_at, ready_at=ready_at)
    record.declared_run, record.done_at = run, done_at
    return record


def test_resources_rewritten_together_in_a_later_run_stay_independent() -> None:
    # Created together in run 100, updated together in run 200 (awaited at 200.0, done ~205):
    # each was declared after the others first became ready, but before their writes of that
    # run finished, so none can hold what the others' update produced.
    records = [written(f"r{i}", i, 200.0, 200.0 + i * 0.001, 205.0 + i, 102.0) for i in range(5)]
    assert names(deletion_waves(records)) == [["r0", "r1", "r2", "r3", "r4"]]


def test_awaited_after_another_finished_in_the_same_run_is_a_dependent() -> None:
    first = written("first", 1, 200.0, 200.0, 203.0, 102.0)
    second = written("second", 2, 200.0, 203.5, 206.0, 104.0)
    assert names(deletion_waves([first, second])) == [["second"], ["first"]]


def test_a_rewrite_in_a_later_run_does_not_hide_an_earlier_dependent() -> None:
    # `user` was declared in run 100 after `role` was ready (it may hold role's ARN); role was
    # updated in run 200 while user stayed unchanged: user still goes first.
    role = written("role", 1, 200.0, 200.0, 204.0, 101.0)
    user = written("user", 2, 100.0, 101.5, 103.0, 103.0)
    assert names(deletion_waves([role, user])) == [["user"], ["role"]]
