"""The generator on real registry schemas chosen for the hard cases: each is pulled from the
cfn-lint bundle into a temporary schemas/ folder, generated into a temporary tree, imported, and
given good and bad input. Only SecurityProfile is committed under generated/."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from cloudforge.errors import ValidationError

from tests.generated_types import generated_package

pytestmark = pytest.mark.slow  # many registry types generated and imported

TYPES = [
    "AWS::WAFv2::RuleGroup",  # recursive $ref graph (Statement -> AndStatement -> Statement)
    "AWS::WAFv2::WebACL",  # recursive too, and a field named `None` (a Python keyword)
    "AWS::DataZone::ProjectMembership",  # oneOf between two object shapes
    "AWS::S3Vectors::VectorBucketPolicy",  # anyOf of required sets at the top; list of types
    "AWS::IoT::Thing",  # patternProperties map
    "AWS::Cognito::UserPoolUserToGroupAttachment",  # composite primary identifier, no update
    "AWS::SecretsManager::Secret",  # write-only properties
    "AWS::ManagedBlockchain::Node",  # a definition named like a property; no handlers
]
PACKAGE = "cfgen_registry_types"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    with generated_package(TYPES, PACKAGE, tmp_path_factory.mktemp("gen")) as package:
        yield package


def cls(service: str, name: str) -> Any:
    return getattr(importlib.import_module(f"{PACKAGE}.{service}"), name)


def test_every_type_imports_and_indexes(generated: ModuleType) -> None:
    index = importlib.import_module(f"{PACKAGE}._index").TYPES
    assert sorted(index) == sorted(TYPES)
    for type_name, (module, class_name) in index.items():
        module = module.replace("cloudforge.aws", PACKAGE, 1)
        resource = getattr(importlib.import_module(module), class_name)
        assert resource.metadata.type_name == type_name
        resource.props_model.model_rebuild()  # forward references all resolve


def test_recursive_statements_validate_deeply(generated: ModuleType) -> None:
    RuleGroup = cls("wafv2", "RuleGroup")
    visibility = {
        "SampledRequestsEnabled": True,
        "CloudWatchMetricsEnabled": True,
        "MetricName": "m",
    }
    geo = {"GeoMatchStatement": {"CountryCodes": ["US"]}}
    rule = {
        "Name": "r",
        "Priority": 1,
        "Action": {"Block": {}},
        "VisibilityConfig": visibility,
        "Statement": {"AndStatement": {"Statements": [geo, {"NotStatement": {"Statement": geo}}]}},
    }
    good = {"Capacity": 10, "Scope": "REGIONAL", "VisibilityConfig": visibility, "Rules": [rule]}
    assert RuleGroup("rg", **good).declared["Rules"][0]["Priority"] == 1
    bad_rule = json.loads(json.dumps(rule))
    bad_rule["Statement"]["AndStatement"]["Statements"][1]["NotStatement"]["Statement"] = {
        "GeoMatchStatement": {"CountryCodes": "US"}
    }
    with pytest.raises(ValidationError) as caught:
        RuleGroup("rg", **{**good, "Rules": [bad_rule]})
    assert caught.value.path == (
        "Rules[0].Statement.AndStatement.Statements[1].NotStatement.Statement."
        "GeoMatchStatement.CountryCodes"
    )
    with pytest.raises(ValidationError) as caught:
        RuleGroup("rg", **{**good, "Scope": "GLOBAL"})
    assert caught.value.path == "Scope" and caught.value.problem.startswith("enum")


def test_keyword_field_is_a_dict_key_and_a_model_alias(generated: ModuleType) -> None:
    module = importlib.import_module(f"{PACKAGE}.wafv2.web_acl")
    # `OverrideAction` is also a property name, so its class is prefixed with the type name.
    override = module.WebACLOverrideAction.model_validate({"None": {}})
    assert override.model_dump(by_alias=True, exclude_unset=True) == {"None": {}}
    assert "None" in module.WebACLOverrideActionDict.__annotations__


def test_one_of_object_shapes(generated: ModuleType) -> None:
    ProjectMembership = cls("datazone", "ProjectMembership")
    base = {"Designation": "PROJECT_OWNER", "DomainIdentifier": "dzd_1", "ProjectIdentifier": "p1"}
    ProjectMembership("m", **base, Member={"UserIdentifier": "u"})
    ProjectMembership("m", **base, Member={"GroupIdentifier": "g"})
    with pytest.raises(ValidationError) as caught:
        ProjectMembership("m", **base, Member={"RoleIdentifier": "r"})
    assert caught.value.path.startswith("Member")
    assert "oneOf" in caught.value.problem


def test_top_level_any_of_required_sets(generated: ModuleType) -> None:
    Policy = cls("s3vectors", "VectorBucketPolicy")
    Policy("p", Policy={"Version": "2012-10-17"}, VectorBucketName="vectors")
    Policy("p", Policy='{"Version": "2012-10-17"}', VectorBucketName="vectors")  # string or object
    with pytest.raises(ValidationError) as caught:
        Policy("p", Policy={"Version": "2012-10-17"})
    assert "anyOf" in caught.value.problem


def test_pattern_properties_map(generated: ModuleType) -> None:
    Thing = cls("iot", "Thing")
    Thing("t", ThingName="t1", AttributePayload={"Attributes": {"color": "red"}})
    with pytest.raises(ValidationError) as caught:
        Thing("t", ThingName="t1", AttributePayload={"Attributes": {"color": 3}})
    assert caught.value.path == "AttributePayload.Attributes.color"
    # Key patterns are searched, as in JSON Schema: a key with no allowed character fails.
    with pytest.raises(ValidationError) as caught:
        Thing("t", ThingName="t1", AttributePayload={"Attributes": {"!!": "x"}})
    assert caught.value.problem.startswith("additionalProperties")


def test_composite_identifier_and_missing_update_handler(generated: ModuleType) -> None:
    Attachment = cls("cognito", "UserPoolUserToGroupAttachment")
    meta = Attachment.metadata
    assert meta.primary_identifier == ("/UserPoolId", "/GroupName", "/Username")
    assert not meta.has_handler("update") and meta.has_handler("create")
    Attachment("a", UserPoolId="us-east-1_x", GroupName="g", Username="u")
    with pytest.raises(ValidationError) as caught:
        Attachment("a", UserPoolId="us-east-1_x", GroupName="g")
    assert caught.value.path == "Username"


def test_write_only_paths_reach_metadata(generated: ModuleType) -> None:
    Secret = cls("secretsmanager", "Secret")
    assert set(Secret.metadata.write_only) == {"/SecretString", "/GenerateSecretString"}
    secret = Secret(
        "s", Name="db", GenerateSecretString={"PasswordLength": 24, "ExcludePunctuation": True}
    )
    assert secret.declared["GenerateSecretString"]["PasswordLength"] == 24
    with pytest.raises(ValidationError) as caught:
        Secret("s", Name="db", GenerateSecretString={"PasswordLength": "long"})
    assert caught.value.path == "GenerateSecretString.PasswordLength"


def test_definition_named_like_a_property_keeps_the_field_name(generated: ModuleType) -> None:
    module = importlib.import_module(f"{PACKAGE}.managedblockchain.node")
    assert "NodeConfiguration" in module.NodeProps.model_fields
    assert module.Node.metadata.handlers == {}
    node = module.Node(
        "n",
        NetworkId="n-1",
        NodeConfiguration={"InstanceType": "bc.t3.small", "AvailabilityZone": "us-east-1a"},
    )
    assert node.declared["NodeConfiguration"]["InstanceType"] == "bc.t3.small"
