"""One WSGI application on one port: Cloud Control by `X-Amz-Target`, everything else to moto.

Requests whose target starts with `CloudApiService.` are answered by the emulator; any other
request (S3, Connect, DynamoDB, STS, ...) goes to moto's server application in this process.
No error escapes as a traceback: unexpected failures become a JSON 1.0 `InternalFailure`.
Paths under `/_cloudforge/` are the emulator's own, outside the AWS API: `GET
/_cloudforge/calls` (Cloud Control calls answered and throttled, by operation) and `POST
/_cloudforge/reset` (zero them).
"""

from __future__ import annotations

import json
import sys
import threading
import traceback
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from cloudforge.local.backend import Backend
from cloudforge.local.faults import Faults
from cloudforge.local.operations import OPERATIONS
from cloudforge.local.protocol import CONTENT_TYPE, TARGET_PREFIX, ApiError, parse_body
from cloudforge.local.quota import Quota

# Well above the largest legal request (a 256 KiB document plus members); larger bodies are refused
# with ValidationException. The HTTP server itself refuses a declared body past FRAMING_LIMIT
# (413) and malformed framing (a negative or non-numeric Content-Length: 400) before this app runs.
MAX_BODY = 1 << 20
FRAMING_LIMIT = 16 << 20
StartResponse = Callable[..., Any]
INTERNAL = "/_cloudforge/"
THROTTLED = "ThrottlingException"


def moto_application() -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """moto's server app (the one `moto_server` runs), created in this process."""
    from cloudforge.local.moto_adapters.transport import moto_app

    return moto_app()  # the one the moto-backed types' adapters call too


class CloudControlApp:
    """The WSGI application: dispatches, counts Cloud Control calls, applies API-level faults."""

    def __init__(self, backend: Backend, quota: Quota | None = None) -> None:
        self.backend = backend
        self.quota = quota or Quota()
        self.calls: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()
        # Client (address, port) pairs seen: with keep-alive, one per connection a client opened.
        self.peers: set[tuple[str, str]] = set()
        self._calls_lock = threading.Lock()
        self._moto: Callable[[dict[str, Any], StartResponse], Iterable[bytes]] | None = None
        self._moto_lock = threading.Lock()

    def call_counts(self) -> Counter[str]:
        with self._calls_lock:
            return Counter(self.calls)

    def throttled_counts(self) -> Counter[str]:
        with self._calls_lock:
            return Counter(self.throttled)

    def connections(self) -> int:
        with self._calls_lock:
            return len(self.peers)

    def reset_call_counts(self) -> None:
        with self._calls_lock:
            self.calls.clear()
            self.throttled.clear()
            self.peers.clear()

    @property
    def faults(self) -> Faults:
        return self.backend.faults

    def moto(self) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
        with self._moto_lock:
            if self._moto is None:
                self._moto = moto_application()
            return self._moto

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        with self._calls_lock:
            self.peers.add((str(environ.get("REMOTE_ADDR")), str(environ.get("REMOTE_PORT"))))
        path = environ.get("PATH_INFO", "")
        if path.startswith(INTERNAL):
            return self.internal(path.removeprefix(INTERNAL), environ, start_response)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith(TARGET_PREFIX):
            # moto keys its backends by account: this cloud's, unless the caller names one.
            environ.setdefault("HTTP_X_MOTO_ACCOUNT_ID", self.backend.context.account)
            return self.moto()(environ, start_response)
        status, body = self.handle(target.removeprefix(TARGET_PREFIX), environ)
        start_response(
            f"{status} {'OK' if status == 200 else 'Error'}",
            [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(body))),
             ("x-amzn-RequestId", environ.get("HTTP_AMZ_SDK_INVOCATION_ID", "local"))],
        )
        return [body]

    def internal(self, name: str, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """The emulator's introspection endpoints (`/_cloudforge/calls`, `/_cloudforge/reset`)."""
        method = environ.get("REQUEST_METHOD", "GET")
        status, answer = "200 OK", {}
        if name == "calls" and method == "GET":
            answer = {"calls": dict(self.call_counts()), "throttled": dict(self.throttled_counts()),
                      "connections": self.connections()}
        elif name == "reset" and method == "POST":
            self.reset_call_counts()
            answer = {"reset": True}
        elif name in ("calls", "reset"):
            status, answer = "405 Method Not Allowed", {"message": f"{method} is not allowed on {INTERNAL}{name}"}
        else:
            status, answer = "404 Not Found", {"message": f"no {INTERNAL}{name}: try GET {INTERNAL}calls"}
        body = json.dumps(answer).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    def handle(self, operation: str, environ: dict[str, Any]) -> tuple[int, bytes]:
        """(HTTP status, body) for one Cloud Control call."""
        with self._calls_lock:
            self.calls[operation] += 1
        try:
            return 200, json.dumps(self.dispatch(operation, environ)).encode()
        except ApiError as error:
            if error.code == THROTTLED:
                with self._calls_lock:
                    self.throttled[operation] += 1
            return error.status, error.body()
        except Exception as exc:  # the server must keep serving whatever a request does
            traceback.print_exc(file=sys.stderr)
            failure = ApiError("InternalFailure", f"Internal error in the local cloud: {type(exc).__name__}", 500)
            return failure.status, failure.body()

    def dispatch(self, operation: str, environ: dict[str, Any]) -> dict[str, Any]:
        handler = OPERATIONS.get(operation)
        if handler is None:
            raise ApiError("UnknownOperationException", f"Unknown operation {operation}")
        if not self.quota.admit(operation, environ):
            raise ApiError(THROTTLED, "Rate exceeded")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        stream = environ["wsgi.input"]
        if length > MAX_BODY:
            # Drain it so a kept-alive connection stays in step, then refuse it.
            while length > 0:
                chunk = stream.read(min(length, 1 << 16))
                if not chunk:
                    break
                length -= len(chunk)
            raise ApiError("ValidationException", f"Request body exceeds {MAX_BODY} bytes")
        body = parse_body(stream.read(length) if length else b"")
        type_name = body.get("TypeName") if isinstance(body.get("TypeName"), str) else None
        status = self.faults.http_failure(operation, type_name)
        if status is not None:
            code = "ServiceUnavailable" if status == 503 else "InternalFailure"
            raise ApiError(code, f"Injected HTTP {status}", status)
        if self.faults.throttled(operation, type_name):
            raise ApiError(THROTTLED, "Rate exceeded")
        store = self.backend.store
        with store.lock:
            if not self.faults.holding:
                store.settle()
            try:
                return handler(self.backend, body)
            finally:
                store.save()
