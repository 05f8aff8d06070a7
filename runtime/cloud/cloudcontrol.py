"""The Cloud Control client of one App: boto3 calls in worker threads, errors in our terms.

One boto3 client per App (botocore clients are thread-safe), created on first use so that a
plan that needs no call needs no credentials. Calls run in a thread pool sized to the App's
concurrency limit (asyncio's default pool has only cpu+4 threads), behind a semaphore of the
same size, and a connection pool as large as the limit keeps parallel calls from queueing for a
socket. Every attempt first takes a token from the run's rate limiter
(`cloudforge.cloud.ratelimit`: separate read and write budgets, slowed on each throttle), so
botocore's own retries are off (its retries would bypass the limiter and drain its retry
quota, as terraform-provider-awscc's users saw). A throttled call is retried here for as long
as `throttle_deadline` allows; transient server and connection errors a few times with jitter
(writes carry a ClientToken, so a repeat is the same request). ClientErrors become
`cloudforge.errors` with AWS's message.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cloudforge.cloud.target import Target, from_environment, target_of
from cloudforge.errors import (
    AlreadyExistsError,
    CloudControlError,
    CloudforgeError,
    ConfigurationError,
    EndpointError,
    NotUpdatableError,
    ResourceNotFoundError,
    ThrottlingError,
)

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    from cloudforge.cloud.ratelimit import RateLimiter

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
THROTTLING_CODES = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException"})
# A throttled call waits its turn for up to this long before its operation fails.
THROTTLE_DEADLINE = 900.0
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


def _transient(err: Exception) -> bool:
    """A connection reset or timeout (botocore's own retries are off, so they are retried here)."""
    from botocore.exceptions import ConnectionClosedError, ReadTimeoutError

    return isinstance(err, ConnectionClosedError | ReadTimeoutError)


def _error_message(err: Exception) -> str:
    response = getattr(err, "response", None) or {}
    return str(response.get("Error", {}).get("Message", str(err)))


class EndpointUnreachableError(EndpointError):
    """No connection could be made to the endpoint, so nothing was sent: no request exists."""

    def __init__(self, *, operation: str, endpoint: str, detail: str) -> None:
        # CloudforgeError's constructor, not EndpointError's: the message is this one's own.
        CloudforgeError.__init__(
            self,
            f"{operation}: could not connect to {endpoint}, so nothing was reached and no "
            f"request was made ({detail}); check AWS_ENDPOINT_URL / the region, and that the "
            "endpoint is up",
            setting="endpoint",
            operation=operation,
            endpoint=endpoint,
            detail=detail,
            type_name="",
            logical_id="",
        )


def check_configuration(
    *,
    region: str | None,
    profile: str | None,
    endpoint_url: str | None,
    credentials: bool,
) -> None:
    """Raise the configuration error (profile, region, endpoint URL, and with `credentials`
    the credential chain) the first call would meet, so that it is reported once, before any
    resource, instead of once per resource. Makes no call and no client, and loads no boto3
    when the environment says it all (cloudforge.cloud.target.from_environment): a no-op run
    pays for no SDK."""
    if from_environment(region=region, profile=profile, endpoint_url=endpoint_url) is not None:
        return  # no profile to find, a region, a well-formed endpoint, credentials in full
    import boto3
    from botocore.exceptions import BotoCoreError, ProfileNotFound

    try:
        session = boto3.session.Session(profile_name=profile)
    except ProfileNotFound as err:
        raise ConfigurationError(f"{err}: check --profile / AWS_PROFILE", setting="profile") from None
    if not (region or session.region_name):
        raise ConfigurationError(
            "no AWS region configured: set AWS_DEFAULT_REGION (or pass --region, or "
            "App(region=...))",
            setting="region",
        )
    endpoint = (
        endpoint_url
        or os.environ.get("AWS_ENDPOINT_URL_CLOUDCONTROL")
        or os.environ.get("AWS_ENDPOINT_URL")
    )
    if endpoint:
        parsed = urlsplit(endpoint)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ConfigurationError(
                f"the endpoint URL {endpoint!r} is not an http(s) URL: set AWS_ENDPOINT_URL "
                "to one such as http://127.0.0.1:4566",
                setting="endpoint",
            )
    if credentials:
        try:
            found = session.get_credentials()
        except BotoCoreError as err:
            raise ConfigurationError(
                f"the AWS credentials cannot be loaded: {err}", setting="credentials"
            ) from None
        if found is None:
            raise ConfigurationError(
                "no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY), or point AWS_ENDPOINT_URL at a local cloud "
                "(`cloudforge local`)",
                setting="credentials",
            )


class CloudControl:
    def __init__(
        self,
        *,
        region: str | None = None,
        profile: str | None = None,
        endpoint_url: str | None = None,
        max_concurrency: int = 32,
        limiter: RateLimiter | Callable[[], RateLimiter] | None = None,
        throttle_deadline: float = THROTTLE_DEADLINE,
    ) -> None:
        self.region = region
        self.profile = profile
        self.endpoint_url = endpoint_url
        self.max_concurrency = max_concurrency
        # A limiter, or what makes one on the first call: a run that calls nothing (a no-op
        # plan or up) never loads the limiter's module (cold start).
        self._limiter = limiter
        self.throttle_deadline = throttle_deadline
        self._client: Any = None
        self._session: Any = None
        self._target: Target | None = None
        # Made by the first call (`executor`): a run that calls nothing loads no thread pool.
        self._executor: ThreadPoolExecutor | None = None
        self._semaphore: asyncio.Semaphore | None = None
        # When (time.monotonic) each write's answered attempt left, by RequestToken, until
        # `sent` takes it: a request's age counts from then (cloudforge.cloud.polling), not
        # from the moment its answer got back to the event loop.
        self._sent: dict[str, float] = {}

    @property
    def limiter(self) -> RateLimiter:
        """The run's rate limiter (made now if it was given as a factory, or not at all)."""
        made = self._limiter
        if made is None or callable(made):
            from cloudforge.cloud.ratelimit import RateLimiter

            made = self._limiter = made() if made is not None else RateLimiter()
        return made

    def sent(self, request_token: str | None) -> float | None:
        """When the write that made `request_token` was sent (once; None when not known)."""
        return self._sent.pop(request_token or "", None)

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
                    # One attempt per call: every retry goes through the rate limiter here.
                    retries={"mode": "standard", "total_max_attempts": 1},
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
        call, and none to STS when the credentials carry their account or the account cache
        knows them; otherwise one. No boto3 either when the environment says it all."""
        if self._target is None:
            told = from_environment(
                region=self.region, profile=self.profile, endpoint_url=self.endpoint_url
            )
            if told is not None and told.account:
                self._target = Target(told.account, told.region, told.endpoint)
                return self._target
            client = self.client
            try:
                profile = self.profile or os.environ.get("AWS_PROFILE") or None
                self._target = target_of(self._session, client, profile)
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

    @property
    def executor(self) -> ThreadPoolExecutor:
        """The pool the calls run in, made on the first call."""
        if self._executor is None:
            from concurrent.futures import ThreadPoolExecutor

            self._executor = ThreadPoolExecutor(
                max_workers=self.max_concurrency, thread_name_prefix="cloudforge-cc"
            )
        return self._executor

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        if self._client is not None:
            self._client.close()

    # -- calls ---------------------------------------------------------------------------------

    def _sync_call(
        self, method: str, params: Mapping[str, Any], sent: list[float] | None = None
    ) -> dict[str, Any]:
        if sent is not None:
            sent.append(time.monotonic())
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
        sent: list[float] | None = None,
    ) -> dict[str, Any]:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.max_concurrency)
        loop = asyncio.get_running_loop()
        from cloudforge.cloud.ratelimit import kind_of

        kind = kind_of(method)
        attempt = 0
        throttled_until = time.monotonic() + self.throttle_deadline
        while True:
            await self.limiter.acquire(kind)
            try:
                async with self._semaphore:
                    result = await loop.run_in_executor(
                        self.executor, functools.partial(self._sync_call, method, params, sent)
                    )
                self.limiter.succeeded(kind)
                return result
            except CloudforgeError:
                raise
            except Exception as err:
                code = _error_code(err)
                if code in THROTTLING_CODES and time.monotonic() < throttled_until:
                    # The limiter slows the whole run down; this call takes its turn again.
                    self.limiter.throttled(kind)
                    continue
                if (code in RETRYABLE_CALL_ERRORS or _transient(err)) and attempt < CALL_RETRIES:
                    attempt += 1
                    import random  # only a failing call: a no-op run loads none (cold start)

                    # Full jitter, so that parallel resources failing together spread out.
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
            ConnectTimeoutError,
            EndpointConnectionError,
            HTTPClientError,
            NoCredentialsError,
            NoRegionError,
        )

        operation = "".join(part.title() for part in method.split("_"))
        if isinstance(err, NoRegionError):
            return ConfigurationError(
                "no AWS region configured: pass App(region=...) or set AWS_REGION / AWS_PROFILE",
                setting="region",
            )
        if isinstance(err, NoCredentialsError):
            return ConfigurationError(
                "no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY), or point AWS_ENDPOINT_URL at a local cloud",
                setting="credentials",
            )
        if isinstance(err, EndpointConnectionError | ConnectTimeoutError):
            # No connection, so nothing was sent: not "an unexpected answer".
            return EndpointUnreachableError(
                operation=operation, endpoint=self.endpoint, detail=str(err)
            )
        if isinstance(err, ConnectionError | HTTPClientError):
            return self._malformed(operation, str(err), type_name, logical_id)
        code = _error_code(err) if isinstance(err, ClientError) else type(err).__name__
        message = _error_message(err) if isinstance(err, ClientError) else str(err)
        about = {"operation": operation, "type_name": type_name, "logical_id": logical_id}
        if code == "ResourceNotFoundException":
            return ResourceNotFoundError(**about, identifier=identifier, detail=message, code=code)
        if code == "AlreadyExistsException":
            return AlreadyExistsError(**about, detail=message, code=code)
        hint = _HINTS.get(code)
        detail = f"{message} ({hint})" if hint else message
        if code == "NotUpdatableException":
            return NotUpdatableError(**about, code=code, detail=detail)
        if code in THROTTLING_CODES:
            return ThrottlingError(**about, code=code, detail=message)  # its template advises
        return CloudControlError(**about, code=code, detail=detail)

    # -- answers -------------------------------------------------------------------------------
    # botocore parses what it can and leaves out what it cannot (a truncated or non-JSON body
    # becomes an empty answer), so every answer is checked before the engine relies on it.

    def _malformed(
        self, operation: str, detail: str, type_name: str = "", logical_id: str = ""
    ) -> EndpointError:
        return EndpointError(
            operation=operation,
            endpoint=self.endpoint,
            detail=detail,
            type_name=type_name,
            logical_id=logical_id,
        )

    def _progress_event(
        self, out: Any, operation: str, type_name: str, logical_id: str
    ) -> ProgressEvent:
        event = out.get("ProgressEvent") if isinstance(out, dict) else None
        if not isinstance(event, dict):
            raise self._malformed(
                operation, "the answer has no ProgressEvent", type_name, logical_id
            )
        status, token = event.get("OperationStatus"), event.get("RequestToken")
        if status not in OPERATION_STATUSES:
            raise self._malformed(
                operation,
                f"OperationStatus {status!r} is none of {sorted(OPERATION_STATUSES)}",
                type_name,
                logical_id,
            )
        if not isinstance(token, str) or not token:
            raise self._malformed(
                operation, "the ProgressEvent has no RequestToken", type_name, logical_id
            )
        return event

    def _properties(
        self,
        description: Any,
        operation: str,
        type_name: str,
        logical_id: str,
        default: str | None = None,
    ) -> dict[str, Any]:
        if not isinstance(description, dict):
            raise self._malformed(
                operation, "the answer has no ResourceDescription", type_name, logical_id
            )
        if operation == "ListResources" and not isinstance(description.get("Identifier"), str):
            raise self._malformed(
                operation, "a ResourceDescription has no Identifier", type_name, logical_id
            )
        text = description.get("Properties") or default
        try:
            properties = json.loads(text) if isinstance(text, str) else None
        except ValueError:
            properties = None
        if not isinstance(properties, dict):
            raise self._malformed(
                operation,
                f"Properties is not a JSON object: {text!r:.80}",
                type_name,
                logical_id,
            )
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
        sent: list[float] | None = [] if method != "get_resource_request_status" else None
        out = await self._call(
            method,
            params,
            type_name=type_name,
            logical_id=logical_id,
            identifier=identifier,
            sent=sent,
        )
        # The operation's name as AWS spells it, for error messages: create_resource -> CreateResource.
        event = self._progress_event(out, method.title().replace("_", ""), type_name, logical_id)
        if sent:
            self._sent[event["RequestToken"]] = sent[-1]
        return event

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
        properties = self._properties(
            out.get("ResourceDescription"), "GetResource", type_name, logical_id
        )
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
                props = self._properties(
                    description, "ListResources", type_name, logical_id, default="{}"
                )
                found.append((str(description["Identifier"]), props))
            token = out.get("NextToken")
            if not token:
                return found
