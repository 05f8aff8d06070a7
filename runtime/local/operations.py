"""The resource operations (Create, Get, Update, Delete, List), served generically from schemas.

Each operation takes the parsed JSON body and returns the response body; errors are `ApiError`.
Type checks come first (TypeNotFoundException before anything else, as AWS does), then the
request's members, then the resource. Per-type behaviour comes from `cloudforge.local.hooks`;
the request-tracking operations live in `request_operations`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import jsonpatch
import jsonpointer
from cloudforge.local import patching
from cloudforge.local.backend import Backend
from cloudforge.local.hooks import HandlerFailure, TypeHooks, hooks_for
from cloudforge.local.paging import next_token, page_args
from cloudforge.local.protocol import ApiError, json_document, require, string_member, validation
from cloudforge.local.readonly import fill_read_only
from cloudforge.local.request_operations import (
    cancel_resource_request,
    get_resource_request_status,
    list_resource_requests,
)
from cloudforge.local.requests import FAILED, SUCCESS, Request
from cloudforge.local.store import StoredResource
from cloudforge.local.typeinfo import TypeInfo, type_info
from cloudforge.local.validation import (
    json_type,
    model_validation_message,
    property_violations,
    violations,
)

ACTIONS = {"CreateResource": "create", "UpdateResource": "update", "DeleteResource": "delete",
           "GetResource": "read", "ListResources": "list"}


def _info(body: dict[str, Any], operation: str) -> TypeInfo:
    require(body, "TypeName")
    info = type_info(body.get("TypeName"))
    action = ACTIONS.get(operation)
    if action is not None and action not in info.handlers:
        raise ApiError(
            "UnsupportedActionException",
            f"Resource type {info.type_name} does not support {action.upper()} action",
        )
    return info


def _fingerprint(*parts: Any) -> str:
    return json.dumps(parts, sort_keys=True, default=str)


def _replay(backend: Backend, client_token: str | None, fingerprint: str, now: float) -> dict[str, Any] | None:
    """The earlier request's event when this ClientToken was seen with the same parameters."""
    if client_token is None:
        return None
    token = backend.store.client_tokens.get(client_token)
    if token is None or token not in backend.store.requests:
        return None
    request = backend.store.requests[token]
    if request.fingerprint != fingerprint:
        raise ApiError(
            "ClientTokenConflictException",
            f"ClientToken {client_token} is already associated with an existing operation "
            f"with RequestToken {token}",
        )
    return {"ProgressEvent": request.progress_event(now, backend.retry_after)}


def _new_request(backend: Backend, info: TypeInfo, operation: str, now: float, *,
                 identifier: str | None, show_identifier: bool, client_token: str | None,
                 fingerprint: str) -> Request:
    latency = backend.faults.draw_latency(info.type_name)
    return Request(
        token=str(uuid.uuid4()), operation=operation, type_name=info.type_name,
        identifier=identifier, show_identifier=show_identifier, start=now,
        due=backend.retry_after.due(now, latency),
        outcome=SUCCESS, client_token=client_token, fingerprint=fingerprint,
    )


def _fail(request: Request, code: str, message: str) -> None:
    request.outcome = FAILED
    request.error_code = code
    request.status_message = message


def _injected_failure(backend: Backend, info: TypeInfo, request: Request) -> bool:
    rule = backend.faults.handler_failure(request.operation, info.type_name)
    if rule is None:
        return False
    _fail(request, rule.error_code, rule.message)
    return True


def _submit(backend: Backend, request: Request, now: float) -> dict[str, Any]:
    """Record the request; the answer is IN_PROGRESS even with no latency, as AWS always answers."""
    if request.due > request.start:
        # The request starts when it is answered: service calls a moto-backed handler made
        # meanwhile (a first call loads the service) must not eat up its latency.
        spent = max(0.0, time.time() - now)
        request.start += spent
        request.due += spent
        now += spent
    backend.store.add_request(request)
    event = request.progress_event(now, None)
    if request.due <= now and not backend.faults.holding:
        backend.store.settle(now)
    return {"ProgressEvent": event}


def _busy(resource: StoredResource) -> ApiError:
    return ApiError(
        "ConcurrentOperationException",
        f"Another operation (request token {resource.pending}) is in progress on resource "
        f"{resource.identifier} of type {resource.type_name}; wait for it to finish",
    )


def _not_found(info: TypeInfo, hooks: TypeHooks, identifier: str) -> ApiError:
    return ApiError(
        "ResourceNotFoundException",
        f"{info.type_name} Handler returned status FAILED: {hooks.not_found_message(info, identifier)} "
        f"(HandlerErrorCode: NotFound, RequestToken: {uuid.uuid4()})",
    )


def _identifier(backend: Backend, info: TypeInfo, body: dict[str, Any]) -> str:
    """The primary identifier the request names.

    As AWS accepts, the Identifier is the primary identifier as a string (composite parts joined
    by `|`), or a JSON object of the primary identifier's or an additional identifier's properties.
    """
    require(body, "Identifier")
    text = string_member(body, "Identifier", max_len=1024) or ""
    if not text.startswith("{"):
        return text
    try:
        named = json.loads(text)
    except (ValueError, RecursionError):
        return text
    if not isinstance(named, dict):
        return text
    if set(named) == set(info.primary_identifier):
        return info.identifier_of(named) or text
    for group in info.additional_identifiers:
        if set(named) == set(group):
            for resource in backend.store.of_type(info.type_name):
                if all(resource.model.get(k) == v for k, v in named.items()):
                    return resource.identifier
    return text


def _validate(info: TypeInfo, model: Any) -> None:
    if not isinstance(model, dict):
        raise validation(f"Model validation failed (#: expected type: JSONObject, found: {json_type(model)})")
    problems = violations(info.type_name, model, ignore_required=info.read_only_top)
    if problems:
        raise validation(model_validation_message(problems))


def create_resource(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    info = _info(body, "CreateResource")
    require(body, "DesiredState")
    desired = json_document(body, "DesiredState")
    client_token = string_member(body, "ClientToken", max_len=128)
    now = time.time()
    fingerprint = _fingerprint("CREATE", info.type_name, desired)
    replay = _replay(backend, client_token, fingerprint, now)
    if replay is not None:
        return replay
    _validate(info, desired)
    hooks = hooks_for(info.type_name)
    desired = {k: v for k, v in desired.items() if k not in info.read_only_top}
    known = info.identifier_of(desired)
    request = _new_request(backend, info, "CREATE", now, identifier=known, show_identifier=known is not None,
                           client_token=client_token, fingerprint=fingerprint)
    if _injected_failure(backend, info, request):
        return _submit(backend, request, now)
    try:
        model = hooks.prepare_create(backend.context, info, desired)
    except HandlerFailure as failure:
        _fail(request, failure.error_code, failure.message)
        return _submit(backend, request, now)
    identifier = info.identifier_of(model)
    if identifier is not None and backend.store.get(info.type_name, identifier) is not None:
        request.identifier = identifier
        _fail(request, "AlreadyExists", hooks.already_exists_message(info, identifier))
        return _submit(backend, request, now)
    # Only the resources sharing the type's unique key can clash (all of them when it has none).
    candidates = backend.store.sharing_key(info.type_name, model)
    if candidates is None:
        candidates = backend.store.of_type(info.type_name)
    clash = hooks.conflict(backend.context, info, model, (r.model for r in candidates))
    if clash is not None:
        _fail(request, "AlreadyExists", clash)
        return _submit(backend, request, now)
    try:
        # A service-backed type is made now (its service may generate the identifier).
        model = hooks.apply_create(backend.context, info, model)
    except HandlerFailure as failure:
        _fail(request, failure.error_code, failure.message)
        return _submit(backend, request, now)
    identifier = info.identifier_of(model) or str(uuid.uuid4())
    request.identifier = identifier
    backend.store.put(StoredResource(info.type_name, identifier, model, visible=False, pending=request.token))
    return _submit(backend, request, now)


def _not_updatable(kind: str, paths: list[str]) -> ApiError:
    return ApiError("NotUpdatableException",
                    f"Invalid patch update: {kind} [{', '.join(paths)}] cannot be updated")


def update_resource(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    info = _info(body, "UpdateResource")
    require(body, "Identifier", "PatchDocument")
    identifier = _identifier(backend, info, body)
    patch = patching.normalise(json_document(body, "PatchDocument"))
    client_token = string_member(body, "ClientToken", max_len=128)
    now = time.time()
    fingerprint = _fingerprint("UPDATE", info.type_name, identifier, patch)
    replay = _replay(backend, client_token, fingerprint, now)
    if replay is not None:
        return replay
    paths = patching.changed_paths(patch)
    # Writing at or below a create-only or read-only path is refused before the resource is read.
    for kind, guarded in (("createOnlyProperties", info.create_only), ("readOnlyProperties", info.read_only)):
        hits = patching.touched(paths, guarded)
        if hits:
            raise _not_updatable(kind, hits)
    hooks = hooks_for(info.type_name)
    resource = _current(backend, info, hooks, identifier)
    if resource is None:
        raise _not_found(info, hooks, identifier)
    if resource.pending is not None:
        raise _busy(resource)
    top_read_only = tuple(p for p in info.read_only if len(p) == 1)
    writable = patching.strip(top_read_only, resource.model)
    try:
        patched = jsonpatch.apply_patch(writable, patch)
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException, TypeError, KeyError, IndexError) as exc:
        raise validation(f"Invalid patch document: {exc}") from exc
    # Replacing a parent object is fine as long as the create-only values inside it stay.
    create_only = patching.touched(paths, info.create_only, writable, patched)
    if create_only:
        raise _not_updatable("createOnlyProperties", create_only)
    _validate(info, patching.strip(info.read_only, patched))
    request = _new_request(backend, info, "UPDATE", now, identifier=identifier, show_identifier=True,
                           client_token=client_token, fingerprint=fingerprint)
    if not _injected_failure(backend, info, request):
        kept = {k: v for k, v in resource.model.items() if k in info.read_only_top}
        # Nested read-only values under a replaced parent are the handler's to fill again.
        ctx = backend.context
        new_model = fill_read_only(info, {**patched, **kept}, ctx.rng, account=ctx.account, region=ctx.region)
        try:
            request.new_model = hooks.prepare_update(ctx, info, resource.model, new_model)
        except HandlerFailure as failure:
            _fail(request, failure.error_code, failure.message)
    resource.pending = request.token
    return _submit(backend, request, now)


def delete_resource(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    info = _info(body, "DeleteResource")
    identifier = _identifier(backend, info, body)
    client_token = string_member(body, "ClientToken", max_len=128)
    now = time.time()
    fingerprint = _fingerprint("DELETE", info.type_name, identifier)
    replay = _replay(backend, client_token, fingerprint, now)
    if replay is not None:
        return replay
    hooks = hooks_for(info.type_name)
    request = _new_request(backend, info, "DELETE", now, identifier=identifier, show_identifier=True,
                           client_token=client_token, fingerprint=fingerprint)
    resource = backend.store.get(info.type_name, identifier)
    if resource is not None and resource.pending is not None:
        raise _busy(resource)
    resource = _current(backend, info, hooks, identifier)
    if resource is None:
        # AWS accepts the delete and reports NotFound in the request's status.
        _fail(request, "NotFound", hooks.not_found_message(info, identifier))
    elif not _injected_failure(backend, info, request):
        try:
            hooks.prepare_delete(backend.context, info, resource.model)
        except HandlerFailure as failure:
            _fail(request, failure.error_code, failure.message)
        else:
            resource.pending = request.token
    return _submit(backend, request, now)


def _settling(backend: Backend, resource: StoredResource) -> bool:
    """Whether a new resource is still inside the read-after-create inconsistency window."""
    window, created = backend.read_after_create, resource.created_at
    return window > 0 and created is not None and time.time() < created + window


def get_resource(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    info = _info(body, "GetResource")
    identifier = _identifier(backend, info, body)
    hooks = hooks_for(info.type_name)
    model = _live(backend, info, hooks, identifier)
    stored = backend.store.get(info.type_name, identifier)
    if model is None or (stored is not None and _settling(backend, stored)):
        raise _not_found(info, hooks, identifier)
    return {
        "TypeName": info.type_name,
        "ResourceDescription": {
            "Identifier": identifier,
            "Properties": json.dumps(patching.strip(info.write_only, model)),
        },
    }


def _live(backend: Backend, info: TypeInfo, hooks: TypeHooks, identifier: str) -> dict[str, Any] | None:
    """The resource's model as GetResource shows it; None while its create is in progress or when it
    does not exist (for a service-backed type: when the service does not have it)."""
    resource = backend.store.get(info.type_name, identifier)
    if resource is not None and not resource.visible:
        return None
    if resource is not None and resource.pending is not None:
        return resource.model  # as it was, until the update or delete in progress finishes
    return hooks.live(backend.context, info, identifier, resource.model if resource is not None else None)


def _current(backend: Backend, info: TypeInfo, hooks: TypeHooks, identifier: str) -> StoredResource | None:
    """The stored resource an update or delete works on, brought up to date with its service: one
    the service API made is taken into the store, one deleted there is gone."""
    resource = backend.store.get(info.type_name, identifier)
    if resource is not None and (not resource.visible or resource.pending is not None):
        return resource if resource.visible else None
    model = _live(backend, info, hooks, identifier)
    if model is None:
        if resource is not None:
            backend.store.remove(resource)
        return None
    if resource is None or resource.model != model:
        resource = StoredResource(info.type_name, identifier, model, visible=True)
        backend.store.put(resource)
    return resource


def _listed(backend: Backend, info: TypeInfo, hooks: TypeHooks) -> list[tuple[str, dict[str, Any]]]:
    """(identifier, model) of every resource of the type ListResources can show, by identifier."""
    known = hooks.live_identifiers(backend.context, info)
    if known is None:
        found = [(r.identifier, r.model) for r in backend.store.of_type(info.type_name) if r.visible]
    else:
        found = []
        for identifier in known:
            model = _live(backend, info, hooks, identifier)
            if model is not None:
                found.append((identifier, model))
    return sorted(found, key=lambda pair: pair[0])


def _list_model_problem(info: TypeInfo, resource_model: dict[str, Any]) -> str | None:
    """What is wrong with the ResourceModel the list handler requires, in everit's words."""
    for name in info.list_required:
        if resource_model.get(name) in (None, ""):
            return f"#: required key [{name}] not found"
        problems = property_violations(info.type_name, name, resource_model[name])
        if problems:
            return problems[0]
    return None


def list_resources(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    info = _info(body, "ListResources")
    resource_model = json_document(body, "ResourceModel") or {}
    if not isinstance(resource_model, dict):
        raise validation("ResourceModel must be a JSON object")
    problem = _list_model_problem(info, resource_model)
    if problem is not None:
        # AWS's wording, run-on sentence included.
        raise ApiError(
            "InvalidRequestException",
            f"Missing or invalid ResourceModel property in {info.type_name} list handler request input."
            f"Required property: ({problem})",
        )
    size, after = page_args(body)
    hooks = hooks_for(info.type_name)
    found = [(identifier, model) for identifier, model in _listed(backend, info, hooks)
             if hooks.list_matches(info, model, resource_model)]
    if after is not None:
        found = [pair for pair in found if pair[0] > after]
    page = found[:size]
    answer: dict[str, Any] = {
        "TypeName": info.type_name,
        "ResourceDescriptions": [
            {"Identifier": identifier,
             "Properties": json.dumps(patching.strip(info.write_only, hooks.list_view(info, model)))}
            for identifier, model in page
        ],
    }
    if len(found) > size:
        answer["NextToken"] = next_token(page[-1][0])
    return answer


OPERATIONS: dict[str, Callable[[Backend, dict[str, Any]], dict[str, Any]]] = {
    "CreateResource": create_resource,
    "GetResource": get_resource,
    "UpdateResource": update_resource,
    "DeleteResource": delete_resource,
    "ListResources": list_resources,
    "GetResourceRequestStatus": get_resource_request_status,
    "CancelResourceRequest": cancel_resource_request,
    "ListResourceRequests": list_resource_requests,
}
