"""The eight Cloud Control operations, served generically from registry schemas.

Each operation takes the parsed JSON body and returns the response body; errors are `ApiError`.
Type checks come first (TypeNotFoundException before anything else, as AWS does), then the
request's members, then the resource. Per-type behaviour comes from `cloudforge.local.hooks`.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import random
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jsonpatch
import jsonpointer
from cloudforge.local.faults import Faults
from cloudforge.local.hooks import HandlerFailure, HookContext, TypeHooks, hooks_for
from cloudforge.local.protocol import (
    ApiError,
    json_document,
    require,
    serialization,
    string_member,
    validation,
)
from cloudforge.local.requests import CANCEL_COMPLETE, FAILED, IN_PROGRESS, SUCCESS, Request
from cloudforge.local.store import Store, StoredResource
from cloudforge.local.typeinfo import TypeInfo, type_info
from cloudforge.local.validation import model_validation_message, violations

DEFAULT_PAGE = 100
ACTIONS = {"CreateResource": "create", "UpdateResource": "update", "DeleteResource": "delete",
           "GetResource": "read", "ListResources": "list"}


@dataclass
class Backend:
    """Everything an operation works on: the store, the fault configuration, the hook context."""

    store: Store
    faults: Faults
    context: HookContext = field(default_factory=lambda: HookContext(rng=random.Random()))

    def __post_init__(self) -> None:
        self.store.on_settle.append(self._settled)
        self.restore()

    def restore(self) -> None:
        """Recreate the side effects of stored resources (moto's state does not survive a restart)."""
        with self.store.lock:
            for by_id in self.store.resources.values():
                for resource in by_id.values():
                    if resource.visible:
                        self._side_effect(hooks_for(resource.type_name).after_create, resource.type_name, resource.model)

    def _settled(self, request: Request, model: dict[str, Any] | None) -> None:
        if request.status != SUCCESS or model is None:
            return
        hooks = hooks_for(request.type_name)
        if request.operation == "CREATE":
            self._side_effect(hooks.after_create, request.type_name, model)
        elif request.operation == "DELETE":
            self._side_effect(hooks.after_delete, request.type_name, model)

    def _side_effect(self, effect: Callable[[HookContext, TypeInfo, dict[str, Any]], None], type_name: str,
                     model: dict[str, Any]) -> None:
        # A side effect in moto must never break Cloud Control's own bookkeeping.
        try:
            effect(self.context, type_info(type_name), model)
        except Exception:
            traceback.print_exc(file=sys.stderr)


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
    return {"ProgressEvent": request.progress_event(now)}


def _new_request(backend: Backend, info: TypeInfo, operation: str, now: float, *,
                 identifier: str | None, show_identifier: bool, client_token: str | None,
                 fingerprint: str) -> Request:
    latency = backend.faults.draw_latency(info.type_name)
    return Request(
        token=str(uuid.uuid4()), operation=operation, type_name=info.type_name,
        identifier=identifier, show_identifier=show_identifier, start=now, due=now + latency,
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
    backend.store.add_request(request)
    event = request.progress_event(now)
    if request.due <= now:
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


def _strip(paths: tuple[tuple[str, ...], ...], model: dict[str, Any]) -> dict[str, Any]:
    """A copy of `model` without the values at `paths` (`*` walks every array item)."""
    out = copy.deepcopy(model)

    def drop(node: Any, path: tuple[str, ...]) -> None:
        if not path:
            return
        head, rest = path[0], path[1:]
        if head == "*" and isinstance(node, list):
            for item in node:
                drop(item, rest)
        elif isinstance(node, dict) and head in node:
            if rest:
                drop(node[head], rest)
            else:
                del node[head]

    for path in paths:
        drop(out, path)
    return out


def _validate(info: TypeInfo, model: Any) -> None:
    if not isinstance(model, dict):
        kind = {list: "JSONArray", str: "String", bool: "Boolean", int: "Integer", float: "Number"}.get(type(model), "Null")
        raise validation(f"Model validation failed (#: expected type: JSONObject, found: {kind})")
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
    identifier = info.identifier_of(model) or str(uuid.uuid4())
    if backend.store.get(info.type_name, identifier) is not None:
        request.identifier = identifier
        _fail(request, "AlreadyExists", hooks.already_exists_message(info, identifier))
        return _submit(backend, request, now)
    clash = hooks.conflict(backend.context, info, model, (r.model for r in backend.store.of_type(info.type_name)))
    if clash is not None:
        _fail(request, "AlreadyExists", clash)
        return _submit(backend, request, now)
    request.identifier = identifier
    backend.store.put(StoredResource(info.type_name, identifier, model, visible=False, pending=request.token))
    return _submit(backend, request, now)


def _patch_paths(patch: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    paths = []
    for op in patch:
        for key in ("path", "from") if op.get("op") == "move" else ("path",):
            if op.get("op") != "test":
                try:
                    paths.append(tuple(jsonpointer.JsonPointer(op[key]).parts))
                except jsonpointer.JsonPointerException as exc:
                    raise validation(f"Invalid patch document: {exc}") from exc
    return paths


def _normalise_patch(patch: Any) -> list[dict[str, Any]]:
    if not isinstance(patch, list) or not all(isinstance(op, dict) for op in patch):
        raise validation("Invalid patch document: expected a JSON array of RFC 6902 operations")
    fixed = []
    for op in patch:
        op = dict(op)
        if not isinstance(op.get("op"), str) or not isinstance(op.get("path"), str):
            raise validation(f"Invalid patch document: operation {json.dumps(op)} needs 'op' and 'path' strings")
        if op["op"] in ("move", "copy") and not isinstance(op.get("from"), str):
            raise validation(f"Invalid patch document: operation {json.dumps(op)} needs a 'from' string")
        for key in ("path", "from"):
            if isinstance(op.get(key), str) and op[key] and not op[key].startswith("/"):
                op[key] = "/" + op[key]
        fixed.append(op)
    return fixed


def _touches(paths: list[tuple[str, ...]], guarded: tuple[tuple[str, ...], ...]) -> list[str]:
    hits = []
    for g in guarded:
        for p in paths:
            n = min(len(g), len(p))
            if all(a == b or a == "*" for a, b in zip(g[:n], p[:n], strict=True)):
                text = "/properties/" + "/".join(g)
                if text not in hits:
                    hits.append(text)
    return hits


def update_resource(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    info = _info(body, "UpdateResource")
    require(body, "Identifier", "PatchDocument")
    identifier = string_member(body, "Identifier", max_len=1024) or ""
    patch = _normalise_patch(json_document(body, "PatchDocument"))
    client_token = string_member(body, "ClientToken", max_len=128)
    now = time.time()
    fingerprint = _fingerprint("UPDATE", info.type_name, identifier, patch)
    replay = _replay(backend, client_token, fingerprint, now)
    if replay is not None:
        return replay
    paths = _patch_paths(patch)
    create_only = _touches(paths, info.create_only)
    if create_only:
        raise ApiError("NotUpdatableException",
                       f"Invalid patch update: createOnlyProperties [{', '.join(create_only)}] cannot be updated")
    read_only = _touches(paths, info.read_only)
    if read_only:
        raise ApiError("NotUpdatableException",
                       f"Invalid patch update: readOnlyProperties [{', '.join(read_only)}] cannot be updated")
    hooks = hooks_for(info.type_name)
    resource = backend.store.visible(info.type_name, identifier)
    if resource is None:
        raise _not_found(info, hooks, identifier)
    if resource.pending is not None:
        raise _busy(resource)
    writable = _strip(info.read_only, resource.model)
    try:
        patched = jsonpatch.apply_patch(writable, patch)
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException, TypeError, KeyError, IndexError) as exc:
        raise validation(f"Invalid patch document: {exc}") from exc
    _validate(info, patched)
    request = _new_request(backend, info, "UPDATE", now, identifier=identifier, show_identifier=True,
                           client_token=client_token, fingerprint=fingerprint)
    if not _injected_failure(backend, info, request):
        read_only_values = {k: v for k, v in resource.model.items() if k in info.read_only_top}
        request.new_model = hooks.prepare_update(backend.context, info, resource.model, {**patched, **read_only_values})
    resource.pending = request.token
    return _submit(backend, request, now)


def delete_resource(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    info = _info(body, "DeleteResource")
    require(body, "Identifier")
    identifier = string_member(body, "Identifier", max_len=1024) or ""
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


def get_resource(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    info = _info(body, "GetResource")
    require(body, "Identifier")
    identifier = string_member(body, "Identifier", max_len=1024) or ""
    hooks = hooks_for(info.type_name)
    resource = backend.store.visible(info.type_name, identifier)
    if resource is None:
        raise _not_found(info, hooks, identifier)
    return {
        "TypeName": info.type_name,
        "ResourceDescription": {
            "Identifier": identifier,
            "Properties": json.dumps(_strip(info.write_only, resource.model)),
        },
    }


def _page_args(body: dict[str, Any]) -> tuple[int, str | None]:
    size = body.get("MaxResults", DEFAULT_PAGE)
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 100:
        raise validation(
            f"1 validation error detected: Value '{size}' at 'maxResults' failed to satisfy constraint: "
            "Member must have value between 1 and 100"
        )
    token = string_member(body, "NextToken", max_len=4096)
    if token is None:
        return size, None
    try:
        decoded = base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise validation(f"Invalid NextToken {token!r}") from exc
    if not decoded.startswith(_TOKEN_PREFIX):
        raise validation(f"Invalid NextToken {token!r}")
    return size, decoded.removeprefix(_TOKEN_PREFIX)


# Page tokens are opaque to clients: base64 of this prefix and the last key of the page.
_TOKEN_PREFIX = "cloudforge-page:"


def _next_token(key: str) -> str:
    return base64.urlsafe_b64encode((_TOKEN_PREFIX + key).encode()).decode()


def list_resources(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    info = _info(body, "ListResources")
    resource_model = json_document(body, "ResourceModel") or {}
    if not isinstance(resource_model, dict):
        raise validation("ResourceModel must be a JSON object")
    missing = [k for k in info.list_required if resource_model.get(k) in (None, "")]
    if missing:
        raise ApiError(
            "InvalidRequestException",
            f"Missing Or Invalid ResourceModel property in {info.type_name} list handler request input. "
            f"Required property:  [{', '.join(missing)}]",
        )
    size, after = _page_args(body)
    hooks = hooks_for(info.type_name)
    found = sorted(
        (r for r in backend.store.of_type(info.type_name)
         if r.visible and hooks.list_matches(info, r.model, resource_model)),
        key=lambda r: r.identifier,
    )
    if after is not None:
        found = [r for r in found if r.identifier > after]
    page = found[:size]
    answer: dict[str, Any] = {
        "TypeName": info.type_name,
        "ResourceDescriptions": [
            {"Identifier": r.identifier,
             "Properties": json.dumps(_strip(info.write_only, hooks.list_view(info, r.model)))}
            for r in page
        ],
    }
    if len(found) > size:
        answer["NextToken"] = _next_token(page[-1].identifier)
    return answer


def _request(backend: Backend, body: dict[str, Any]) -> Request:
    require(body, "RequestToken")
    token = string_member(body, "RequestToken", max_len=128) or ""
    request = backend.store.requests.get(token)
    if request is None:
        raise ApiError("RequestTokenNotFoundException", f"Request with token {token} was not found")
    return request


def get_resource_request_status(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    return {"ProgressEvent": _request(backend, body).progress_event(time.time())}


def cancel_resource_request(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    request = _request(backend, body)
    now = time.time()
    if request.status == IN_PROGRESS:
        backend.store.cancel(request, now)
    elif request.status != CANCEL_COMPLETE:
        raise validation(f"Request {request.token} is already in status {request.status}")
    return {"ProgressEvent": request.progress_event(now)}


def _string_set(body: dict[str, Any], member: str) -> set[str]:
    values = body.get(member) or []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise serialization(f"{member} must be a list of strings")
    return set(values)


def list_resource_requests(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    size, after = _page_args(body)
    wanted = body.get("ResourceRequestStatusFilter") or {}
    if not isinstance(wanted, dict):
        raise serialization("ResourceRequestStatusFilter must be an object")
    operations = _string_set(wanted, "Operations")
    statuses = _string_set(wanted, "OperationStatuses")
    # Newest first, as AWS lists them; the page key is (start, token) so paging survives new requests.
    found = sorted(backend.store.requests.values(), key=lambda r: (-r.start, r.token))
    found = [r for r in found if (not operations or r.operation in operations)
             and (not statuses or r.status in statuses)]
    if after is not None:
        start_text, _, token = after.partition(" ")
        try:
            key = (-float(start_text), token)
        except ValueError as exc:
            raise validation(f"Invalid NextToken {body.get('NextToken')!r}") from exc
        found = [r for r in found if (-r.start, r.token) > key]
    page = found[:size]
    now = time.time()
    answer: dict[str, Any] = {"ResourceRequestStatusSummaries": [r.progress_event(now) for r in page]}
    if len(found) > size:
        answer["NextToken"] = _next_token(f"{page[-1].start!r} {page[-1].token}")
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
