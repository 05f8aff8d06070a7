"""Declared properties are validated at construction, before any call: the seed's examples pass,
bad variants fail with a ValidationError naming the property path, the rule and the value."""

from __future__ import annotations

import pytest
from cloudforge.aws.connect import SecurityProfile
from cloudforge.aws.connect.security_profile import Tag
from cloudforge.errors import ValidationError

INSTANCE = "arn:aws:connect:us-east-1:123456789012:instance/abcdefg-1234-5678-abcd-efghijklmnop"


def test_minimal_example_constructs() -> None:
    profile = SecurityProfile(
        "basicSecurityProfile",
        InstanceArn=INSTANCE,
        SecurityProfileName="BasicProfile",
        Description="A basic security profile with limited permissions.",
        Permissions=["connect:StartChatContact", "connect:StopContact"],
    )
    assert profile.logical_id == "basicSecurityProfile"
    assert profile.declared == {
        "InstanceArn": INSTANCE,
        "SecurityProfileName": "BasicProfile",
        "Description": "A basic security profile with limited permissions.",
        "Permissions": ["connect:StartChatContact", "connect:StopContact"],
    }
    assert profile.SecurityProfileName == "BasicProfile"
    assert profile.adopt is False


def test_advanced_example_with_dict_tags_constructs() -> None:
    profile = SecurityProfile(
        "advancedSecurityProfile",
        InstanceArn=INSTANCE,
        SecurityProfileName="AdvancedProfile",
        Description="An advanced security profile with comprehensive permissions.",
        Permissions=[
            "connect:StartOutboundVoiceContact",
            "connect:UpdateContactAttributes",
            "connect:ViewContact",
        ],
        AllowedAccessControlTags=[
            {"Key": "Department", "Value": "Support"},
            {"Key": "Region", "Value": "US-East"},
        ],
    )
    assert profile.declared["AllowedAccessControlTags"] == [
        {"Key": "Department", "Value": "Support"},
        {"Key": "Region", "Value": "US-East"},
    ]


def test_tagging_restrictions_example_constructs() -> None:
    profile = SecurityProfile(
        "taggedSecurityProfile",
        InstanceArn=INSTANCE,
        SecurityProfileName="TaggedProfile",
        Permissions=["connect:CreateUser", "connect:DeleteUser"],
        TagRestrictedResources=[INSTANCE + "/user/12345678"],
        HierarchyRestrictedResources=[INSTANCE + "/hierarchy/1"],
    )
    assert profile.declared["TagRestrictedResources"] == [INSTANCE + "/user/12345678"]
    assert profile.declared["HierarchyRestrictedResources"] == [INSTANCE + "/hierarchy/1"]


def test_adoption_example_constructs() -> None:
    profile = SecurityProfile(
        "adoptedSecurityProfile",
        InstanceArn=INSTANCE,
        SecurityProfileName="AdoptedProfile",
        adopt=True,
    )
    assert profile.adopt is True
    assert "adopt" not in profile.declared


def test_models_and_dicts_are_interchangeable_and_none_means_undeclared() -> None:
    profile = SecurityProfile(
        "p",
        InstanceArn=INSTANCE,
        SecurityProfileName="P",
        AllowedAccessControlTags=[Tag(Key="Team", Value="Ops"), {"Key": "Env", "Value": "prod"}],
        Description=None,
        Tags=[],
    )
    assert profile.declared == {
        "InstanceArn": INSTANCE,
        "SecurityProfileName": "P",
        "AllowedAccessControlTags": [
            {"Key": "Team", "Value": "Ops"},
            {"Key": "Env", "Value": "prod"},
        ],
        "Tags": [],  # an explicit empty list is a declaration
    }


def _error(**overrides: object) -> ValidationError:
    props: dict[str, object] = {"InstanceArn": INSTANCE, "SecurityProfileName": "Good"}
    props.update(overrides)
    props = {k: v for k, v in props.items() if v is not ...}
    with pytest.raises(ValidationError) as caught:
        SecurityProfile("bad", **props)  # type: ignore[arg-type]
    return caught.value


def test_tag_key_longer_than_128_fails_with_its_path() -> None:
    err = _error(AllowedAccessControlTags=[{"Key": "k" * 129, "Value": "v"}])
    assert err.path == "AllowedAccessControlTags[0].Key"
    assert "maxLength" in err.problem
    assert err.value == "k" * 129
    assert "AllowedAccessControlTags[0].Key" in str(err) and "'bad'" in str(err)


def test_name_outside_the_pattern_fails() -> None:
    err = _error(SecurityProfileName="Support!")
    assert (err.path, err.value) == ("SecurityProfileName", "Support!")
    assert err.problem.startswith("pattern")


def test_five_access_control_tags_exceed_max_items() -> None:
    tags = [{"Key": f"K{i}", "Value": "v"} for i in range(5)]
    err = _error(AllowedAccessControlTags=tags)
    assert err.path == "AllowedAccessControlTags"
    assert "maxItems" in err.problem and "4" in err.problem


def test_read_only_attribute_cannot_be_declared() -> None:
    err = _error(SecurityProfileArn=INSTANCE + "/security-profile/abc")
    assert err.path == "SecurityProfileArn"
    assert "read-only" in err.problem


def test_misspelt_property_suggests_the_closest_name() -> None:
    err = _error(Descriptoin="typo")
    assert err.path == "Descriptoin"
    assert "did you mean 'Description'" in err.problem


def test_missing_instance_arn_is_reported_as_required() -> None:
    err = _error(InstanceArn=...)
    assert err.path == "InstanceArn"
    assert err.problem.startswith("required")


@pytest.mark.parametrize(
    ("overrides", "path", "rule"),
    [
        ({"Description": 42}, "Description", "type"),
        ({"Permissions": "connect:StopContact"}, "Permissions", "type"),
        ({"Permissions": ["a", "a"]}, "Permissions[1]", "uniqueItems"),
        ({"Permissions": [""]}, "Permissions[0]", "minLength"),
        ({"Applications": [{"Type": "OTHER"}]}, "Applications[0].Type", "enum"),
        ({"AllowedAccessControlTags": [{"Key": "aws:x", "Value": "v"}]}, "AllowedAccessControlTags[0].Key", "pattern"),
        ({"AllowedAccessControlTags": [{"Key": "k"}]}, "AllowedAccessControlTags[0].Value", "required"),
        ({"AllowedAccessControlTags": [{"Key": "k", "Value": "v", "Extra": 1}]}, "AllowedAccessControlTags[0].Extra", "additionalProperties"),
        (
            {"GranularAccessControlConfiguration": {"DataTableAccessControlConfiguration": {
                "PrimaryAttributeAccessControlConfiguration": {"PrimaryAttributeValues": [
                    {"AttributeName": "aws:reserved", "Values": ["x"]}]}}}},
            "GranularAccessControlConfiguration.DataTableAccessControlConfiguration."
            "PrimaryAttributeAccessControlConfiguration.PrimaryAttributeValues[0].AttributeName",
            "pattern",
        ),
    ],
)  # fmt: skip
def test_rules_report_path_and_rule(overrides: dict[str, object], path: str, rule: str) -> None:
    err = _error(**overrides)
    assert err.path == path
    assert err.problem.startswith(rule)


def test_unicode_letter_pattern_is_checked_with_ecma_classes() -> None:
    # \p{L} in the registry pattern: accented letters are letters, '!' is not.
    deep = {
        "DataTableAccessControlConfiguration": {
            "PrimaryAttributeAccessControlConfiguration": {
                "PrimaryAttributeValues": [{"AttributeName": "Région", "Values": ["x"]}]
            }
        }
    }
    SecurityProfile(
        "ok", InstanceArn=INSTANCE, SecurityProfileName="P", GranularAccessControlConfiguration=deep
    )
    deep["DataTableAccessControlConfiguration"]["PrimaryAttributeAccessControlConfiguration"][
        "PrimaryAttributeValues"
    ][0]["AttributeName"] = "Région!"
    err = _error(GranularAccessControlConfiguration=deep)
    assert err.path.endswith("PrimaryAttributeValues[0].AttributeName")
