"""The normalize stage: registry schema -> TypeDescription (names, types, paths, handlers)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cloudforge.codegen import naming
from cloudforge.codegen.normalize import describe
from cloudforge.schemas.patterns import normalize_pattern, pattern_compiles

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


@pytest.fixture(scope="module")
def profile_schema() -> dict[str, object]:
    loaded: dict[str, object] = json.loads(
        (SCHEMAS / "aws-connect-securityprofile.json").read_text()
    )
    return loaded


def test_security_profile_description(profile_schema: dict[str, object]) -> None:
    d = describe(profile_schema)
    assert (d.type_name, d.service, d.module, d.class_name) == (
        "AWS::Connect::SecurityProfile",
        "connect",
        "security_profile",
        "SecurityProfile",
    )
    assert d.schema_file == "aws-connect-securityprofile.json"
    assert d.primary_identifier == ("/SecurityProfileArn",)
    assert d.create_only == ("/SecurityProfileName", "/InstanceArn")
    assert set(d.read_only) == {"/SecurityProfileArn", "/LastModifiedRegion", "/LastModifiedTime"}
    assert d.required == ("InstanceArn", "SecurityProfileName")
    assert d.list_required == ("InstanceArn",)
    assert dict(d.handlers) == {
        "create": 120,
        "read": 120,
        "update": 120,
        "delete": 120,
        "list": 120,
    }
    assert d.tagging is not None and d.tagging.tag_property == "/Tags"
    assert "/AllowedAccessControlTags" in d.unordered_arrays
    assert "/Applications/*/ApplicationPermissions" in d.unordered_arrays
    props = {f.name: f for f in d.props}
    assert "SecurityProfileArn" not in props
    assert {f.name for f in d.attributes} == {
        "SecurityProfileArn",
        "LastModifiedRegion",
        "LastModifiedTime",
    }
    assert props["InstanceArn"].required and not props["Description"].required
    assert props["AllowedAccessControlTags"].input_type == "list[Tag | TagDict]"
    assert props["AllowedAccessControlTags"].output_type == "list[TagDict]"
    assert props["Permissions"].input_type == "list[str]"  # a string definition is inlined
    names = {m.name for m in d.models}
    assert {"Tag", "Application", "FlowModule", "PrimaryAttributeValue"} <= names
    # a definition named like a property is prefixed, never numbered
    assert "SecurityProfileDataTableAccessControlConfiguration" in names
    assert not any(n == "Model" or n[-1].isdigit() or "_" in n for n in names)


def test_description_is_deterministic(profile_schema: dict[str, object]) -> None:
    assert describe(profile_schema) == describe(json.loads(json.dumps(profile_schema)))


def _schema(**extra: object) -> dict[str, object]:
    base: dict[str, object] = {
        "typeName": "Test::Svc::Widget",
        "description": "test",
        "additionalProperties": False,
        "primaryIdentifier": ["/properties/Id"],
        "readOnlyProperties": ["/properties/Id"],
        "properties": {"Id": {"type": "string"}},
    }
    base.update(extra)
    return base


def test_inline_objects_keywords_maps_and_unions() -> None:
    d = describe(
        _schema(
            properties={
                "Id": {"type": "string"},
                "Config": {
                    "type": "object",
                    "properties": {"None": {"type": "object"}, "Size": {"type": "integer"}},
                },
                "Labels": {"type": "object", "patternProperties": {"^[a-z]+$": {"type": "string"}}},
                "Doc": {"type": ["string", "object"]},
                "Mode": {"enum": ["A", "B"], "type": "string"},
                "Free": {},
            },
            writeOnlyProperties=["/properties/Doc"],
            primaryIdentifier=["/properties/Id", "/properties/Mode"],
        )
    )
    props = {f.name: f for f in d.props}
    assert props["Config"].input_type == "WidgetConfig | WidgetConfigDict"
    assert props["Labels"].input_type == "dict[str, str]"
    assert props["Doc"].input_type == "str | dict[str, Any]"
    assert props["Mode"].input_type == "Literal['A', 'B']"
    assert props["Free"].input_type == "Any"
    config = next(m for m in d.models if m.name == "WidgetConfig")
    keyword_field = next(f for f in config.fields if f.name == "None")
    assert not keyword_field.is_identifier  # a Python keyword: kept as the dict key / alias
    assert d.write_only == ("/Doc",)
    assert d.primary_identifier == ("/Id", "/Mode")
    assert d.handlers == ()  # no handlers: none invented


def test_recursive_definitions_are_named_once() -> None:
    d = describe(
        _schema(
            properties={"Id": {"type": "string"}, "Root": {"$ref": "#/definitions/Node"}},
            definitions={
                "Node": {
                    "type": "object",
                    "properties": {
                        "Children": {"type": "array", "items": {"$ref": "#/definitions/Node"}}
                    },
                }
            },
        )
    )
    (node,) = d.models
    assert node.name == "Node"
    assert node.fields[0].input_type == "list[Node | NodeDict]"


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("SecurityProfile", "security_profile"),
        ("DBInstance", "db_instance"),
        ("VPCEndpoint", "vpc_endpoint"),
        ("Global", "global_"),
    ],
)
def test_module_names(name: str, module: str) -> None:
    assert naming.snake(name) == module


def test_package_names_avoid_keywords() -> None:
    assert naming.package_name("Lambda") == "lambda_"
    assert naming.package_name("EC2") == "ec2"


def test_patterns_are_normalized_to_the_regex_dialect() -> None:
    assert normalize_pattern(r"^abc\z") == r"^abc\Z"
    pair = normalize_pattern(r"^[\uD800\uDC00-\uDBFF\uDFFF]+$")
    assert pair == r"^[\U00010000-\U0010FFFF]+$"
    assert pattern_compiles(r"^[\p{L}\p{Z}]+$")
    assert not pattern_compiles("[unclosed")
