"""The program `cloudforge import` writes: exactly the readable properties, as Python literals.

Pure checks of `cloudforge.cli.importer` on a small resource type defined here (nested read-only
paths and write-only properties, which SecurityProfile lacks); the end-to-end import -> up path
against the local cloud is in test_cli_deploy.py.
"""

from __future__ import annotations

import ast
from typing import Any, ClassVar

from cloudforge.cli.importer import declared_props, formatted, logical_id_for, render_program
from cloudforge.metadata import TypeMetadata
from cloudforge.resource import Resource
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel


class Widget(Resource):
    """A made-up type: read-only id and nested status, a write-only secret."""

    metadata: ClassVar[TypeMetadata] = TypeMetadata(
        type_name="Test::Shop::Widget",
        schema_file="test-shop-widget.json",
        primary_identifier=("/WidgetId",),
        read_only=("/WidgetId", "/Parts/*/Status", "/Config/Revision"),
        write_only=("/Secret",),
    )
    props_model: ClassVar[type[BaseModel]] = BaseModel


def call_keywords(source: str) -> tuple[list[Any], dict[str, Any]]:
    """The positional and keyword arguments of the one awaited resource call in `source`."""
    calls = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Name) and n.func.id == "Widget"]
    assert len(calls) == 1
    call = calls[0]
    args = [ast.literal_eval(a) for a in call.args]
    return args, {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}


def test_read_only_paths_are_removed_at_any_depth() -> None:
    read = {
        "WidgetId": "w-1",
        "Name": "gear",
        "Parts": [{"Name": "a", "Status": "ok"}, {"Name": "b", "Status": "worn"}],
        "Config": {"Revision": 7, "Mode": "fast"},
    }

    props = declared_props(Widget.metadata, read)

    assert props == {"Name": "gear", "Parts": [{"Name": "a"}, {"Name": "b"}], "Config": {"Mode": "fast"}}
    assert read["WidgetId"] == "w-1" and read["Parts"][0]["Status"] == "ok", "the input is not changed"


def test_the_program_declares_the_properties_with_adopt() -> None:
    props = {"Name": "gear", "Enabled": True, "Limit": None, "Ratio": 0.5, "Parts": [{"Name": "a"}]}

    source = render_program(Widget, props, logical_id="gear", app_name="shop", identifier="w-1")

    args, keywords = call_keywords(source)
    assert args == ["gear"]
    assert keywords == {**props, "adopt": True}
    assert "App('shop')" in source or 'App("shop")' in source
    assert f"from {__name__.rsplit('.', 1)[0]} import Widget" in source


def test_write_only_properties_are_named_for_the_user_to_fill_in() -> None:
    source = render_program(Widget, {"Name": "gear"}, logical_id="gear", app_name="a", identifier="w-1")

    assert "Write-only properties cannot be read back" in source
    assert "# Secret" in source


def test_formatting_keeps_the_program_equivalent() -> None:
    props = {"Name": "x" * 90, "Parts": [{"Name": f"part-{i}", "Tags": ["a", "b"]} for i in range(5)]}
    source = render_program(Widget, props, logical_id="gear", app_name="a", identifier="w-1")

    pretty = formatted(source)

    assert ast.dump(ast.parse(pretty)) == ast.dump(ast.parse(source))
    assert all(len(line) <= 100 for line in pretty.splitlines() if '"' not in line)


def test_default_logical_id_comes_from_the_type_name() -> None:
    assert logical_id_for("AWS::Connect::SecurityProfile") == "securityProfile"
    assert logical_id_for("AWS::S3::Bucket") == "bucket"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.from_regex(r"[A-Z][A-Za-z0-9]{0,12}", fullmatch=True), json_values, max_size=5))
def test_any_json_properties_survive_the_round_trip(props: dict[str, Any]) -> None:
    source = render_program(Widget, props, logical_id="w", app_name="a", identifier="w-1")

    _, keywords = call_keywords(source)

    assert keywords == {**props, "adopt": True}
