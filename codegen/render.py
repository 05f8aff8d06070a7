"""Render a `TypeDescription` (plus the model classes) into module text through jinja2 templates.

The templates hold layout only; the few values they need that are not on the description
(a summary line, the merged import block, the validation rules as a Python literal) are
computed here.
"""

from __future__ import annotations

import json
import pprint
import re
from functools import cache
from typing import Any

import jinja2
from cloudforge.codegen.description import TypeDescription

GENERATOR = "cloudforge.codegen"

_BASE_IMPORTS = {
    "typing": {"TYPE_CHECKING", "Any", "ClassVar", "Literal", "Required", "TypedDict"},
}
_FROM_IMPORT = re.compile(r"^from (\S+) import (.+)$")


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cloudforge.codegen", "templates"),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    env.filters["pytuple"] = lambda items: repr(tuple(items))
    env.filters["pyrepr"] = repr
    env.filters["docline"] = lambda text: text.replace("\\", "\\\\").replace('"""', "'''")
    return env


def _spell(name: str, clashes: set[str]) -> str:
    return f"{name} as _{name}" if name in clashes else name


def _imports(model_imports: list[str], clashes: set[str], *, base: bool) -> list[str]:
    """An import block, one line per module: ours (`base`) merged with the model generator's; a
    name the module also defines (`clashes`) is imported as `_<name>`."""
    merged: dict[str, set[str]] = {k: set(v) for k, v in _BASE_IMPORTS.items()} if base else {}
    plain: list[str] = []
    for line in model_imports:
        m = _FROM_IMPORT.match(line)
        if m:
            merged.setdefault(m.group(1), set()).update(n.strip() for n in m.group(2).split(","))
        else:
            plain.append(line)
    typing_names = sorted(merged.pop("typing", set()))
    typing_line = (
        [f"from typing import {', '.join(_spell(n, clashes) for n in typing_names)}"]
        if typing_names
        else []
    )
    rest = [
        f"from {mod} import {', '.join(_spell(n, clashes) for n in sorted(names))}"
        for mod, names in sorted(merged.items())
    ]
    return [*sorted(plain), *typing_line, *([""] if rest else []), *rest]


def imported_names(model_imports: list[str]) -> set[str]:
    names: set[str] = set()
    for line in model_imports:
        m = _FROM_IMPORT.match(line)
        if m:
            names.update(n.strip() for n in m.group(2).split(","))
    return names


def alias_uses(source: str, clashes: set[str]) -> str:
    """Model code with each clashing imported name used through its `_<name>` alias (the model
    generator's code uses them as `Field(...)`, `ConfigDict(...)`, `RootModel[...]`)."""
    for name in sorted(clashes):
        source = re.sub(rf"(?<![\w.'\"]){re.escape(name)}(?=[\[(])", f"_{name}", source)
    return source


def summary(description: TypeDescription) -> str:
    text = description.doc.replace("\\", "\\\\").replace('"""', "'''")
    return (text[:150] + "...") if len(text) > 150 else text


def models_module(description: TypeDescription) -> str:
    """The sibling module holding a type's pydantic models: `_security_profile_models`."""
    return f"_{description.module}_models"


def render_resource(
    description: TypeDescription, models_source: str, model_imports: list[str]
) -> tuple[str, str]:
    """(the resource module, its models module) of one type, unformatted."""
    model_names = sorted(
        {description.props_class, description.attributes_class}
        | {m.name for m in description.models}
    )
    exports = sorted(
        {description.class_name, *model_names} | {m.name + "Dict" for m in description.models}
    )
    clashes = imported_names(model_imports) & set(model_names)
    models_text = (
        environment()
        .get_template("models.py.j2")
        .render(
            d=description,
            generator=GENERATOR,
            imports=_imports(model_imports, clashes, base=False),
            models_source=alias_uses(models_source, clashes),
            model_names=model_names,
        )
    )
    rules: Any = json.loads(description.validation_schema)
    resource_text = (
        environment()
        .get_template("resource.py.j2")
        .render(
            d=description,
            generator=GENERATOR,
            summary=summary(description),
            imports=_imports([], set(), base=True),
            models_module=models_module(description),
            model_names=model_names,
            validation_literal=pprint.pformat(rules, width=100, sort_dicts=True),
            has_unnamed=description.open_properties
            or any(not f.is_identifier for f in description.props),
            exports=exports,
        )
    )
    return resource_text, models_text


def render_package_init(service: str, exports: list[tuple[str, str]]) -> str:
    return (
        environment()
        .get_template("package_init.py.j2")
        .render(service_title=service, generator=GENERATOR, exports=sorted(exports))
    )


def render_aws_init(services: list[str]) -> str:
    return (
        environment()
        .get_template("aws_init.py.j2")
        .render(generator=GENERATOR, services=sorted(services))
    )


def render_lazy() -> str:
    return environment().get_template("lazy.py.j2").render(generator=GENERATOR)


def render_base() -> str:
    return environment().get_template("base.py.j2").render(generator=GENERATOR)


def render_index(entries: list[tuple[str, str, str]]) -> str:
    return (
        environment()
        .get_template("index.py.j2")
        .render(generator=GENERATOR, entries=sorted(entries))
    )
