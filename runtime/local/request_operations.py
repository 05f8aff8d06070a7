"""The request-tracking operations: GetResourceRequestStatus, CancelResourceRequest, ListResourceRequests."""

from __future__ import annotations

import time
from typing import Any

from cloudforge.local.backend import Backend
from cloudforge.local.paging import next_token, page_args
from cloudforge.local.protocol import ApiError, require, serialization, string_member, validation
from cloudforge.local.requests import CANCEL_COMPLETE, IN_PROGRESS, Request


def _request(backend: Backend, body: dict[str, Any]) -> Request:
    require(body, "RequestToken")
    token = string_member(body, "RequestToken", max_len=128) or ""
    request = backend.store.requests.get(token)
    if request is None:
        raise ApiError("RequestTokenNotFoundException", f"Request with token {token} was not found")
    return request


def get_resource_request_status(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    return {"ProgressEvent": _request(backend, body).progress_event(time.time(), backend.retry_after)}


def cancel_resource_request(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    request = _request(backend, body)
    now = time.time()
    if request.status == IN_PROGRESS:
        backend.store.cancel(request, now)
    elif request.status != CANCEL_COMPLETE:
        raise validation(f"Request {request.token} is already in status {request.status}")
    return {"ProgressEvent": request.progress_event(now, backend.retry_after)}


def _string_set(body: dict[str, Any], member: str) -> set[str]:
    values = body.get(member) or []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise serialization(f"{member} must be a list of strings")
    return set(values)


def list_resource_requests(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    size, after = page_args(body)
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
    answer: dict[str, Any] = {"ResourceRequestStatusSummaries": [r.progress_event(now, backend.retry_after) for r in page]}
    if len(found) > size:
        answer["NextToken"] = next_token(f"{page[-1].start!r} {page[-1].token}")
    return answer
