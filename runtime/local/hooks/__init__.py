"""Per-type behaviour where the generic, schema-driven handler is not enough.

`TypeHooks` is the generic handler's behaviour; a type that needs more subclasses it and
registers with `@register("AWS::Service::Type")`. `hooks_for(type_name)` finds the hooks.
"""

from __future__ import annotations

import importlib
import random
import re
import threading
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from cloudforge.local.readonly import ACCOUNT, REGION, fill_read_only, generated_name, sample
from cloudforge.local.typeinfo import TypeInfo

# Read-only properties a handler refreshes on every update (LastModifiedTime, LastUpdatedAt, ...).
_LAST_CHANGED = re.compile(r"^(LastModified|LastUpdated|Updated|Modified|LastChanged)(Time|Date|At|On|Timestamp)?$|UpdateTime$")


class HandlerFailure(Exception):
    """The handler fails the request: it ends FAILED with this HandlerErrorCode and message."""

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message


@dataclass
class HookContext:
    """What hooks may use: the server's seeded random source, its region and account."""

    rng: random.Random
    region: str = REGION
    account: str = ACCOUNT


class TypeHooks:
    """The generic handler: fills read-only properties, unique primary identifier, full list views."""

    def prepare_create(self, ctx: HookContext, info: TypeInfo, desired: dict[str, Any]) -> dict[str, Any]:
        """The model the resource will have: the desired state plus generated identifiers and read-only values."""
        model = dict(desired)
        props = info.schema.get("properties", {})
        for name in info.primary_identifier:
            if name not in model and name not in info.read_only_top and name in props:
                model[name] = generated_name(info, props[name], ctx.rng)
        return fill_read_only(info, model, ctx.rng, account=ctx.account, region=ctx.region)

    def unique_key(self, info: TypeInfo, model: dict[str, Any]) -> Hashable | None:
        """What, besides the primary identifier, is unique among the type's resources (None:
        nothing). The store indexes it, so `conflict` is given only the resources sharing it."""
        return None

    def conflict(self, ctx: HookContext, info: TypeInfo, model: dict[str, Any],
                 others: Iterable[dict[str, Any]]) -> str | None:
        """A message when creating `model` would clash with an existing resource (beyond the primary identifier)."""
        return None

    def already_exists_message(self, info: TypeInfo, identifier: str) -> str:
        return f"Resource of type '{info.type_name}' with identifier '{identifier}' already exists."

    def not_found_message(self, info: TypeInfo, identifier: str) -> str:
        return f"Resource of type '{info.type_name}' with identifier '{identifier}' was not found."

    def prepare_update(self, ctx: HookContext, info: TypeInfo, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
        """The model after an update: read-only timestamps that say "last modified/updated" move on."""
        props = info.schema.get("properties", {})
        moved = {name: sample(info, name, props[name], new, ctx.rng, account=ctx.account, region=ctx.region) for name in info.read_only_top
                 if name in props and _LAST_CHANGED.search(name)}
        return {**new, **moved}

    def list_matches(self, info: TypeInfo, model: dict[str, Any], resource_model: dict[str, Any]) -> bool:
        """Whether a resource belongs in a ListResources answer filtered by `resource_model`."""
        return all(model.get(k) == v for k, v in resource_model.items() if k in info.list_required)

    def list_view(self, info: TypeInfo, model: dict[str, Any]) -> dict[str, Any]:
        """The properties ListResources shows for a resource (write-only ones are removed later)."""
        return model

    def prepare_delete(self, ctx: HookContext, info: TypeInfo, model: dict[str, Any]) -> None:
        """Raise HandlerFailure when the resource cannot be deleted as it is."""

    def after_create(self, ctx: HookContext, info: TypeInfo, model: dict[str, Any]) -> None:
        """Side effects once a create succeeds (e.g. the matching moto resource); also run for
        stored resources when a server restarts from its state file."""

    def after_delete(self, ctx: HookContext, info: TypeInfo, model: dict[str, Any]) -> None:
        """Side effects once a delete succeeds."""

    def apply_create(self, ctx: HookContext, info: TypeInfo, model: dict[str, Any]) -> dict[str, Any]:
        """Make the resource once the create is accepted (no clash); the model it was made with."""
        return model

    def cancelled(self, ctx: HookContext, info: TypeInfo, operation: str, identifier: str,
                  old: dict[str, Any], new: dict[str, Any] | None) -> None:
        """Undo what a cancelled CREATE (`apply_create`) or UPDATE (`prepare_update`) did to a service."""

    def live(self, ctx: HookContext, info: TypeInfo, identifier: str,
             stored: dict[str, Any] | None) -> dict[str, Any] | None:
        """The resource as it is now (None: it does not exist); generically, what the store holds."""
        return stored

    def live_identifiers(self, ctx: HookContext, info: TypeInfo) -> list[str] | None:
        """Every such resource's identifier where a service keeps them; None: the store alone knows."""
        return None


_REGISTRY: dict[str, TypeHooks] = {}
_GENERIC = TypeHooks()
_MODULES = ("cloudforge.local.hooks.connect", "cloudforge.local.hooks.backed")
H = TypeVar("H", bound=type[TypeHooks])


def register(type_name: str) -> Callable[[H], H]:
    def wrap(cls: H) -> H:
        add(type_name, cls())
        return cls

    return wrap


def add(type_name: str, hooks: TypeHooks) -> None:
    """Serve `type_name` with `hooks` (one instance per type, for hooks that take the type's name)."""
    _REGISTRY[type_name] = hooks


_loaded = threading.Event()
_loading = threading.Lock()


def hooks_for(type_name: str) -> TypeHooks:
    """The type's hooks, or the generic handler's."""
    if not _loaded.is_set():
        # Every hook module is imported before any lookup is answered, even with concurrent first calls.
        with _loading:
            for module in _MODULES:
                importlib.import_module(module)
            _loaded.set()
    return _REGISTRY.get(type_name, _GENERIC)
