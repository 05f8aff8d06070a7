"""The validation rules one by one, on a small resource class declared here the way the
generator declares them (metadata + props_schema)."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from cloudforge.errors import ValidationError
from cloudforge.metadata import TypeMetadata
from cloudforge.resource import Resource


class Widget(Resource):
    metadata: ClassVar[TypeMetadata] = TypeMetadata(
        type_name="Test::Svc::Widget",
        schema_file="test-svc-widget.json",
        primary_identifier=("/Id",),
        read_only=("/Id", "/Nested/Stamp", "/Items/*/Arn"),
        required=("Name",),
    )
    props_schema: ClassVar[dict[str, Any]] = {
        "additionalProperties": False,
        "required": ["Name"],
        "properties": {
            "Id": {"type": "string"},
            "Name": {"type": "string", "pattern": "^[\\p{L}][\\p{L}\\p{N}-]*\\Z"},
            "Count": {"type": "integer", "minimum": 1, "maximum": 10},
            "Ratio": {"type": "number", "exclusiveMaximum": 1, "multipleOf": 0.25},
            "Flag": {"type": "boolean"},
            "Labels": {"type": "object", "patternProperties": {"^[a-z]+$": {"type": "string"}}, "additionalProperties": False},
            "Odd": {"type": "string", "pattern": "(?<=[unbalanced"},
            "Choice": {"anyOf": [{"type": "integer"}, {"type": "string", "enum": ["auto"]}]},
            "Nested": {"$ref": "#/definitions/Nested"},
            "Items": {"type": "array", "items": {"type": "object"}},
        },
        "definitions": {
            "Nested": {"type": "object", "properties": {"Size": {"type": "integer"}}, "minProperties": 1}
        },
    }  # fmt: skip


def fails(**props: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        Widget("w", **{"Name": "ok", **props})
    return caught.value


def test_unicode_letters_and_end_anchor() -> None:
    assert Widget("w", Name="Zürich-1").declared == {"Name": "Zürich-1"}
    err = fails(Name="1abc")
    assert err.path == "Name" and err.problem.startswith("pattern")
    assert fails(Name="abc\n").path == "Name"  # \Z: no trailing newline sneaks through


@pytest.mark.parametrize(
    ("props", "path", "rule"),
    [
        ({"Count": True}, "Count", "type"),  # a bool is not an integer
        ({"Count": 0}, "Count", "minimum"),
        ({"Count": 11}, "Count", "maximum"),
        ({"Ratio": 1}, "Ratio", "exclusiveMaximum"),
        ({"Ratio": 0.3}, "Ratio", "multipleOf"),
        ({"Flag": "yes"}, "Flag", "type"),
        ({"Labels": {"ok": 1}}, "Labels.ok", "type"),
        ({"Labels": {"NOT": "x"}}, "Labels.NOT", "additionalProperties"),
        ({"Choice": "manual"}, "Choice", "anyOf"),
        ({"Nested": {}}, "Nested", "minProperties"),
        ({"Nested": {"Size": "big"}}, "Nested.Size", "type"),
        ({"Id": "x"}, "Id", "readOnly"),
        ({"Nested": {"Size": 1, "Stamp": "t"}}, "Nested.Stamp", "readOnly"),
        ({"Items": [{"Name": "a"}, {"Arn": "arn"}]}, "Items[1].Arn", "readOnly"),
        ({"name": "x"}, "name", "additionalProperties"),
    ],
)
def test_rule(props: dict[str, Any], path: str, rule: str) -> None:
    err = fails(**props)
    assert (err.path, err.problem.split(":")[0]) == (path, rule)


def test_case_only_typo_suggests_the_right_name() -> None:
    assert "did you mean 'Name'" in fails(name="x").problem


def test_valid_values_pass_and_integral_floats_count_as_integers() -> None:
    w = Widget("w", Name="ok", Count=3.0, Ratio=0.75, Choice="auto", Labels={"a": "b"})
    assert w.declared["Ratio"] == 0.75
    assert Widget("w", Name="ok", Choice=5).declared["Choice"] == 5


def test_a_pattern_regex_cannot_compile_is_reported_not_dropped_silently() -> None:
    with pytest.warns(UserWarning, match="cannot check the registry pattern"):
        Widget("w", Name="ok", Odd="anything")


class Subscriber(Resource):
    """Draft 7 `dependencies`, both forms (as in AWS::EventsV2::Subscriber's schema)."""

    metadata: ClassVar[TypeMetadata] = TypeMetadata(
        type_name="Test::Svc::Subscriber", schema_file="test-svc-subscriber.json",
        primary_identifier=("/Name",),
    )
    props_schema: ClassVar[dict[str, Any]] = {
        "additionalProperties": False,
        "properties": {
            "Name": {"type": "string"},
            "Config": {
                "type": "object",
                "properties": {"Target": {"type": "string"}, "Bus": {"type": "object"}},
                "dependencies": {"Bus": {"properties": {"Target": {"pattern": "^arn:bus/"}}}},
            },
            "Port": {"type": "integer"},
            "Protocol": {"type": "string"},
        },
        "dependencies": {"Port": ["Protocol"]},
    }  # fmt: skip


def test_dependencies_are_checked_in_both_forms() -> None:
    assert Subscriber("s", Port=1, Protocol="tcp").declared == {"Port": 1, "Protocol": "tcp"}
    assert Subscriber("s", Config={"Target": "x"}).declared == {"Config": {"Target": "x"}}
    with pytest.raises(ValidationError) as names:
        Subscriber("s", Port=1)
    assert (names.value.path, names.value.problem.split(":")[0]) == ("Protocol", "dependencies")
    with pytest.raises(ValidationError) as schema:
        Subscriber("s", Config={"Target": "arn:", "Bus": {}})
    assert (schema.value.path, schema.value.problem.split(":")[0]) == ("Config.Target", "pattern")
