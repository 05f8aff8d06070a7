"""Finding the existing resource a create collided with, so that `adopt=True` can take it over.

When the failed event names no identifier (SecurityProfile's identifier is a generated ARN), the
resource is looked up with ListResources (its ResourceModel built from the declared properties
the list handler requires) and matched on the declared identifying properties: the create-only
ones and those of the primary and additional identifiers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cloudforge.engine.patch import same_value, split_pointer
from cloudforge.errors import AlreadyExistsError, ResourceNotFoundError
from cloudforge.metadata import TypeMetadata

if TYPE_CHECKING:
    from cloudforge.engine.requests import RequestRunner


def identifying_keys(metadata: TypeMetadata, declared: Mapping[str, Any]) -> list[str]:
    """Top-level declared properties that single out one resource of the type."""
    pointers = [*metadata.create_only, *metadata.primary_identifier]
    for identifier in metadata.additional_identifiers:
        pointers.extend(identifier)
    read_only = {split_pointer(p)[0] for p in metadata.read_only if split_pointer(p)}
    keys: list[str] = []
    for pointer in pointers:
        tokens = split_pointer(pointer)
        if (
            tokens
            and tokens[0] in declared
            and tokens[0] not in read_only
            and tokens[0] not in keys
        ):
            keys.append(tokens[0])
    return keys


def identifier_of(metadata: TypeMetadata, properties: Mapping[str, Any]) -> str | None:
    """The primary identifier in `properties`: the values in schema order joined by "|".

    None when one of them is missing (typically a generated, read-only identifier).
    """
    values = []
    for pointer in metadata.primary_identifier:
        value: Any = properties
        for token in split_pointer(pointer):
            if not isinstance(value, Mapping) or token not in value:
                return None
            value = value[token]
        if isinstance(value, dict | list) or value is None:
            return None
        values.append(str(value))
    return "|".join(values) if values else None


def list_model(
    metadata: TypeMetadata, declared: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The ListResources ResourceModel from the declared props, and the required ones missing."""
    model = {k: declared[k] for k in metadata.list_required if k in declared}
    missing = [k for k in metadata.list_required if k not in declared]
    return model, missing


def matches(
    metadata: TypeMetadata, keys: list[str], declared: Mapping[str, Any], found: Mapping[str, Any]
) -> bool | None:
    """Whether `found` is the declared resource; None when `found` lacks a key to tell."""
    if any(k not in found for k in keys):
        return None
    return all(same_value(found[k], declared[k], metadata.unordered_arrays, "/" + k) for k in keys)


def cannot_adopt(type_name: str, logical_id: str, detail: str) -> AlreadyExistsError:
    return AlreadyExistsError(
        f"{type_name} {logical_id!r} already exists and adopt=True cannot take it over: {detail}",
        type_name=type_name,
        logical_id=logical_id,
        detail=detail,
    )


async def locate(
    runner: RequestRunner,
    logical_id: str,
    metadata: TypeMetadata,
    declared: dict[str, Any],
    hint: str | None = None,
    *,
    strict: bool,
) -> tuple[str, dict[str, Any]] | None:
    """The existing resource the declared one would collide with, if it can be found.

    By the identifier a failed event named (`hint`), else by a declared identifier (a bucket
    name), else through ListResources matched on the identifying properties. With `strict`, a
    lookup that cannot be made or finds nothing raises AlreadyExistsError saying why;
    otherwise it returns None.
    """
    type_name = metadata.type_name
    identifier = hint or identifier_of(metadata, declared)
    if identifier:
        try:
            return identifier, await runner.read(metadata, identifier, logical_id)
        except ResourceNotFoundError:
            pass  # an event may name the identifier the create would have had
    model, missing = list_model(metadata, declared)
    keys = identifying_keys(metadata, declared)
    if metadata.handlers and not metadata.has_handler("list"):
        problem = "the type has no list handler, so the existing one cannot be found"
    elif missing:
        problem = f"ListResources needs {', '.join(missing)}; declare them"
    elif not keys:
        problem = "no declared property identifies the existing resource"
    else:
        for found, listed in await runner.cloud.list(type_name, model or None, logical_id):
            verdict = matches(metadata, keys, declared, listed)
            if verdict is False:
                continue
            props = await runner.read(metadata, found, logical_id)
            if verdict or matches(metadata, keys, declared, props):
                return found, props
        wanted = ", ".join(f"{k}={declared[k]!r}" for k in keys)
        problem = f"no resource with {wanted} was found through ListResources"
    if strict:
        raise cannot_adopt(type_name, logical_id, problem)
    return None
