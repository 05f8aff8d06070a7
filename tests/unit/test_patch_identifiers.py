"""Identifiers and adoption matching: composite identifiers, list models, identifying keys."""

from __future__ import annotations

from cloudforge.engine.adoption import identifier_of, identifying_keys, list_model, matches
from cloudforge.metadata import TypeMetadata

ROUTE = TypeMetadata(
    type_name="Test::Net::Route",
    schema_file="route.json",
    primary_identifier=("/TableId", "/Destination"),
    create_only=("/TableId", "/Destination"),
    list_required=("TableId",),
)
PROFILE = TypeMetadata(
    type_name="Test::Connect::Profile",
    schema_file="profile.json",
    primary_identifier=("/Arn",),
    read_only=("/Arn",),
    create_only=("/Name", "/InstanceArn"),
    unordered_arrays=("/Permissions",),
    list_required=("InstanceArn",),
)


def test_composite_identifier_joins_values_in_schema_order() -> None:
    assert identifier_of(ROUTE, {"Destination": "0.0.0.0/0", "TableId": "rtb-1"}) == "rtb-1|0.0.0.0/0"


def test_identifier_unknown_when_a_part_is_missing() -> None:
    assert identifier_of(ROUTE, {"TableId": "rtb-1"}) is None
    assert identifier_of(PROFILE, {"Name": "x"}) is None
    assert identifier_of(PROFILE, {"Arn": "arn:p"}) == "arn:p"


def test_list_model_takes_the_list_handlers_required_properties() -> None:
    assert list_model(PROFILE, {"InstanceArn": "arn:i", "Name": "n"}) == ({"InstanceArn": "arn:i"}, [])
    assert list_model(PROFILE, {"Name": "n"}) == ({}, ["InstanceArn"])


def test_identifying_keys_are_declared_create_only_and_identifier_properties() -> None:
    assert identifying_keys(PROFILE, {"InstanceArn": "i", "Name": "n", "Description": "d"}) == [
        "Name",
        "InstanceArn",
    ]
    assert identifying_keys(PROFILE, {"Description": "d"}) == []


def test_matches_on_identifying_keys_only() -> None:
    declared = {"InstanceArn": "i", "Name": "n", "Description": "mine"}
    keys = identifying_keys(PROFILE, declared)
    assert matches(PROFILE, keys, declared, {"InstanceArn": "i", "Name": "n", "Description": "theirs"})
    assert matches(PROFILE, keys, declared, {"InstanceArn": "i", "Name": "other"}) is False
    assert matches(PROFILE, keys, declared, {"InstanceArn": "i"}) is None  # needs a full read
