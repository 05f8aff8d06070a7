"""Render a `TypeDescription` (plus the model classes) into module text through jinja2 templates.

The templates hold layout only; the few values they need that are not on the description
(a summary line, the merged import block, the validation rules as a Python literal) are
computed here.
"""

from __future__ import annotations

import json
import re
import textwrap
from functools import cache
from typing import Any

import jinja2
from cloudforge.codegen.description import TypeDescription

GENERATOR = "cloudforge.codegen"

_BASE_IMPORTS = {
    "typing": {"TYPE_CHECKING", "Any", "ClassVar", "Literal", "Required", "TypedDict"},
}
USER_GUIDE = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide"
BACKSLASH, TRIPLE = chr(92), '"' * 3
# cloudforge.metadata.Tagging's defaults: only the arguments that differ are generated.
TAGGING_DEFAULTS: dict[str, Any] = {
    "taggable": True, "tag_on_create": True, "tag_updatable": True, "tag_property": "/Tags"
}  # fmt: skip
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
    env.filters["docline"] = docline
    env.filters["comment"] = lambda text: text.replace("\n", " ")
    return env


def docline(text: str, first: int | None = None, rest: int | None = None) -> str:
    """Text safe inside a triple-quoted docstring (backslashes kept, no closing quotes); wrapped
    at 100 columns when given the column its first line starts at and the indent of the rest."""
    text = text.replace(BACKSLASH, BACKSLASH * 2).replace(TRIPLE, "'" * 3)
    if first is not None:
        text = textwrap.fill(
            text,
            width=100,
            initial_indent=" " * first,
            subsequent_indent=" " * (first if rest is None else rest),
            break_long_words=False,
            break_on_hyphens=False,
        ).lstrip()
    # A quote right before the closing quotes would end the docstring early.
    return text + " " if text.endswith('"') else text


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


# Annotations spell these names: a TypedDict field named like one cannot be declared in the class
# syntax (the class-scope name would shadow it in its neighbours' annotations).
_ANNOTATION_NAMES = frozenset(
    {
        "Any",
        "Literal",
        "Required",
        "TypedDict",
        "str",
        "int",
        "float",
        "bool",
        "list",
        "dict",
        "None",
    }
)


def class_syntax_models(description: TypeDescription) -> set[str]:
    """Models whose TypedDict twin can be written in the class syntax (with field docstrings):
    every key a plain identifier that no annotation of the class uses as a name."""
    out = set()
    for m in description.models:
        names = {f.name for f in m.fields}
        used = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", " ".join(f.output_type for f in m.fields)))
        if all(f.is_identifier for f in m.fields) and not names & (used | _ANNOTATION_NAMES):
            out.add(m.name)
    return out


def _dotted(paths: tuple[str, ...]) -> str:
    return ", ".join(p.lstrip("/").replace("/*", "[*]").replace("/", ".") for p in paths)


def class_facts(description: TypeDescription) -> list[str]:
    """The resource class docstring's facts: identifier, replacement, write-only, read-only."""
    d = description
    composite = " (composite: the values joined by '|')" if len(d.primary_identifier) > 1 else ""
    facts = [f"Identifier: {_dotted(d.primary_identifier) or '(none)'}{composite}."]
    if d.additional_identifiers:
        others = "; ".join(_dotted(ident) for ident in d.additional_identifiers)
        facts.append(f"Also identified by: {others}.")
    if d.create_only:
        facts.append(f"Replaced when any of these change (create-only): {_dotted(d.create_only)}.")
    if d.conditional_create_only:
        facts.append(
            "May be replaced when these change (conditionally create-only): "
            f"{_dotted(d.conditional_create_only)}."
        )
    if d.write_only:
        facts.append(f"Write-only (sent to AWS, never read back): {_dotted(d.write_only)}.")
    if d.attributes:
        names = ", ".join(f.name for f in d.attributes)
        facts.append(f"Read-only attributes (known once deployed): {names}.")
    service, kind = d.type_name.lower().split("::")[1:]
    facts.append(f"{USER_GUIDE}/aws-resource-{service}-{kind}.html")
    return facts


def schema_data_file(description: TypeDescription) -> str:
    """The package-data file holding a type's validation rules: `security_profile.schema.json`."""
    return f"{description.module}.schema.json"


def schema_data(description: TypeDescription) -> str:
    """The validation rules as compact JSON (read once per type, by `json.load`)."""
    rules = json.loads(description.validation_schema)
    return json.dumps(rules, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


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
    unnamed = [f.name for f in description.props if not f.is_identifier]
    open_doc = "any other property the type's patterns allow (open properties)."
    unnamed_doc = (
        f"properties whose names cannot be keywords here: {', '.join(unnamed)}"
        + (f"; and {open_doc}" if description.open_properties else ".")
        if unnamed
        else open_doc
    )
    tagging = description.tagging
    tagging_args = [
        (key, getattr(tagging, key))
        for key, default in TAGGING_DEFAULTS.items()
        if tagging is not None and getattr(tagging, key) != default
    ]
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
            schema_data=schema_data_file(description),
            class_syntax=class_syntax_models(description),
            class_facts=class_facts(description),
            unnamed_doc=unnamed_doc,
            tagging_args=tagging_args,
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
