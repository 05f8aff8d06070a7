"""The order of a replacement (issue 13, finding 1): `cloudforge.engine.decide`'s rule, table
driven. The program's choice first, then the strategy the schema states, then delete-first when
the new resource would keep the old one's identifying name, else create-first."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from cloudforge.engine.decide import decide
from cloudforge.metadata import TypeMetadata
from cloudforge.state.sqlite import ResourceRecord

NAMED = TypeMetadata(  # a primary identifier the program declares (a DB cluster identifier)
    type_name="Test::Named::Thing",
    schema_file="",
    primary_identifier=("/ThingIdentifier",),
    create_only=("/ThingIdentifier", "/Encrypted"),
    handlers={"create": 1, "read": 1, "update": 1, "delete": 1, "list": 1},
)
GENERATED_ID = replace(  # an ARN as identifier, a create-only name (a security profile)
    NAMED,
    primary_identifier=("/Arn",),
    read_only=("/Arn",),
    create_only=("/ThingName", "/Encrypted"),
)


def record(metadata: TypeMetadata, props: dict[str, Any]) -> ResourceRecord:
    return ResourceRecord("r", metadata.type_name, "id-1", declared=dict(props),
                          properties={**props, "Arn": "arn:x"})


CASES = [
    # (metadata, before, after, chosen, order, reason contains)
    (NAMED, {"ThingIdentifier": "a"}, {"ThingIdentifier": "a", "Encrypted": True}, None,
     "delete_then_create", 'ThingIdentifier "a" is kept'),
    (NAMED, {"ThingIdentifier": "a"}, {"ThingIdentifier": "b"}, None, "create_then_delete", ""),
    (GENERATED_ID, {"ThingName": "n"}, {"ThingName": "n", "Encrypted": True}, None,
     "delete_then_create", 'ThingName "n" is kept'),
    (GENERATED_ID, {"ThingName": "n"}, {"ThingName": "m"}, None, "create_then_delete", ""),
    (NAMED, {"ThingIdentifier": "a"}, {"ThingIdentifier": "a", "Encrypted": True},
     "create_then_delete", "create_then_delete", "as the program chose"),
    (replace(NAMED, replacement_strategy_stated=True), {"ThingIdentifier": "a"},
     {"ThingIdentifier": "a", "Encrypted": True}, None, "create_then_delete", ""),
    (replace(NAMED, replacement_strategy="delete_then_create", replacement_strategy_stated=True),
     {"ThingIdentifier": "a"}, {"ThingIdentifier": "b"}, None, "delete_then_create",
     "as the type's schema says"),
]


@pytest.mark.parametrize(("metadata", "before", "after", "chosen", "order", "why"), CASES)
def test_the_order_of_a_replacement(
    metadata: TypeMetadata, before: dict[str, Any], after: dict[str, Any], chosen: Any,
    order: str, why: str,
) -> None:
    decision = decide(metadata, record(metadata, before), after, after, chosen=chosen)

    assert decision.action == "replace"
    assert decision.order == order
    assert why in decision.reason
    assert decision.reason.startswith("create-only ")


def test_other_decisions_have_no_order() -> None:
    decision = decide(NAMED, None, {"ThingIdentifier": "a"}, {"ThingIdentifier": "a"})
    assert (decision.action, decision.order) == ("create", None)
