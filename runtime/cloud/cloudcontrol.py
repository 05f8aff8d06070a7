"""The Cloud Control client of one App: boto3 calls in worker threads, errors in our terms.

One boto3 client per App (botocore clients are thread-safe), created on first use so that a
plan that needs no call needs no credentials. Calls run in a thread pool sized to the App's
concurrency limit (asyncio's default pool has only cpu+4 threads), behind a semaphore of the
same size; botocore retries throttled calls (standard mode) and a connection pool as large as
the limit keeps parallel calls from queueing for a socket. What botocore gives up on is retried
here a few more times for throttling and transient server errors (writes carry a ClientToken, so
a repeat is the same request). ClientErrors become `cloudforge.errors` with AWS's message.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import random
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from cloudforge.cloud.target import Target, target_of
from cloudforge.errors import (
    AlreadyExistsError,
    CloudControlError,
    CloudforgeError,
    EndpointError,
    NotUpdatableError,
    ResourceNotFoundError,
)

ProgressEvent = dict[str, Any]

# Error codes of calls worth repeating after botocore's own retries gave up.
RETRYABLE_CALL_ERRORS = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "ServiceInternalErrorException",
        "InternalFailure",
        "ServiceUnavailable",
        "ConcurrentOperationException",  # another request on the resource is finishing
    }
)
CALL_RETRIES = 10
OPERATION_STATUSES = frozenset(
    {"PENDING", "IN_PROGRESS", "SUCCESS", "FAILED", "CANCEL_IN_PROGRESS", "CANCEL_COMPLETE"}
)

_SESSIONS: dict[tuple[str | None, ...], Any] = {}
_SESSIONS_LOCK = threading.Lock()

_HINTS = {
    "TypeNotFoundException": "the type is not available in this account/region (is it activated, "
    "and is the region right?)",
    "ClientTokenConflictException": "a request with the same ClientToken but other parameters "
    "exists; rerun to derive a fresh token",
    "ConcurrentOperationException": "another request on this resource is still in progress; "
    "rerun once it has finished",
    "InvalidCredentialsException": "check AWS_PROFILE / AWS credentials",
    "UnsupportedActionException": "the type does not support this operation through Cloud Control",
}


def _error_code(err: Exception) -> str:
    response = getattr(err, "response", None) or {}
    return str(response.get("Error", {}).get("Code", type(err).__name__))


def _error_message(err: Exception) -> str:
    response = getattr(err, "response", None) or {}
    return str(response.get("Error", {}).get("Message", str(err)))


class CloudControl:
    def __init__(
        self,
        *,
        region: str | None = None,
        profile: str | None = None,
        endpoint_url: str | None = None,
        max_concurrency: int = 32,
    ) -> None:
        self.region = region
        self.profile = profile
        self.endpoint_url = endpoint_url
        self.max_concurrency = max_concurrency
        self._client: Any = None
        self._session: Any = None
        self._target: Target | None = None
        self._executor = ThreadPoolExecutor(
            max_workers=max_concurrency, thread_name_prefix="cloudforge-cc"
        )
        self._semaphore: asyncio.Semaphore | None = None

    @property
    def client(self) -> Any:
        with _SESSIONS_LOCK:  # botocore sessions are not safe to create clients from in parallel
            if self._client is None:
                import boto3
                from botocore.config import Config

                # One boto3 session per profile and process: loading the service models is the
                # slow part of making a client (~0.1 s), and a session caches them.
                # Keyed by what selects the credentials, which a session caches.
                key = (
                    self.profile,
                    os.environ.get("AWS_PROFILE"),
                    os.environ.get("AWS_ACCESS_KEY_ID"),
                )
                if key not in _SESSIONS:
                    _SESSIONS[key] = boto3.session.Session(profile_name=self.profile)
                session = self._session = _SESSIONS[key]
                config = Config(
                    retries={"mode": "standard", "max_attempts": 3},
                    max_pool_connections=self.max_concurrency + 4,
                    connect_timeout=10,
                    read_timeout=60,
                )
                self._client = session.client(
                    "cloudcontrol",
                    region_name=self.region,
                    endpoint_url=self.endpoint_url,
                    config=config,
                )
            return self._client

    def target(self) -> Target:
        """Where this client's resources live (cloudforge.cloud.target): no Cloud Control
        call; at most one STS call per process and credentials, none when they carry it."""
        if self._target is None:
            client = self.client
            try:
                self._target = target_of(self._session, client)
            except Exception as err:
                if isinstance(err, CloudforgeError):
                    raise
                raise self._map(err, "get_caller_identity", "AWS::STS", "(the account)", None) from err
        return self._target

    @property
    def endpoint(self) -> str:
        if self._client is not None:
            return str(self._client.meta.endpoint_url)
        return self.endpoint_url or "the default Cloud Control endpoint"

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self._client is not None:
            self._client.close()

    # -- calls ---------------------------------------------------------------------------------

    def _sync_call(self, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = getattr(self.client, method)(**params)
        return result

    async def _call(
        self,
        method: str,
        params: Mapping[str, Any],
        *,
        type_name: str,
        logical_id: str,
        identifier: str | None = None,
    ) -> dict[str, Any]:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.max_concurrency)
        loop = asyncio.get_running_loop()
        attempt = 0
        while True:
            try:
                async with self._semaphore:
                    return await loop.run_in_executor(
                        self._executor, functools.partial(self._sync_call, method, params)
                    )
            except CloudforgeError:
                raise
            except Exception as err:
                code = _error_code(err)
                if code in RETRYABLE_CALL_ERRORS and attempt < CALL_RETRIES:
                    attempt += 1
                    # Full jitter, so that parallel resources throttled together spread out.
                    await asyncio.sleep(random.uniform(0, min(4.0, 0.2 * 2**attempt)))
                    continue
                raise self._map(err, method, type_name, logical_id, identifier) from err

    def _map(
        self,
        err: Exception,
        method: str,
        type_name: str,
        logical_id: str,
        identifier: str | None,
    ) -> CloudforgeError:
        from botocore.exceptions import (
            ClientError,
            ConnectionError,
            HTTPClientError,
            NoCredentialsError,
            NoRegionError,
        )

        operation = "".join(part.title() for part in method.split("_"))
        if isinstance(err, NoRegionError):
            return CloudforgeError(
                "no AWS region configured: pass App(region=...) or set AWS_REGION / AWS_PROFILE"
            )
        if isinstance(err, NoCredentialsError):
            return CloudforgeError(
                "no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY), or point AWS_ENDPOINT_URL at a local cloud"
            )
        if isinstance(err, ConnectionError | HTTPClientError):
            return EndpointError(operation=operation, endpoint=self.endpoint, detail=str(err))
        if not isinstance(err, ClientError):
            return CloudforgeError(f"{operation} of {type_name} {logical_id!r}: {err}")
        code, message = _error_code(err), _error_message(err)
        if code == "ResourceNotFoundException":
            return ResourceNotFoundError(
                type_name=type_name, identifier=identifier, detail=message, code=code
            )
        if code == "AlreadyExistsException":
            return AlreadyExistsError(
                type_name=type_name, logical_id=logical_id, detail=message, code=code
            )
        if code == "NotUpdatableException":
            return NotUpdatableError(
                type_name=type_name, logical_id=logical_id, detail=message, code=code
            )
        hint = _HINTS.get(code)
        return CloudControlError(
            operation=operation,
            type_name=type_name,
            logical_id=logical_id,
            code=code,
            detail=f"{message} ({hint})" if hint else message,
        )

    # -- answers -------------------------------------------------------------------------------
    # botocore parses what it can and leaves out what it cannot (a truncated or non-JSON body
    # becomes an empty answer), so every answer is checked before the engine relies on it.

    def _malformed(self, operation: str, detail: str) -> EndpointError:
        return EndpointError(operation=operation, endpoint=self.endpoint, detail=detail)

    def _progress_event(self, out: Any, operation: str) -> ProgressEvent:
        event = out.get("ProgressEvent") if isinstance(out, dict) else None
        if not isinstance(event, dict):
            raise self._malformed(operation, "the answer has no ProgressEvent")
        status, token = event.get("OperationStatus"), event.get("RequestToken")
        if status not in OPERATION_STATUSES:
            raise self._malformed(
                operation, f"OperationStatus {status!r} is none of {sorted(OPERATION_STATUSES)}"
            )
        if not isinstance(token, str) or not token:
            raise self._malformed(operation, "the ProgressEvent has no RequestToken")
        return event

    def _properties(
        self, description: Any, operation: str, default: str | None = None
    ) -> dict[str, Any]:
        if not isinstance(description, dict):
            raise self._malformed(operation, "the answer has no ResourceDescription")
        if operation == "ListResources" and not isinstance(description.get("Identifier"), str):
            raise self._malformed(operation, "a ResourceDescription has no Identifier")
        text = description.get("Properties") or default
        try:
            properties = json.loads(text) if isinstance(text, str) else None
        except ValueError:
            properties = None
        if not isinstance(properties, dict):
            raise self._malformed(operation, f"Properties is not a JSON object: {text!r:.80}")
        return properties

    async def _request(
        self,
        method: str,
        params: Mapping[str, Any],
        *,
        type_name: str,
        logical_id: str,
        identifier: str | None = None,
    ) -> ProgressEvent:
        """A call answered with a ProgressEvent (the writes and status reads), checked."""
        out = await self._call(
            method, params, type_name=type_name, logical_id=logical_id, identifier=identifier
        )
        # The operation's name as AWS spells it, for error messages: create_resource -> CreateResource.
        return self._progress_event(out, method.title().replace("_", ""))

    async def create(
        self, type_name: str, desired: Mapping[str, Any], client_token: str, logical_id: str
    ) -> ProgressEvent:
        params = {
            "TypeName": type_name,
            "DesiredState": json.dumps(desired, separators=(",", ":")),
            "ClientToken": client_token,
        }
        return await self._request(
            "create_resource", params, type_name=type_name, logical_id=logical_id
        )

    async def update(
        self,
        type_name: str,
        identifier: str,
        patch: list[dict[str, Any]],
        client_token: str,
        logical_id: str,
    ) -> ProgressEvent:
        params = {
            "TypeName": type_name,
            "Identifier": identifier,
            "PatchDocument": json.dumps(patch, separators=(",", ":")),
            "ClientToken": client_token,
        }
        return await self._request(
            "update_resource",
            params,
            type_name=type_name,
            logical_id=logical_id,
            identifier=identifier,
        )

    async def delete(
        self, type_name: str, identifier: str, client_token: str, logical_id: str
    ) -> ProgressEvent:
        params = {"TypeName": type_name, "Identifier": identifier, "ClientToken": client_token}
        return await self._request(
            "delete_resource",
            params,
            type_name=type_name,
            logical_id=logical_id,
            identifier=identifier,
        )

    async def status(self, request_token: str, type_name: str, logical_id: str) -> ProgressEvent:
        return await self._request(
            "get_resource_request_status",
            {"RequestToken": request_token},
            type_name=type_name,
            logical_id=logical_id,
        )

    async def get(self, type_name: str, identifier: str, logical_id: str) -> dict[str, Any]:
        out = await self._call(
            "get_resource",
            {"TypeName": type_name, "Identifier": identifier},
            type_name=type_name,
            logical_id=logical_id,
            identifier=identifier,
        )
        properties = self._properties(out.get("ResourceDescription"), "GetResource")
        return properties

    async def list(
        self, type_name: str, model: Mapping[str, Any] | None, logical_id: str
    ) -> list[tuple[str, dict[str, Any]]]:
        """Every (identifier, properties) ListResources returns, all pages."""
        found: list[tuple[str, dict[str, Any]]] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {"TypeName": type_name}
            if model:
                params["ResourceModel"] = json.dumps(model, separators=(",", ":"))
            if token:
                params["NextToken"] = token
            out = await self._call(
                "list_resources", params, type_name=type_name, logical_id=logical_id
            )
            for description in out.get("ResourceDescriptions") or []:
                props = self._properties(description, "ListResources", default="{}")
                found.append((str(description["Identifier"]), props))
            token = out.get("NextToken")
            if not token:
                return found
