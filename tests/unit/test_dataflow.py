"""Dependencies from data flow (`cloudforge.engine.dataflow`) and deletion waves from edges
(`cloudforge.engine.ordering`): pure functions, table-driven."""

from __future__ import annotations

import pytest
from cloudforge.engine.dataflow import AttributeIndex, edges, spans
from cloudforge.engine.lastrun import masked
from cloudforge.engine.ordering import deletion_waves
from cloudforge.state.sqlite import ResourceRecord

BUCKET = {"BucketName": "shop-data", "Arn": "arn:aws:s3:::shop-data", "Status": "Enabled"}


def index() -> AttributeIndex:
    found = AttributeIndex()
    found.add("data", BUCKET)
    found.add("key", {"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "Enabled": True})
    return found


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ({"Bucket": "shop-data"}, ["data"]),  # Ref-like: the whole value
        ({"PolicyDocument": {"Statement": [{"Resource": "arn:aws:s3:::shop-data/*"}]}}, ["data"]),
        ({"Url": "https://x/1234abcd-12ab-34cd-56ef-1234567890ab?v=1"}, ["key"]),
        ({"Tags": [{"Key": "bucket", "Value": "shop-data"}]}, ["data"]),
        ({"QueueName": "shop-data-events"}, []),  # a longer name is not a reference
        ({"Status": "Enabled"}, []),  # the same setting under the same property name
        ({"Name": "x"}, []),
    ],
)
def test_edges_from_attribute_values_in_declared_properties(
    declared: dict[str, object], expected: list[str]
) -> None:
    assert edges("user", declared, index()) == expected


def test_explicit_depends_on_adds_edges_and_never_itself() -> None:
    assert edges("user", {}, index(), ["zeta", "data", "user"]) == ["data", "zeta"]


def test_spans_are_bounded_by_separators() -> None:
    found = set(spans("arn:aws:s3:::data/*"))
    assert found >= {"arn:aws:s3:::data/*", "arn:aws:s3:::data", "data", "aws:s3"}
    assert "s3" not in found  # shorter than any value that counts
    assert set(spans("arn:aws:s3:::data/*", longest=4)) == {"arn:aws:s3:::data/*", "data"}


def record(lid: str, seq: int, depends_on: list[str] | None, at: float = 0.0) -> ResourceRecord:
    return ResourceRecord(
        lid, "T", lid, {}, {}, created_seq=seq, depends_on=depends_on,
        declared_at=at, ready_at=at, declared_run=1.0, done_at=at,
    )


def ids(waves: list[list[ResourceRecord]]) -> list[list[str]]:
    return [sorted(r.logical_id for r in wave) for wave in waves]


def test_waves_from_edges_put_independent_resources_together() -> None:
    records = [record("bucket", 1, []), *(record(f"q{i}", 2 + i, []) for i in range(5)),
               record("policy", 9, ["bucket"])]
    assert ids(deletion_waves(records)) == [["policy", "q0", "q1", "q2", "q3", "q4"], ["bucket"]]


def test_a_chain_of_edges_goes_one_per_wave_and_a_cycle_newest_first() -> None:
    chain = [record("a", 1, []), record("b", 2, ["a"]), record("c", 3, ["b"])]
    assert ids(deletion_waves(chain)) == [["c"], ["b"], ["a"]]
    cycle = [record("a", 1, ["b"]), record("b", 2, ["a"])]
    assert ids(deletion_waves(cycle)) == [["b"], ["a"]]


def test_records_without_edges_fall_back_to_times_beside_records_with_edges() -> None:
    # "old" (no edges, older state) was declared after "base" was ready: it may use it.
    records = [record("base", 1, [], at=10.0), record("old", 2, None, at=20.0),
               record("new", 3, [], at=30.0)]
    assert ids(deletion_waves(records)) == [["new", "old"], ["base"]]


def test_outputs_holding_a_write_only_value_are_masked() -> None:
    secrets = ["hunter2", {"Password": "pw-123456"}]
    assert masked("postgres://u:hunter2@h", secrets) == "(write-only value)"
    assert masked({"login": {"pw": "pw-123456"}}, secrets) == "(write-only value)"
    assert masked({"host": "h", "port": 5432}, secrets) == {"host": "h", "port": 5432}


def test_depends_on_takes_resources_or_logical_ids() -> None:
    from cloudforge.aws.sqs import Queue
    from cloudforge.errors import UsageError

    first = Queue("first")
    assert Queue("second", depends_on=[first, "other"]).depends_on == ("first", "other")
    assert Queue("third", depends_on=first).depends_on == ("first",)
    with pytest.raises(UsageError, match="'fourth': depends_on takes resources or logical ids, not int"):
        Queue("fourth", depends_on=[1])  # type: ignore[list-item]


def test_an_unknown_replacement_order_is_a_usage_error_naming_the_resource() -> None:
    from cloudforge.aws.sqs import Queue
    from cloudforge.errors import UsageError

    assert Queue("ok").with_replacement("create_then_delete").replacement == "create_then_delete"
    with pytest.raises(UsageError, match=r"AWS::SQS::Queue 'jobs': with_replacement\('sideways'\)") as raised:
        Queue("jobs").with_replacement("sideways")  # type: ignore[arg-type]
    assert raised.value.logical_id == "jobs"
