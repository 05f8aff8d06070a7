"""Python names for registry names: packages, modules, classes, and the clash rules.

CloudFormation names are kept verbatim as field and keyword names; only class, module and package
names are derived here, so a clash is solved by naming a class, never by renaming a field.
"""

from __future__ import annotations

import keyword
import re

# Names every generated module imports or defines besides the type's own classes: a definition
# called like one of them gets another class name.
RESERVED = frozenset(
    {
        "Annotated", "Any", "BaseModel", "DeferredModel", "ClassVar", "ConfigDict", "Field", "Literal", "Required",
        "Resource", "RootModel", "TYPE_CHECKING", "Tagging", "TypeMetadata", "TypedDict",
        "annotations", "bool", "dict", "float", "int", "list", "str", "object", "type", "None",
    }
)  # fmt: skip


# Names the resource class itself uses (cloudforge.resource.Resource's members, and the typed
# constructor's own parameters): a property so named is declared through **props and read with
# `resource.attributes[...]` instead of becoming a keyword parameter or a class annotation.
RESOURCE_MEMBERS = frozenset(
    {
        "id", "self", "adopt", "logical_id", "declared", "attributes", "metadata", "props_model",
        "attributes_model", "props_schema", "depends_on",
    }
)  # fmt: skip


def is_member_name(name: str) -> bool:
    """Usable as a keyword parameter and class annotation of the resource class."""
    return is_identifier(name) and name not in RESOURCE_MEMBERS


def is_identifier(name: str) -> bool:
    """Usable as a Python keyword argument / attribute name written in source."""
    return name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("_")


def pascal(name: str) -> str:
    """A class-name form of a registry name: `Foo-bar.baz` -> `FooBarBaz`, first letter upper."""
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", name) if p]
    joined = "".join(p[0].upper() + p[1:] for p in parts) or "Object"
    if joined[0].isdigit():
        joined = "N" + joined
    return joined


def snake(name: str) -> str:
    """`SecurityProfile` -> `security_profile`, `DBInstance` -> `db_instance`, `VPCEndpoint` -> `vpc_endpoint`."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = re.sub(r"[^0-9A-Za-z]+", "_", s).strip("_").lower()
    if not s or s[0].isdigit():
        s = "t_" + s
    return s + "_" if keyword.iskeyword(s) else s


def package_name(service: str) -> str:
    """`Connect` -> `connect`; `Lambda` -> `lambda_` (a keyword cannot be a package in an import)."""
    s = re.sub(r"[^0-9a-z]+", "_", service.lower()).strip("_")
    return s + "_" if keyword.iskeyword(s) else s


def unique_class_name(candidates: list[str], taken: set[str]) -> str:
    """The first candidate not taken (case-sensitively); else the last one with a counter."""
    for c in candidates:
        # `<name>Dict` is the TypedDict twin: `Typed` would make it `TypedDict`.
        if c not in taken and c not in RESERVED and c + "Dict" != "TypedDict":
            return c
    base, n = candidates[-1], 2
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"
