"""Deletion waves: dependents before what they may refer to, independent resources together."""

from __future__ import annotations

from cloudforge.ordering import deletion_waves
from cloudforge.state import ResourceRecord


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
