"""The base class of every generated resource class.

A generated class only carries data: its `metadata` (a `TypeMetadata`), its pydantic
`props_model`, and a typed `__init__` that forwards the declared properties here. Constructing
one validates the declared properties (raising `cloudforge.errors.ValidationError` with the
property path, before any call is made); awaiting it hands it to the current `App`'s engine,
which deploys it and fills in the attributes AWS returned.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self

from cloudforge.metadata import TypeMetadata

if TYPE_CHECKING:
    # Only an annotation here: importing pydantic is most of a resource module's import cost.
    from pydantic import BaseModel


def _logical_ids(logical_id: str, depends_on: Iterable[Resource | str]) -> tuple[str, ...]:
    from cloudforge.errors import CloudforgeError

    if isinstance(depends_on, str | Resource):
        depends_on = [depends_on]
    found = []
    for item in depends_on:
        if isinstance(item, Resource):
            found.append(item.logical_id)
        elif isinstance(item, str):
            found.append(item)
        else:
            raise CloudforgeError(
                f"{logical_id!r}: depends_on takes resources or logical ids, not "
                f"{type(item).__name__}"
            )
    return tuple(found)


class Resource:
    metadata: ClassVar[TypeMetadata]
    props_model: ClassVar[type[BaseModel]]

    logical_id: str
    adopt: bool
    # The declared properties, JSON-ready, CloudFormation names, only the keys the program set
    # (an explicit [] is kept, an omitted property is absent).
    declared: dict[str, Any]
    # Everything the last read returned (declared and read-only properties alike); empty until
    # the resource has been deployed or read.
    attributes: dict[str, Any]
    # Logical ids this resource depends on beyond what data flow shows (`depends_on=[...]`):
    # it is deleted before them.
    depends_on: tuple[str, ...]

    def __init__(
        self,
        logical_id: str,
        /,
        *,
        adopt: bool = False,
        depends_on: Iterable[Resource | str] = (),
        **props: Any,
    ) -> None:
        from cloudforge.validation import validate_declared

        object.__setattr__(self, "logical_id", logical_id)
        object.__setattr__(self, "adopt", adopt)
        object.__setattr__(self, "depends_on", _logical_ids(logical_id, depends_on))
        object.__setattr__(self, "declared", validate_declared(type(self), logical_id, props))
        object.__setattr__(self, "attributes", {})

    def __await__(self) -> Generator[Any, None, Self]:
        # Imported here so that importing a generated module never imports boto3.
        from cloudforge.app import current_app

        return current_app().deploy(self).__await__()

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not real attributes: the CloudFormation properties.
        if name.startswith("_"):
            raise AttributeError(name)
        attributes: Mapping[str, Any] = self.__dict__.get("attributes", {})
        if name in attributes:
            return attributes[name]
        declared: Mapping[str, Any] = self.__dict__.get("declared", {})
        if name in declared:
            return declared[name]
        raise AttributeError(
            f"{type(self).__name__} {self.__dict__.get('logical_id')!r} has no value for "
            f"{name!r} (not declared, or not known until the resource is deployed)"
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.logical_id!r}, {self.declared!r})"
