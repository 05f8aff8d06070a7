"""The registry of generated resource types: type name -> resource class, imported on demand.

Reads the generator's index (`cloudforge.aws._index`), so listing the types imports no resource
module and looking one up imports only its own.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from cloudforge.errors import UnknownTypeError

if TYPE_CHECKING:
    from cloudforge.resource import Resource

__all__ = ["UnknownTypeError", "resource_class", "type_names"]  # the error's home: errors.py


def _index() -> dict[str, tuple[str, str]]:
    from cloudforge.aws._index import TYPES

    return TYPES


def type_names() -> list[str]:
    """Every generated type name, sorted."""
    return sorted(_index())


def resource_class(type_name: str) -> type[Resource]:
    """The generated class of `type_name` (`AWS::Connect::SecurityProfile` -> SecurityProfile)."""
    entry = _index().get(type_name)
    if entry is None:
        raise UnknownTypeError(type_name=type_name)
    module, name = entry
    cls: type[Resource] = getattr(importlib.import_module(module), name)
    return cls
