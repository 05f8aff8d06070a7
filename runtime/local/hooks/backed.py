"""Hooks for the types moto backs: every handler goes through the type's adapter.

A create, update or delete reaches the service when it is submitted (as an AWS handler makes its
calls while the request is in progress); the Cloud Control store still decides when the request
finishes, so a resource being created stays invisible to GetResource and ListResources until
then, and a cancelled create is undone. Reads and lists ask the service, so what the service APIs
made or changed is what Cloud Control answers; properties the adapter does not map (a bucket's
lifecycle rules, say) are kept from the stored model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from cloudforge.local.hooks import HandlerFailure, HookContext, TypeHooks, add
from cloudforge.local.moto_adapters import (
    BACKED,
    Adapter,
    AdapterError,
    Api,
    adapter_for,
    error_code,
)
from cloudforge.local.readonly import fill_read_only, generated_name
from cloudforge.local.typeinfo import TypeInfo

T = TypeVar("T")

# AWS error codes of the service APIs, as the HandlerErrorCode a Cloud Control handler reports.
_HANDLER_CODES = {
    "AlreadyExists": ("AlreadyExists", "EntityAlreadyExists", "QueueAlreadyExists", "ResourceExistsException",
                      "ResourceInUseException", "ResourceConflictException", "BucketAlreadyExists",
                      "BucketAlreadyOwnedByYou", "ParameterAlreadyExists", "InvalidGroup.Duplicate",
                      "ResourceAlreadyExistsException"),
    "NotFound": ("NotFound", "NoSuchEntity", "ResourceNotFoundException", "NoSuchBucket", "ParameterNotFound",
                 "NotFoundException", "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"),
    "InvalidRequest": ("ValidationException", "ValidationError", "InvalidParameterValue", "InvalidParameterValueException",
                       "InvalidParameterException", "InvalidInput", "MalformedPolicyDocument", "InvalidRequest",
                       "InvalidArgument", "InvalidAttributeName", "InvalidParameterCombination",
                       "MalformedPolicy", "InvalidPolicyDocument", "InvalidSubnet.Range", "InvalidParameter"),
    "ServiceLimitExceeded": ("LimitExceeded", "LimitExceededException", "TooManyBuckets"),
    "Throttling": ("Throttling", "ThrottlingException", "TooManyRequestsException"),
    "AccessDenied": ("AccessDenied", "AccessDeniedException"),
}
_BY_CODE = {code: handler for handler, codes in _HANDLER_CODES.items() for code in codes}


def handler_code(service_code: str) -> str:
    if service_code.endswith(".NotFound") or service_code.endswith(".Malformed"):
        return "NotFound" if service_code.endswith(".NotFound") else "InvalidRequest"
    return _BY_CODE.get(service_code, "GeneralServiceException")


def _handled(call: Callable[..., T], *args: Any) -> T:
    """The adapter's answer; a refusal by the service becomes the request's HandlerFailure."""
    try:
        return call(*args)
    except AdapterError as failure:
        raise HandlerFailure(failure.error_code, failure.message) from failure
    except Exception as exc:
        code = error_code(exc)
        if type(exc).__name__ == "ParamValidationError":  # the service API's own input checks
            raise HandlerFailure("InvalidRequest", str(exc)) from exc
        if not code:
            raise
        raise HandlerFailure(handler_code(code), str(exc)) from exc


class BackedHooks(TypeHooks):
    def __init__(self, type_name: str) -> None:
        self.type_name = type_name
        self._adapter: Adapter | None = None

    @property
    def adapter(self) -> Adapter:
        if self._adapter is None:
            self._adapter = adapter_for(self.type_name)
            assert self._adapter is not None
        return self._adapter

    @staticmethod
    def api(ctx: HookContext) -> Api:
        return Api(account=ctx.account, region=ctx.region, rng=ctx.rng)

    def prepare_create(self, ctx: HookContext, info: TypeInfo, desired: dict[str, Any]) -> dict[str, Any]:
        model = dict(desired)
        props = info.schema.get("properties", {})
        for name in info.primary_identifier:
            if name not in model and name not in info.read_only_top and name in props:
                model[name] = generated_name(info, props[name], ctx.rng)
        return model

    def conflict(self, ctx: HookContext, info: TypeInfo, model: dict[str, Any],
                 others: Iterable[dict[str, Any]]) -> str | None:
        identifier = info.identifier_of(model)
        if identifier is not None and self.adapter.read(self.api(ctx), identifier) is not None:
            return self.already_exists_message(info, identifier)
        return None

    def apply_create(self, ctx: HookContext, info: TypeInfo, model: dict[str, Any]) -> dict[str, Any]:
        try:
            live = _handled(self.adapter.create, self.api(ctx), model)
        except Exception:
            # A create that failed half-way (the queue made, its tags refused) leaves nothing behind.
            identifier = info.identifier_of(model)
            if identifier is not None:
                try:
                    self.adapter.delete(self.api(ctx), identifier)
                except Exception:
                    pass
            raise
        return fill_read_only(info, {**model, **live}, ctx.rng, account=ctx.account, region=ctx.region)

    def already_exists_message(self, info: TypeInfo, identifier: str) -> str:
        return self.adapter.already_exists or super().already_exists_message(info, identifier)

    def not_found_message(self, info: TypeInfo, identifier: str) -> str:
        return self.adapter.not_found or super().not_found_message(info, identifier)

    def prepare_update(self, ctx: HookContext, info: TypeInfo, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
        model = super().prepare_update(ctx, info, old, new)
        identifier = info.identifier_of(old)
        if identifier is not None:
            _handled(self.adapter.update, self.api(ctx), identifier, old, model)
        return model

    def prepare_delete(self, ctx: HookContext, info: TypeInfo, model: dict[str, Any]) -> None:
        identifier = info.identifier_of(model)
        if identifier is not None:
            _handled(self.adapter.check_delete, self.api(ctx), identifier)

    def after_create(self, ctx: HookContext, info: TypeInfo, model: dict[str, Any]) -> None:
        # Also run for stored resources when a cloud starts from its state file: make what is missing.
        identifier = info.identifier_of(model)
        if identifier is not None and self.adapter.read(self.api(ctx), identifier) is None:
            self.adapter.create(self.api(ctx), model)

    def after_delete(self, ctx: HookContext, info: TypeInfo, model: dict[str, Any]) -> None:
        identifier = info.identifier_of(model)
        if identifier is not None:
            self.adapter.delete(self.api(ctx), identifier)

    def cancelled(self, ctx: HookContext, info: TypeInfo, operation: str, identifier: str,
                  old: dict[str, Any], new: dict[str, Any] | None) -> None:
        if operation == "CREATE":
            self.adapter.delete(self.api(ctx), identifier)
        elif operation == "UPDATE" and new is not None and old:
            self.adapter.update(self.api(ctx), identifier, new, old)

    def live(self, ctx: HookContext, info: TypeInfo, identifier: str,
             stored: dict[str, Any] | None) -> dict[str, Any] | None:
        found = self.adapter.read(self.api(ctx), identifier)
        if found is None:
            return None
        return {**(stored or {}), **found}

    def live_identifiers(self, ctx: HookContext, info: TypeInfo) -> list[str] | None:
        return self.adapter.list(self.api(ctx))

    def list_view(self, info: TypeInfo, model: dict[str, Any]) -> dict[str, Any]:
        view = self.adapter.list_view
        return view(model) if view is not None else model


for _type_name in BACKED:
    add(_type_name, BackedHooks(_type_name))
