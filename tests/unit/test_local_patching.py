"""Patch documents for the local cloud's UpdateResource: normalising and guarded paths."""

from __future__ import annotations

import pytest
from cloudforge.local.patching import changed_paths, normalise, strip, touched
from cloudforge.local.protocol import ApiError

CREATE_ONLY = (("BucketName",), ("Config", "Name"))


def test_paths_without_a_leading_slash_are_made_absolute() -> None:
    patch = normalise([{"op": "add", "path": "Tags", "value": []}, {"op": "move", "from": "A", "path": "/B"}])
    assert [op["path"] for op in patch] == ["/Tags", "/B"]
    assert patch[1]["from"] == "/A"


@pytest.mark.parametrize("bad", [{}, "x", [1], [{"op": "add"}], [{"op": "copy", "path": "/a"}]])
def test_malformed_patches_are_validation_errors(bad: object) -> None:
    with pytest.raises(ApiError) as caught:
        normalise(bad)
    assert caught.value.code == "ValidationException"


def test_a_move_writes_both_ends_and_a_test_writes_nothing() -> None:
    patch = normalise([{"op": "move", "from": "/A/0", "path": "/B"}, {"op": "test", "path": "/C", "value": 1}])
    assert changed_paths(patch) == [("B",), ("A", "0")]


@pytest.mark.parametrize(
    ("path", "before", "after", "hits"),
    [
        (("BucketName",), None, None, ["/properties/BucketName"]),
        (("Tags", "0"), None, None, []),
        (("Config", "Name"), None, None, ["/properties/Config/Name"]),
        # Replacing the parent: refused only if the create-only value inside changes.
        (("Config",), {"Config": {"Name": "a", "X": 1}}, {"Config": {"Name": "a", "X": 2}}, []),
        (("Config",), {"Config": {"Name": "a"}}, {"Config": {"Name": "b"}}, ["/properties/Config/Name"]),
        (("Config",), None, None, []),
    ],
)
def test_touched_guarded_paths(path: tuple[str, ...], before: dict[str, object] | None,
                               after: dict[str, object] | None, hits: list[str]) -> None:
    assert touched([path], CREATE_ONLY, before, after) == hits


def test_wildcards_match_every_item() -> None:
    assert touched([("Rules", "3", "Id")], (("Rules", "*", "Id"),)) == ["/properties/Rules/*/Id"]
    model = {"Rules": [{"Id": 1, "Keep": 2}, {"Id": 3}], "Other": 4}
    assert strip((("Rules", "*", "Id"), ("Other",)), model) == {"Rules": [{"Keep": 2}, {}]}
    assert model["Other"] == 4  # the original is left alone
