"""boto3 clients answered in-process by moto's server app: no socket, no HTTP server needed.

The adapters call the services' public APIs, as AWS's own Cloud Control handlers do; a botocore
`before-send` handler hands each prepared request to moto's WSGI application (the one the local
cloud serves on its port) with the cloud's account, and turns the answer into botocore's response.
moto creates a service's backend when that service is first called, so nothing is imported early.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any
from urllib.parse import urlsplit

# A boto3 client must not go looking for real credentials or configuration: these are moto's.
_KEY = "cloudforge-local"
_ENDPOINT = "http://127.0.0.1"  # never dialled: the before-send handler answers every request

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_app: WsgiApp | None = None
_app_lock = threading.Lock()


def moto_app() -> WsgiApp:
    """moto's server application (the one `moto_server` runs), one per process, made on first use."""
    global _app
    with _app_lock:
        if _app is None:
            from moto.moto_server.werkzeug_app import (
                DomainDispatcherApplication,
                create_backend_app,
            )

            _app = DomainDispatcherApplication(create_backend_app)
        return _app


class _Raw:
    """What botocore reads a response body from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    data = body.read()
    if hasattr(body, "seek"):
        body.seek(0)
    return data if isinstance(data, bytes) else str(data).encode()


def _send(account: str, request: Any, **_: Any) -> Any:
    from botocore.awsrequest import AWSResponse
    from werkzeug.test import EnvironBuilder

    url = urlsplit(request.url)
    headers = {k: v.decode() if isinstance(v, bytes) else str(v) for k, v in request.headers.items()}
    builder = EnvironBuilder(
        method=request.method, base_url=f"{url.scheme}://{url.netloc}", path=url.path,
        query_string=url.query, headers=headers, data=_body_bytes(request.body),
    )
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    environ["HTTP_X_MOTO_ACCOUNT_ID"] = account
    answer: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], *_: Any) -> None:
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(response_headers)

    try:
        chunks = moto_app()(environ, start_response)
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
    except Exception as exc:  # moto lets some bad input escape as an exception: answer as AWS would, a 500
        message = f"{type(exc).__name__}: {exc}"
        body = json.dumps({"__type": "InternalFailure", "message": message}).encode()
        answer = {"status": 500, "headers": {"Content-Type": "application/x-amz-json-1.0"}}
    return AWSResponse(request.url, answer["status"], answer["headers"], _Raw(body))


_clients: dict[tuple[str, str, str], Any] = {}
_clients_lock = threading.Lock()


def client(service: str, account: str, region: str) -> Any:
    """A boto3 client of `service` in moto's `account` and `region` (cached; clients are thread-safe)."""
    key = (service, account, region)
    with _clients_lock:
        found = _clients.get(key)
        if found is None:
            import boto3
            from botocore.config import Config

            session: Any = boto3.session.Session(region_name=region, aws_access_key_id=_KEY, aws_secret_access_key=_KEY)
            found = session.client(
                service, endpoint_url=_ENDPOINT,
                config=Config(retries={"total_max_attempts": 1}, s3={"addressing_style": "path"}),
            )
            found.meta.events.register_first("before-send", partial(_send, account))
            _clients[key] = found
        return found
