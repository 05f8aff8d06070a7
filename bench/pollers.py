"""The baselines for deploy: plain boto3 `create_resource` followed by one of two polling strategies.

- botocore's own `resource_request_success` waiter (a fixed 5 s delay, first check at once);
- a poller that waits 1 s and doubles the wait up to 10 s (the strategy of Alchemy's
  Cloud Control client, the TypeScript anchor).
Both run with the same local cloud and latency as cloudforge, in threads for parallel creates.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

Waiter = Callable[[Any, str], None]  # (cloudcontrol client, request token) -> None when SUCCESS

FINAL_FAILURES = {"FAILED", "CANCEL_COMPLETE"}


class RequestFailed(Exception):
    pass


def botocore_waiter(client: Any, token: str) -> None:
    client.get_waiter("resource_request_success").wait(RequestToken=token)


def doubling(client: Any, token: str, first: float = 1.0, cap: float = 10.0) -> None:
    delay = first
    while True:
        time.sleep(delay)
        event = client.get_resource_request_status(RequestToken=token)["ProgressEvent"]
        status = event["OperationStatus"]
        if status == "SUCCESS":
            return
        if status in FINAL_FAILURES:
            raise RequestFailed(f"{status}: {event.get('ErrorCode')} {event.get('StatusMessage')}")
        delay = min(delay * 2, cap)


STRATEGIES: dict[str, Waiter] = {
    "botocore waiter (5 s)": botocore_waiter,
    "doubling 1→10 s": doubling,
}


def create(client: Any, wait: Waiter, type_name: str, desired: dict[str, Any]) -> None:
    token = client.create_resource(TypeName=type_name, DesiredState=json.dumps(desired))[
        "ProgressEvent"
    ]["RequestToken"]
    wait(client, token)


def update(client: Any, wait: Waiter, type_name: str, identifier: str, patch: list[Any]) -> None:
    token = client.update_resource(
        TypeName=type_name, Identifier=identifier, PatchDocument=json.dumps(patch)
    )["ProgressEvent"]["RequestToken"]
    wait(client, token)


def create_all(client: Any, wait: Waiter, type_name: str, documents: list[dict[str, Any]]) -> None:
    """Create every document in parallel, one thread each, as a user of plain boto3 would."""
    with ThreadPoolExecutor(max_workers=len(documents)) as pool:
        for future in [pool.submit(create, client, wait, type_name, d) for d in documents]:
            future.result()
