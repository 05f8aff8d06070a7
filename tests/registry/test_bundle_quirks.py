"""The six bundled types whose cfn-lint copies broke the meta-schema (custom resources' open
properties, cfn-lint's `prefixItems`/`not` and its enums without `type`) now generate through
the general mechanism, and validate as the registry means them."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cloudforge.codegen import metaschema
from cloudforge.codegen.generate import load_file
from cloudforge.codegen.pull import registry_form, with_enum_types
from cloudforge.errors import SchemaError, ValidationError

from tests.generated_types import generated_package

TYPES = [
    "AWS::CloudFormation::CustomResource",
    "AWS::DevOpsAgent::Service",
    "AWS::DynamoDB::GlobalTable",
    "AWS::DynamoDB::Table",
    "AWS::QuickSight::ApprovalPolicy",
    "AWS::RDS::DBCluster",
]
PACKAGE = "cfgen_bundle_quirks"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    with generated_package(TYPES, PACKAGE, tmp_path_factory.mktemp("quirks")) as package:
        yield package


def cls(service: str, name: str) -> Any:
    return getattr(importlib.import_module(f"{PACKAGE}.{service}"), name)


def test_all_six_generate_and_their_models_build(generated: ModuleType) -> None:
    index = importlib.import_module(f"{PACKAGE}._index").TYPES
    assert sorted(index) == TYPES
    for module, name in index.values():
        resource = getattr(importlib.import_module(module.replace("cloudforge.aws", PACKAGE)), name)
        resource.props_model.model_rebuild()


def test_custom_resource_properties_are_open(generated: ModuleType) -> None:
    CustomResource = cls("cloudformation", "CustomResource")
    token = "arn:aws:lambda:us-east-1:123456789012:function:f"
    custom = CustomResource("c", ServiceToken=token, Size=3, Names=["a"], Nested={"k": "v"})
    assert custom.declared == {
        "ServiceToken": token,
        "Size": 3,
        "Names": ["a"],
        "Nested": {"k": "v"},
    }
    with pytest.raises(ValidationError) as caught:
        CustomResource("c", ServiceToken=token, Flag=True)  # the open values are typed
    assert caught.value.path == "Flag"
    with pytest.raises(ValidationError):
        CustomResource("c", Size=3)  # ServiceToken still required


def test_dynamodb_key_schema_is_a_list_of_keys(generated: ModuleType) -> None:
    # cfn-lint describes the items of this array with `properties` on the array itself (plus an
    # enum there); the registry types the items: a list of {AttributeName, KeyType} objects.
    Table = cls("dynamodb", "Table")
    keys = [{"AttributeName": "id", "KeyType": "HASH"}]
    table = Table(
        "t", KeySchema=keys, AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}]
    )
    assert table.declared["KeySchema"] == keys
    module = importlib.import_module(f"{PACKAGE}.dynamodb.table")
    assert "list[" in str(module.TableProps.model_fields["KeySchema"].annotation)
    with pytest.raises(ValidationError) as caught:
        Table("t", KeySchema=[{"AttributeName": "id"}])
    assert caught.value.path.startswith("KeySchema") and "oneOf" in caught.value.problem


def test_quicksight_enums_without_a_type_are_checked(generated: ModuleType) -> None:
    Policy = cls("quicksight", "ApprovalPolicy")
    good = {
        "PolicyId": "p1",
        "Name": "n",
        "Actions": ["SHARE"],
        "AssetTypes": ["AGENT"],
        "ApplicableTo": {
            "Type": "GROUP",
            "GroupArns": ["arn:aws:quicksight:us-east-1:1:group/default/g"],
        },
        "ApprovalGroups": ["arn:aws:quicksight:us-east-1:123456789012:group/default/g"],
    }
    assert Policy("p", **good).declared["Actions"] == ["SHARE"]
    with pytest.raises(ValidationError) as caught:
        Policy("p", **{**good, "Actions": ["DELETE"]})
    assert caught.value.path == "Actions[0]" and caught.value.problem.startswith("enum")
    with pytest.raises(ValidationError) as caught:
        Policy("p", **{**good, "ApplicableTo": {"Type": "USER", "GroupArns": ["g"]}})
    assert caught.value.path == "ApplicableTo.Type"


def test_cfn_lint_rules_are_not_registry_rules(generated: ModuleType) -> None:
    # cfn-lint forbids `rdsadmin` with a `not` rule; the registry schema has no such rule (the
    # meta-schema has no `not`), so the generated class leaves it to AWS.
    DBCluster = cls("rds", "DBCluster")
    assert DBCluster("c", Engine="aurora-mysql", MasterUsername="rdsadmin").declared[
        "MasterUsername"
    ]
    Service = cls("devopsagent", "Service")
    assert Service.metadata.type_name == "AWS::DevOpsAgent::Service"


def test_enums_get_the_type_their_values_have() -> None:
    schema = {
        "properties": {
            "enum": {"enum": ["a", "b"]},  # a property named like the keyword keeps its name
            "Mixed": {"enum": [1, 2.5]},
            "Flag": {"const": True},
            "Typed": {"enum": ["x"], "type": "string"},
        }
    }
    typed = with_enum_types(schema)["properties"]
    assert typed["enum"] == {"enum": ["a", "b"], "type": "string"}
    assert typed["Mixed"]["type"] == "number"
    assert typed["Flag"]["type"] == "boolean"
    assert typed["Typed"] == {"enum": ["x"], "type": "string"}


def test_registry_form_drops_cfn_lint_only_keywords() -> None:
    schema = {
        "properties": {
            "Keys": {
                "type": "array",
                "prefixItems": [{"type": "object"}],
                "items": {"type": "string"},
            },
            "User": {"type": "string", "not": {"enum": ["admin"]}},
        }
    }
    assert registry_form(schema) == {
        "properties": {
            "Keys": {"type": "array", "items": {"type": "string"}},
            "User": {"type": "string"},
        }
    }


def test_the_meta_schema_still_rejects_open_properties_below_the_top(tmp_path: Path) -> None:
    # The one relaxation is for the top level (custom resources); nested definitions keep the
    # rule that an object has named or pattern properties, not both.
    schema = {
        "typeName": "Org::Svc::Thing",
        "description": "d",
        "additionalProperties": False,
        "properties": {
            "Bag": {
                "type": "object",
                "properties": {"A": {"type": "string"}},
                "patternProperties": {".*": {"type": "string"}},
            }
        },
        "primaryIdentifier": ["/properties/Bag"],
        "patternProperties": {"^x": {"type": "string"}},
    }
    assert [p.split(":")[0] for p in metaschema.problems(schema)] == ["/properties/Bag"]
    path = tmp_path / "org-svc-thing.json"
    path.write_text(json.dumps(schema))
    with pytest.raises(SchemaError, match="meta-schema"):
        load_file(path)
