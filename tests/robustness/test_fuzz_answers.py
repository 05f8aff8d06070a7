"""Malformed answers from the endpoint: clear errors, no hang, and state the next run can use.

A tiny HTTP server of this test's own on 127.0.0.1 speaks just enough of Cloud Control's JSON
1.0 protocol to answer each operation with a scripted body: truncated JSON, an unknown
OperationStatus, a progress event without its RequestToken, a success without an Identifier,
properties that are not JSON, an HTML page. Each deploy against it must fail with a
`CloudforgeError` that says what was wrong (never a KeyError, a JSONDecodeError or a poll that
never ends), and the state it leaves must let the next run, against the real local cloud,
converge to exactly one resource.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from cloudforge import App
from cloudforge.aws.connect import SecurityProfile
from cloudforge.errors import CloudforgeError
from cloudforge.local import LocalCloud

from tests.robustness.helpers import cloud_profiles, pending_records

Script = dict[str, tuple[int, bytes]]  # operation -> (HTTP status, body)


def event(**fields: Any) -> bytes:
    return json.dumps({"ProgressEvent": fields}).encode()


IN_PROGRESS = event(
    OperationStatus="IN_PROGRESS", RequestToken="tok-1", Operation="CREATE",
    TypeName="AWS::Connect::SecurityProfile",
)
SUCCESS = event(
    OperationStatus="SUCCESS", RequestToken="tok-1", Operation="CREATE",
    Identifier="arn:aws:connect:us-east-1:123456789012:instance/x/security-profile/y",
)
# name -> (script, words the error must contain)
CASES: dict[str, tuple[Script, tuple[str, ...]]] = {
    "truncated create answer": ({"CreateResource": (200, IN_PROGRESS[:25])}, ("CreateResource",)),
    "create answer without a progress event": (
        {"CreateResource": (200, b"{}")}, ("CreateResource", "ProgressEvent"),
    ),
    "create answer that is a list": ({"CreateResource": (200, b"[1, 2]")}, ("CreateResource",)),
    "progress event without a request token": (
        {"CreateResource": (200, event(OperationStatus="IN_PROGRESS"))},
        ("CreateResource", "RequestToken"),
    ),
    "progress event without a status": (
        {"CreateResource": (200, event(RequestToken="tok-1"))},
        ("CreateResource", "OperationStatus"),
    ),
    "unknown operation status": (
        {
            "CreateResource": (200, IN_PROGRESS),
            "GetResourceRequestStatus": (200, event(OperationStatus="EXPLODED", RequestToken="tok-1")),
        },
        ("GetResourceRequestStatus", "EXPLODED"),
    ),
    "truncated status answer": (
        {"CreateResource": (200, IN_PROGRESS), "GetResourceRequestStatus": (200, SUCCESS[:40])},
        ("GetResourceRequestStatus",),
    ),
    "status answer that is a string": (
        {
            "CreateResource": (200, IN_PROGRESS),
            "GetResourceRequestStatus": (200, b'{"ProgressEvent": "done"}'),
        },
        ("GetResourceRequestStatus",),
    ),
    "success without an identifier": (
        {
            "CreateResource": (200, IN_PROGRESS),
            "GetResourceRequestStatus": (200, event(OperationStatus="SUCCESS", RequestToken="tok-1")),
        },
        ("without an identifier",),
    ),
    "properties that are not JSON": (
        {
            "CreateResource": (200, IN_PROGRESS),
            "GetResourceRequestStatus": (200, SUCCESS),
            "GetResource": (
                200,
                json.dumps(
                    {"TypeName": "x", "ResourceDescription": {"Identifier": "i", "Properties": "{oops"}}
                ).encode(),
            ),
        },
        ("GetResource", "Properties"),
    ),
    "read answer without a description": (
        {
            "CreateResource": (200, IN_PROGRESS),
            "GetResourceRequestStatus": (200, SUCCESS),
            "GetResource": (200, b'{"TypeName": "x"}'),
        },
        ("GetResource", "ResourceDescription"),
    ),
    "an HTML page": (
        {"CreateResource": (200, b"<html><body>Gateway says hello</body></html>")},
        ("CreateResource",),
    ),
}


class Scripted(BaseHTTPRequestHandler):
    script: ClassVar[Script] = {}

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        operation = self.headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]
        status, body = self.script.get(
            operation, (400, b'{"__type": "UnknownOperationException", "message": "not scripted"}')
        )
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def scripted_server() -> Iterator[tuple[str, type[Scripted]]]:
    handler = type("Handler", (Scripted,), {"script": {}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


async def deploy(state_dir: Path, arn: str, endpoint_url: str | None, refresh: bool = False) -> App:
    async with App("answers", stage="t", state_dir=state_dir, endpoint_url=endpoint_url,
                   refresh=refresh) as app:
        await SecurityProfile("profile", InstanceArn=arn, SecurityProfileName="Answered")
    return app


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", list(CASES))
def test_a_malformed_answer_gives_a_clear_error_and_state_the_next_run_can_use(
    scripted_server: tuple[str, type[Scripted]], local_cloud: LocalCloud, instance_arn: str,
    tmp_path: Path, case: str,
) -> None:
    url, handler = scripted_server
    script, words = CASES[case]
    handler.script = script
    state_dir = tmp_path / "state"
    with pytest.raises(CloudforgeError) as caught:
        asyncio.run(deploy(state_dir, instance_arn, url))
    message = str(caught.value)
    for word in words:
        assert word in message, message
    # The real cloud now: the next run converges to exactly one profile and clean state. It is
    # another endpoint than the state's records name, so it says so (refresh: move the stage).
    app = asyncio.run(deploy(state_dir, instance_arn, local_cloud.endpoint_url, refresh=True))
    assert [c.action for c in app.changes] == ["create"]
    assert [p["SecurityProfileName"] for p in cloud_profiles(instance_arn)] == ["Answered"]
    assert pending_records(state_dir, "answers/t") == 0
