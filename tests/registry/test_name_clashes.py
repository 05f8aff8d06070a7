"""Name clashes solved by the general mechanism, on a schema made to have all of them: a type
named like the base class (`Resource`), properties named like a Python keyword (`class`), a
builtin and the constructor's own parameter (`id`), a Resource member (`declared`), a definition
whose TypedDict would be called like pydantic's `ConfigDict`, and names differing only in case.
The module must import, validate, and pass mypy --strict."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest
from cloudforge.codegen.check import import_check, run_mypy, typecheck_layout
from cloudforge.codegen.generate import generate_all
from cloudforge.errors import ValidationError

SCHEMA = {
    "typeName": "Demo::Names::Resource",
    "description": "A type made of name clashes.",
    "additionalProperties": False,
    "definitions": {
        "Config": {
            "type": "object",
            "properties": {"Field": {"type": "string"}, "None": {"type": "string"}},
            "additionalProperties": False,
        },
        "SmsMessage": {"type": "object", "properties": {"Text": {"type": "string"}}},
        "SMSMessage": {"type": "object", "properties": {"Body": {"type": "string"}}},
    },
    "properties": {
        "id": {"type": "string"},
        "declared": {"type": "string"},
        "class": {"type": "string"},
        "Config": {"$ref": "#/definitions/Config"},
        "Sms": {"$ref": "#/definitions/SmsMessage"},
        "SMS": {"$ref": "#/definitions/SMSMessage"},
        "Arn": {"type": "string"},
    },
    "readOnlyProperties": ["/properties/Arn"],
    "primaryIdentifier": ["/properties/Arn"],
}

PROGRAM = """
from cloudforge.aws.names import Resource

r = Resource("r", Config={"Field": "f"}, Sms={"Text": "t"}, SMS={"Body": "b"})
arn: str = r.Arn
"""


def test_a_type_made_of_clashes_generates_imports_validates_and_type_checks(
    tmp_path: Path,
) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "demo-names-resource.json").write_text(json.dumps(SCHEMA))
    generate_all(tmp_path / "schemas", tmp_path / "out", cache_dir=tmp_path / "cache")
    aws = tmp_path / "out" / "aws"
    assert import_check(aws) == (["Demo::Names::Resource"], {})

    source = (aws / "names" / "resource.py").read_text()
    assert "class Resource(_Resource):" in source
    # keyword, constructor parameter and Resource member names go through **props
    resource_class = source.split("class Resource(_Resource):")[1]
    assert "**props: Any" in resource_class
    assert "id: str | None" not in resource_class and "declared: str" not in resource_class

    sys.path.insert(0, str(tmp_path / "out"))
    try:
        (tmp_path / "out" / "aws").rename(tmp_path / "out" / "cfgen_names")
        module = importlib.import_module("cfgen_names.names.resource")
        resource = module.Resource(
            "r", id="i", declared="d", Config={"Field": "f", "None": "n"}, **{"class": "c"}
        )
        assert resource.declared == {
            "id": "i",
            "declared": "d",
            "class": "c",
            "Config": {"Field": "f", "None": "n"},
        }
        with pytest.raises(ValidationError) as caught:
            module.Resource("r", Config={"Feild": "f"})
        assert "did you mean 'Field'" in str(caught.value)
    finally:
        sys.path.remove(str(tmp_path / "out"))
        (tmp_path / "out" / "cfgen_names").rename(aws)
        for name in [m for m in sys.modules if m.startswith("cfgen_names")]:
            del sys.modules[name]

    layout = typecheck_layout(tmp_path / "tc", aws)
    (layout / "program.py").write_text(PROGRAM)
    done = run_mypy(layout, tmp_path / "mypy-cache", ["cloudforge/aws", "program.py"])
    assert done.returncode == 0, done.stdout
