"""Records the AWS requests boto3 sends from this process, as they go on the wire.

The bench drives cloudforge in-process, so wrapping botocore's HTTP send shows the exact bytes of
each Cloud Control request (the RFC 6902 PatchDocument of an UpdateResource, say) without any
cooperation from the engine. Only the bench uses this; requests still go to the local cloud.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.httpsession import URLLib3Session


@dataclass(frozen=True)
class Sent:
    operation: str  # "UpdateResource", from X-Amz-Target "CloudApiService.UpdateResource"
    body: bytes

    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body or b"{}")
        return parsed


@contextmanager
def recording() -> Iterator[list[Sent]]:
    """`with recording() as sent:` collects every JSON-protocol request sent meanwhile."""
    sent: list[Sent] = []
    original = URLLib3Session.send

    def send(self: URLLib3Session, request: Any) -> Any:
        target = request.headers.get("X-Amz-Target")
        if target:
            target = target.decode() if isinstance(target, bytes) else target
            body = request.body or b""
            body = body.encode() if isinstance(body, str) else bytes(body)
            sent.append(Sent(target.rsplit(".", 1)[-1], body))
        return original(self, request)

    URLLib3Session.send = send  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        URLLib3Session.send = original  # type: ignore[method-assign]
