"""The committed generated classes read like a library (issue 15): a real signature that help()
and inspect show, documentation on every parameter, TypedDict field and model field, models that
accept what validation accepts (maps closed by patterns), validation rules kept as package data
and read on first construction, and METADATA without its defaults."""

from __future__ import annotations

import ast
import inspect
import json
import pydoc
import subprocess
import sys
from pathlib import Path

import pytest
from cloudforge.aws.connect import SecurityProfile
from cloudforge.aws.connect import security_profile as module
from cloudforge.errors import ValidationError

ROOT = Path(__file__).resolve().parents[2]
INSTANCE = "arn:aws:connect:us-east-1:123456789012:instance/abcdefg-1234"


def test_ecs_container_definition_with_docker_labels_constructs() -> None:
    # DockerLabels: patternProperties beside additionalProperties: false, once `max_length=0`.
    from cloudforge.aws.ecs.task_definition import ContainerDefinition, TaskDefinition

    container = ContainerDefinition(Image="nginx", Name="web", DockerLabels={"team": "a"})
    assert container.DockerLabels == {"team": "a"}
    task = TaskDefinition("web", ContainerDefinitions=[container])
    assert task.declared["ContainerDefinitions"][0]["DockerLabels"] == {"team": "a"}
    assert TaskDefinition.props_model.model_validate(task.declared).ContainerDefinitions


def test_the_signature_shows_the_properties_in_a_fresh_interpreter() -> None:
    probe = (
        "import inspect, sys; from cloudforge.aws.connect import SecurityProfile; "
        "print(inspect.signature(SecurityProfile)); "
        "print('pydantic' in sys.modules, 'boto3' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[0].startswith("(logical_id: 'str', /, *, InstanceArn: 'str', SecurityProfileName")
    assert "Description: 'str | None' = None" in out[0] and "adopt: 'bool' = False" in out[0]
    assert out[1] == "False False"  # the signature costs no pydantic, no boto3


def test_parameters_are_keyword_only_with_their_defaults() -> None:
    params = inspect.signature(SecurityProfile).parameters
    assert next(iter(params)) == "logical_id"
    assert params["logical_id"].kind is inspect.Parameter.POSITIONAL_ONLY
    named = {k: p for k, p in params.items() if k != "logical_id"}
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in named.values())
    assert params["InstanceArn"].default is inspect.Parameter.empty
    assert params["Tags"].default is None and params["adopt"].default is False
    assert params["Tags"].annotation == "list[Tag | TagDict] | None"


def test_bad_input_is_still_a_validation_error_naming_the_property() -> None:
    # Python would bind the keyword-only __init__ first; Resource.__new__ validates before that.
    with pytest.raises(ValidationError) as misspelt:
        SecurityProfile("a", InstanceArn=INSTANCE, SecurityProfileName="A", Descriptoin="x")
    assert misspelt.value.path == "Descriptoin" and "did you mean 'Description'" in str(
        misspelt.value
    )
    with pytest.raises(ValidationError) as missing:
        SecurityProfile("b", SecurityProfileName="B")  # type: ignore[call-arg]
    assert missing.value.path == "InstanceArn"


def test_a_keyword_the_class_does_not_take_is_a_validation_error_even_as_none() -> None:
    # None means "not declared" to validation; the keyword-only __init__ would still refuse it.
    for name in ("LastModifiedRegion", "NotAProperty"):
        with pytest.raises(ValidationError) as err:
            SecurityProfile("c", InstanceArn=INSTANCE, SecurityProfileName="C", **{name: None})
        assert err.value.path == name


def test_help_documents_every_parameter_and_the_lifecycle() -> None:
    text = pydoc.render_doc(SecurityProfile, renderer=pydoc.plaintext)
    for name in inspect.signature(SecurityProfile).parameters:
        if name != "logical_id":
            assert f"{name}: " in text, name
    assert "Identifier: SecurityProfileArn." in text
    assert "Replaced when any of these change (create-only): SecurityProfileName, InstanceArn." in (
        " ".join(text.split())
    )
    assert "InstanceArn: The identifier of the Amazon Connect instance." in text
    # No description in the schema: the definition's, or what it is.
    doc = inspect.getdoc(SecurityProfile.__init__) or ""
    assert "GranularAccessControlConfiguration: " in doc


def test_write_only_properties_are_named_in_the_class_docstring() -> None:
    from cloudforge.aws.rds import DBCluster

    doc = " ".join((DBCluster.__doc__ or "").split())
    assert "Write-only (sent to AWS, never read back): " in doc and "MasterUserPassword" in doc
    init = " ".join((inspect.getdoc(DBCluster.__init__) or "").split())
    assert "Write-only: sent to AWS, never read back." in init


def test_typed_dicts_use_the_class_syntax_with_a_docstring_per_field() -> None:
    tree = ast.parse(Path(module.__file__ or "").read_text())
    typed = [
        node
        for node in tree.body
        if isinstance(node, ast.ClassDef)
        and any(isinstance(b, ast.Name) and b.id == "TypedDict" for b in node.bases)
    ]
    assert {c.name for c in typed} >= {"TagDict", "ApplicationDict", "FlowModuleDict"}
    for cls in typed:
        body = cls.body
        assert ast.get_docstring(cls), cls.name
        for i, stmt in enumerate(body):
            if isinstance(stmt, ast.AnnAssign):
                follower = body[i + 1]
                assert isinstance(follower, ast.Expr) and isinstance(follower.value, ast.Constant)
                assert str(follower.value.value).strip(), (cls.name, ast.unparse(stmt))


def test_every_model_field_has_a_description() -> None:
    for name in ("SecurityProfileProps", "Tag", "Application", "SecurityProfileAttributes"):
        model = getattr(module, name)
        assert model.__doc__ and model.__doc__.strip(), name
        for field_name, info in model.model_fields.items():
            assert info.description, (name, field_name)


def test_validation_rules_are_package_data_read_on_first_construction() -> None:
    probe = """
import json, sys
from cloudforge.aws.connect import security_profile as m
cls = m.SecurityProfile
before = isinstance(cls.__dict__["props_schema"], dict)
cls("p", InstanceArn="arn:aws:connect:us-east-1:123456789012:instance/x", SecurityProfileName="P")
after = cls.__dict__["props_schema"]
print(json.dumps({"before": before, "is_dict": isinstance(after, dict),
    "has_literal": hasattr(m, "PROPS_SCHEMA"), "pydantic": "pydantic" in sys.modules,
    "boto3": "boto3" in sys.modules}))
"""
    out = json.loads(
        subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        ).stdout
    )
    assert out == {
        "before": False,
        "is_dict": True,
        "has_literal": False,
        "pydantic": False,
        "boto3": False,
    }
    data = Path(module.__file__ or "").with_name("security_profile.schema.json")
    assert SecurityProfile.props_schema == json.loads(data.read_text())
    assert SecurityProfile.props_schema["properties"]["SecurityProfileName"]["maxLength"] == 127


def test_package_data_ships_the_schema_files() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "*.json" in config["tool"]["setuptools"]["package-data"]["*"]


def test_metadata_leaves_out_its_defaults() -> None:
    text = Path(module.__file__ or "").read_text()
    start = text.index("METADATA = _TypeMetadata(")
    metadata_call = text[start : text.index("\n)\n", start)]
    assert "primary_identifier=" in metadata_call and "handlers=" in metadata_call
    for default in ("write_only=()", "conditional_create_only=()", "additional_identifiers=()"):
        assert default not in metadata_call
    assert 'replacement_strategy="create_then_delete"' not in metadata_call
    assert SecurityProfile.metadata.write_only == ()
    assert SecurityProfile.metadata.replacement_strategy == "create_then_delete"
