"""Patch building and replacement detection: table-driven, over a hand-written TypeMetadata."""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch
import pytest
from cloudforge.engine.patch import (
    REDACTED_PREFIX,
    build_patch,
    create_only_changes,
    patch_diff,
    redact,
    same_value,
    strip_write_only,
)
from cloudforge.metadata import TypeMetadata

# A profile-like type: a generated ARN, a create-only name, unordered lists, a write-only secret.
META = TypeMetadata(
    type_name="Test::Service::Thing",
    schema_file="test.json",
    primary_identifier=("/Arn",),
    read_only=("/Arn", "/LastModifiedTime"),
    create_only=("/Name", "/Parent"),
    write_only=("/Secret", "/Config/Password"),
    unordered_arrays=("/Permissions", "/Tags", "/Apps/*/Perms"),
    handlers={"create": 5, "read": 5, "update": 5, "delete": 5, "list": 5},
)

LIVE = {
    "Arn": "arn:thing/1",
    "LastModifiedTime": 1.5,
    "Name": "one",
    "Parent": "p",
    "Description": "old",
    "Permissions": ["a", "b", "c"],
    "Tags": [{"Key": "k", "Value": "v"}],
    "Region": "us-east-1",  # filled in by AWS, never declared
    "Config": {"Mode": "x"},
}


def ops(patch: jsonpatch.JsonPatch) -> list[dict[str, Any]]:
    return list(patch.patch)


PATCH_CASES = [
    pytest.param(
        {"Name": "one", "Description": "new"},
        {"Name", "Description"},
        [{"op": "replace", "path": "/Description", "value": "new"}],
        id="one-changed-property-only",
    ),
    pytest.param(
        {"Name": "one", "Permissions": ["c", "a", "b"]},
        {"Name", "Permissions"},
        [],
        id="unordered-array-reordered-is-no-change",
    ),
    pytest.param(
        {"Name": "one", "Permissions": ["a", "a", "b"]},
        {"Name", "Permissions"},
        [{"op": "replace", "path": "/Permissions", "value": ["a", "a", "b"]}],
        id="multiset-not-set",
    ),
    pytest.param(
        {"Name": "one", "Permissions": []},
        {"Name", "Permissions"},
        [{"op": "replace", "path": "/Permissions", "value": []}],
        id="explicit-empty-array-sent",
    ),
    pytest.param(
        {"Name": "one"},
        {"Name"},
        [],
        id="omitted-property-left-alone",
    ),
    pytest.param(
        {"Name": "one"},
        {"Name", "Description"},
        [{"op": "remove", "path": "/Description"}],
        id="property-no-longer-declared-is-removed",
    ),
    pytest.param(
        {"Name": "one", "Arn": "arn:other", "LastModifiedTime": 9},
        {"Name"},
        [],
        id="read-only-never-patched",
    ),
    pytest.param(
        {"Name": "one", "Notes": "n"},
        {"Name"},
        [{"op": "add", "path": "/Notes", "value": "n"}],
        id="new-property-added",
    ),
    pytest.param(
        {"Name": "one", "Config": {"Mode": "x", "Password": "pw"}},
        {"Name", "Config"},
        [],
        id="nested-write-only-alone-is-not-a-diff",
    ),
    pytest.param(
        {"Name": "one", "Description": "new", "Secret": "s3cret"},
        {"Name", "Secret", "Description"},
        [
            {"op": "replace", "path": "/Description", "value": "new"},
            {"op": "add", "path": "/Secret", "value": "s3cret"},
        ],
        id="write-only-resent-with-any-patch",
    ),
]


@pytest.mark.parametrize(("desired", "before", "expected"), PATCH_CASES)
def test_build_patch(desired: dict[str, Any], before: set[str], expected: list[dict[str, Any]]) -> None:
    patch = build_patch(META, current=LIVE, desired=desired, previously_declared=before)
    assert ops(patch) == expected


def test_patch_applies_to_live_state_and_keeps_undeclared_values() -> None:
    desired = {"Name": "one", "Description": "new", "Tags": [{"Key": "k", "Value": "w"}]}
    patch = build_patch(META, current=LIVE, desired=desired, previously_declared={"Name", "Permissions"})
    result = patch.apply(copy.deepcopy(LIVE))
    assert result["Description"] == "new"
    assert result["Tags"] == [{"Key": "k", "Value": "w"}]
    assert "Permissions" not in result  # declared before, not now
    assert result["Region"] == "us-east-1"  # never declared: left as found
    assert result["Arn"] == LIVE["Arn"]


def test_write_only_resent_alone_when_its_hash_changed() -> None:
    desired = {"Name": "one", "Secret": "rotated"}
    assert ops(build_patch(META, current=LIVE, desired=desired)) == []
    patch = build_patch(META, current=LIVE, desired=desired, resend_write_only=True)
    assert ops(patch) == [{"op": "add", "path": "/Secret", "value": "rotated"}]


def test_nested_unordered_arrays_compare_as_multisets() -> None:
    live = {"Apps": [{"Perms": ["x", "y"], "Name": "a"}]}
    same = {"Apps": [{"Name": "a", "Perms": ["y", "x"]}]}
    assert same_value(live["Apps"], same["Apps"], META.unordered_arrays, "/Apps")
    other_order_outer = {"Apps": [{"Perms": ["x"]}, {"Perms": ["z"]}]}
    swapped = {"Apps": [{"Perms": ["z"]}, {"Perms": ["x"]}]}
    # /Apps itself is ordered: swapping its items is a change.
    assert not same_value(other_order_outer["Apps"], swapped["Apps"], META.unordered_arrays, "/Apps")


def test_absent_equals_empty_collection() -> None:
    desired = {"Name": "one", "Extras": [], "Options": {}}
    assert ops(build_patch(META, current=LIVE, desired=desired)) == []


def test_escaped_pointer_names() -> None:
    desired = {"a/b": 1, "c~d": 2}
    patch = build_patch(META, current={}, desired=desired)
    assert [op["path"] for op in ops(patch)] == ["/a~1b", "/c~0d"]
    assert patch.apply({}) == desired


# -- replacement ---------------------------------------------------------------------------------

KEY = b"k" * 32


def changes(desired: dict[str, Any], previous: dict[str, Any], live: dict[str, Any] = LIVE) -> list[str]:
    found = create_only_changes(
        META,
        current=live,
        desired_redacted=redact(desired, META, KEY),
        previous_redacted=redact(previous, META, KEY),
    )
    return [c.path for c in found]


def test_create_only_change_forces_replacement() -> None:
    assert changes({"Name": "two"}, {"Name": "one"}) == ["/Name"]


def test_create_only_filled_by_aws_never_forces_replacement() -> None:
    # Parent was never declared (AWS set it): not declaring it now changes nothing.
    assert changes({"Name": "one"}, {"Name": "one"}) == []
    # Declaring exactly what AWS filled in is not a change either.
    assert changes({"Name": "one", "Parent": "p"}, {"Name": "one"}) == []


def test_create_only_declared_for_the_first_time_with_another_value_replaces() -> None:
    assert changes({"Name": "one", "Parent": "q"}, {"Name": "one"}) == ["/Parent"]


def test_create_only_compared_with_what_was_declared_not_what_aws_normalized() -> None:
    live = {**LIVE, "Name": "ONE"}  # AWS upper-cased it
    assert changes({"Name": "one"}, {"Name": "one"}, live) == []


# -- secrets -------------------------------------------------------------------------------------


def test_redact_hides_write_only_values_but_notices_changes() -> None:
    doc = {"Name": "one", "Secret": "hunter2", "Config": {"Password": "pw", "Mode": "x"}}
    redacted = redact(doc, META, KEY)
    assert "hunter2" not in repr(redacted) and "pw" not in repr(redacted)
    assert redacted["Secret"].startswith(REDACTED_PREFIX)
    assert redacted["Config"]["Mode"] == "x"
    # Salted: the same value hashes differently each time, unless the earlier hash is kept.
    assert redact(doc, META, KEY) != redacted
    assert redact(doc, META, KEY, previous=[redacted]) == redacted
    changed = redact({**doc, "Secret": "other"}, META, KEY, previous=[redacted])
    assert changed["Secret"] != redacted["Secret"]
    assert changed["Config"] == redacted["Config"]  # the unchanged value keeps its hash
    assert redact(doc, META, b"x" * 32, previous=[redacted]) != redacted  # keyed


def test_strip_write_only() -> None:
    doc = {"Name": "one", "Secret": "s", "Config": {"Password": "pw", "Mode": "x"}}
    assert strip_write_only(doc, META) == {"Name": "one", "Config": {"Mode": "x"}}
    assert doc["Secret"] == "s"  # the input is not modified


def test_patch_diff_masks_write_only_values() -> None:
    desired = {"Name": "one", "Description": "new", "Secret": "s3cret"}
    patch = build_patch(META, current=LIVE, desired=desired)
    diff = patch_diff(META, patch, LIVE)
    assert [(c.path, c.before, c.after) for c in diff] == [
        ("/Description", "old", "new"),
        ("/Secret", None, "(write-only value)"),
    ]
