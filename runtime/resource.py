"""The base class of every generated resource class.

A generated class only carries data: its `metadata` (a `TypeMetadata`), its pydantic
`props_model`, its validation rules (`props_schema`), and a typed, documented keyword-only
`__init__` (what `help()` and `inspect.signature` show) that forwards here. Constructing
one validates the declared properties (raising `cloudforge.errors.ValidationError` with the
property path, before any call is made); awaiting it hands it to the current `App`'s engine,
which deploys it and fills in the attributes AWS returned.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self

from cloudforge.metadata import ReplacementStrategy, TypeMetadata

if TYPE_CHECKING:
    # Only an annotation here: importing pydantic is most of a resource module's import cost.
    from pydantic import BaseModel


def _logical_ids(logical_id: str, depends_on: Iterable[Resource | str]) -> tuple[str, ...]:
    from cloudforge.errors import UsageError

    if isinstance(depends_on, str | Resource):
        depends_on = [depends_on]
    found = []
    for item in depends_on:
        if isinstance(item, Resource):
            found.append(item.logical_id)
        elif isinstance(item, str):
            found.append(item)
        else:
            raise UsageError(
                f"{logical_id!r}: depends_on takes resources or logical ids, not "
                f"{type(item).__name__}",
                logical_id=logical_id,
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
    # How a replacement goes when the program chose (`with_replacement`); None: the engine's
    # rule (the schema's strategy, else delete first when the name is kept).
    replacement: ReplacementStrategy | None = None

    # Logical ids this resource depends on beyond what data flow shows (`depends_on=[...]`):
    # it is deleted before them.
    depends_on: tuple[str, ...]

    def __new__(
        cls,
        logical_id: str,
        /,
        *,
        adopt: bool = False,
        depends_on: Iterable[Resource | str] = (),
        **props: Any,
    ) -> Self:
        # Validation happens here, before Python binds the arguments to the generated class's
        # keyword-only __init__: a misspelt, missing or ill-typed property is then a
        # ValidationError naming its path (with a suggestion), never a bare TypeError.
        from cloudforge.app import _current
        from cloudforge.errors import ValidationError
        from cloudforge.names import check
        from cloudforge.validation import validate_declared

        check(logical_id, f"{cls.metadata.type_name} logical id")
        app = _current.get()
        try:
            declared = validate_declared(cls, logical_id, props)
            _check_keywords(cls, logical_id, props)
        except ValidationError:
            # A destroy deletes what the state holds and sends no declared property: values
            # built from attributes it no longer knows must not stop it.
            if app is None or app.phase != "destroy":
                raise
            declared = {key: value for key, value in props.items() if value is not None}
        self = super().__new__(cls)
        object.__setattr__(self, "logical_id", logical_id)
        object.__setattr__(self, "adopt", adopt)
        object.__setattr__(self, "depends_on", _logical_ids(logical_id, depends_on))
        object.__setattr__(self, "declared", declared)
        object.__setattr__(self, "attributes", {})
        if app is not None:
            app.constructed(self)  # so that the App can tell a resource never awaited
        return self

    def __init__(
        self,
        logical_id: str,
        /,
        *,
        adopt: bool = False,
        depends_on: Iterable[Resource | str] = (),
        **props: Any,
    ) -> None:
        """Everything was done by __new__ with the same arguments; a generated class's __init__
        (the typed, documented signature) forwards here."""

    def with_replacement(self, order: ReplacementStrategy) -> Self:
        """Choose the order of this resource's replacements (a create-only property changed):
        "delete_then_create" (the old one goes first: its name can be reused, but the resource
        is absent meanwhile) or "create_then_delete" (the new one first: no gap, but it must
        not collide with the old one). Returns the resource, to be awaited."""
        if order not in ("create_then_delete", "delete_then_create"):
            from cloudforge.errors import UsageError

            raise UsageError(
                f"{self.metadata.type_name} {self.logical_id!r}: with_replacement({order!r}): "
                "the order is 'delete_then_create' or 'create_then_delete'",
                logical_id=self.logical_id,
                type_name=self.metadata.type_name,
            )
        object.__setattr__(self, "replacement", order)
        return self

    def __await__(self) -> Generator[Any, None, Self]:
        # Imported here so that importing a generated module never imports boto3.
        from cloudforge.app import current_app

        return current_app(self).deploy(self).__await__()

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


_VARKEYWORDS = 0x08  # inspect.CO_VARKEYWORDS, without importing inspect


def _check_keywords(cls: type[Resource], logical_id: str, props: Mapping[str, Any]) -> None:
    """A keyword the class's __init__ does not take, given as None (validation drops those as
    "not declared"): still a mistake, reported as such rather than as the TypeError that
    binding the keyword-only __init__ would raise next."""
    code = cls.__init__.__code__
    if code.co_flags & _VARKEYWORDS:
        return
    taken = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    for key in props:
        if key not in taken:
            from cloudforge.errors import ValidationError

            raise ValidationError(
                type_name=cls.metadata.type_name,
                logical_id=logical_id,
                path=key,
                problem=(
                    f"not a property {cls.__name__} takes: read-only attributes and unknown "
                    "names cannot be declared, not even as None"
                ),
                value=props[key],
            )
