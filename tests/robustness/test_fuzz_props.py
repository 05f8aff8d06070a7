"""Fuzzed declared properties: invalid input always ends in ValidationError with a property path.

For SecurityProfile and four more generated types, hypothesis takes a valid baseline and breaks
one property, at the top or deep inside (a value of another JSON type, a string or array past its
length limit, an enum miss, a number out of range, an unknown or missing key in a nested object),
driven by the type's own validation schema. Every such input must raise
`cloudforge.errors.ValidationError` whose path names the broken property, never another
exception, and inside a running App it must never reach the cloud. Arbitrary values (any JSON,
and Python values JSON has no form for) must either validate or raise that same error.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from cloudforge import App
from cloudforge.aws.connect import SecurityProfile
from cloudforge.errors import ValidationError
from cloudforge.local import LocalCloud
from cloudforge.state.sqlite import SqliteState
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ARN = "arn:aws:connect:us-east-1:123456789012:instance/abcdefg-1234-5678-abcd-efghijklmnop"
# A valid declaration of each type: the fuzzer breaks one property of it at a time.
BASELINES: dict[str, dict[str, Any]] = {
    "AWS::Connect::SecurityProfile": {
        "InstanceArn": ARN,
        "SecurityProfileName": "Agents",
        "Permissions": ["connect:StartChatContact"],
        "AllowedAccessControlTags": [{"Key": "team", "Value": "blue"}],
    },
    "AWS::SecretsManager::Secret": {"Name": "db", "SecretString": "s3cr3t"},
    "AWS::IAM::User": {"UserName": "alice", "LoginProfile": {"Password": "pw-123456"}},
    "AWS::SQS::Queue": {"QueueName": "jobs", "DelaySeconds": 5},
    "AWS::Logs::LogGroup": {"LogGroupName": "/app", "RetentionInDays": 7},
}
EXAMPLES = 60  # per type and test: 5 types x (60 + 60) fuzzed inputs per run, plus the App run

JSON_TYPES = ("string", "integer", "number", "boolean", "array", "object", "null")
SAMPLE_OF: dict[str, Any] = {
    "string": st.text(max_size=5),
    "integer": st.integers(-5, 5),
    "number": st.floats(-5, 5, allow_nan=False).filter(lambda f: not f.is_integer()),
    "boolean": st.booleans(),
    "array": st.lists(st.integers(), max_size=2),
    "object": st.dictionaries(st.sampled_from(["a", "b"]), st.integers(), max_size=2),
    "null": st.none(),
}


def resolve(node: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in node:
        node = root["definitions"][node["$ref"].rsplit("/", 1)[1]]
    return node


def wrong_type(types: list[str]) -> st.SearchStrategy[Any]:
    allowed = set(types) | ({"integer"} if "number" in types else set())
    others = [t for t in JSON_TYPES if t not in allowed and t != "null"]
    return st.sampled_from(others).flatmap(lambda t: SAMPLE_OF[t])


def invalid(node: Mapping[str, Any], root: Mapping[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values that break `node` (a validation schema node) in one place."""
    node = resolve(node, root)
    if any(k in node for k in ("oneOf", "anyOf", "allOf")) or "type" not in node:
        return st.nothing()  # several shapes accepted: no simple way to miss them all
    types = node["type"] if isinstance(node["type"], list) else [node["type"]]
    options = [wrong_type(types)]
    if types == ["string"]:
        if "enum" in node:
            options.append(st.text(min_size=1, max_size=8).filter(lambda s: s not in node["enum"]))
        if "maxLength" in node:
            longest = node["maxLength"]
            options.append(st.text(min_size=1, max_size=3).map(lambda t: "x" * longest + t))
        if node.get("minLength", 0) > 0:
            options.append(st.just(""))
    if types in (["integer"], ["number"]):
        if "minimum" in node:
            options.append(st.integers(-1000, math.ceil(node["minimum"]) - 1))
        if "maximum" in node:
            options.append(st.integers(math.floor(node["maximum"]) + 1, 10**9))
        if "enum" in node:
            options.append(st.integers(-1000, 10**6).filter(lambda n: n not in node["enum"]))
    if types == ["array"] and depth < 3:
        items = node.get("items", {})
        options.append(invalid(items, root, depth + 1).map(lambda bad: [bad]))
        if "maxItems" in node and node["maxItems"] < 60:
            valid_item = st.integers() if not items else st.nothing()
            options.append(
                st.lists(invalid(items, root, depth + 1) | valid_item,
                         min_size=node["maxItems"] + 1, max_size=node["maxItems"] + 1)
            )
    if types == ["object"] and depth < 3:
        props = node.get("properties", {})
        if node.get("additionalProperties") is False and not node.get("patternProperties"):
            options.append(st.just({"NoSuchField": 1}))
        if node.get("required"):
            options.append(st.just({}))
        for name, sub in props.items():
            options.append(invalid(sub, root, depth + 1).map(lambda bad, n=name: {n: bad}))
    return st.one_of(options)


def broken_declaration(cls: Any) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    """(name of the broken top-level property, the whole declaration)."""
    schema = cls.props_schema
    baseline = BASELINES[cls.metadata.type_name]
    read_only = {p.strip("/").split("/")[0] for p in cls.metadata.read_only}
    names = sorted(n for n in schema["properties"] if n not in read_only)
    return st.sampled_from(names).flatmap(
        lambda name: invalid(schema["properties"][name], schema).map(
            lambda bad: (name, {**baseline, name: bad})
        )
    )


@pytest.fixture(scope="module")
def types(other_types: dict[str, Any]) -> list[Any]:
    return [SecurityProfile, *other_types.values()]


def test_the_baselines_are_valid(types: list[Any]) -> None:
    for cls in types:
        assert cls("ok", **BASELINES[cls.metadata.type_name]).declared


@pytest.mark.parametrize("type_name", list(BASELINES))
def test_invalid_props_raise_validation_error_naming_the_property(
    types: list[Any], type_name: str
) -> None:
    cls = next(c for c in types if c.metadata.type_name == type_name)
    tried: list[int] = []

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None)
    @given(broken_declaration(cls))
    def check(case: tuple[str, dict[str, Any]]) -> None:
        name, props = case
        tried.append(1)
        with pytest.raises(ValidationError) as caught:
            cls("fuzzed", **props)
        assert caught.value.path.split(".")[0].split("[")[0] == name, caught.value
        assert caught.value.type_name == type_name and caught.value.logical_id == "fuzzed"

    check()
    print(f"\n{type_name}: {len(tried)} invalid declarations, each a ValidationError at its path")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
NOT_JSON = st.sampled_from([b"bytes", {1, 2}, (1, "a"), object(), float("nan"), 1j, Path("/x")])


@pytest.mark.parametrize("type_name", list(BASELINES))
def test_arbitrary_values_validate_or_raise_validation_error(
    types: list[Any], type_name: str
) -> None:
    cls = next(c for c in types if c.metadata.type_name == type_name)
    names = [*sorted(cls.props_schema["properties"]), "NotAProperty"]

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.dictionaries(st.sampled_from(names), JSON | NOT_JSON, max_size=3))
    def check(changes: dict[str, Any]) -> None:
        props = {**BASELINES[type_name], **changes}
        try:
            resource = cls("fuzzed", **props)
        except ValidationError as err:
            assert err.path, err
            return
        assert isinstance(resource.declared, dict)

    check()


def test_invalid_props_inside_a_running_app_never_reach_the_cloud(
    local_cloud: LocalCloud, types: list[Any], tmp_path: Path
) -> None:
    state_dir = tmp_path / "state"
    tried = 0

    async def attempt(cls: Any, props: dict[str, Any]) -> None:
        async with App("fuzz", stage="t", state_dir=state_dir):
            await cls("fuzzed", **props)

    def fuzz(cls: Any) -> None:
        @settings(max_examples=15, deadline=None, derandomize=True, database=None)
        @given(broken_declaration(cls))
        def check(case: tuple[str, dict[str, Any]]) -> None:
            nonlocal tried
            tried += 1
            with pytest.raises(ValidationError):
                asyncio.run(attempt(cls, case[1]))

        check()

    for cls in types:
        fuzz(cls)
    assert tried >= 5 * 10
    assert sum(local_cloud.calls().values()) == 0
    backend = SqliteState(state_dir)
    try:
        assert backend.load("fuzz/t").records == {}
    finally:
        backend.close()
