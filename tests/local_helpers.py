"""Helpers shared by the suites that run against the local cloud: a Connect instance, waiting
for a Cloud Control request made out of band, and the CLI run as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import boto3
import pytest
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from cloudforge.local import LocalCloud

T = TypeVar("T")


def connect_instance(alias: str) -> str:
    """A Connect instance in the cloud AWS_ENDPOINT_URL points at; returns its ARN."""
    return str(
        boto3.client("connect").create_instance(
            IdentityManagementType="CONNECT_MANAGED",
            InstanceAlias=alias,
            InboundCallsEnabled=True,
            OutboundCallsEnabled=True,
        )["Arn"]
    )


def wait_for(token: str) -> dict[str, Any]:
    """Poll a Cloud Control request until it ends (the local cloud answers at once: no 1 s waiter delay)."""
    client = boto3.client("cloudcontrol")
    for _ in range(200):
        event: dict[str, Any] = client.get_resource_request_status(RequestToken=token)[
            "ProgressEvent"
        ]
        if event["OperationStatus"] not in ("PENDING", "IN_PROGRESS"):
            assert event["OperationStatus"] == "SUCCESS", event
            return event
        time.sleep(0.02)
    raise AssertionError(f"request {token} did not finish")


def final_event(client: Any, token: str, attempts: int = 100) -> dict[str, Any]:
    """The request's ProgressEvent once it has ended, waiting as its RetryAfter says (any hint mode)."""
    for _ in range(attempts):
        event: dict[str, Any] = client.get_resource_request_status(RequestToken=token)["ProgressEvent"]
        if event["OperationStatus"] not in ("PENDING", "IN_PROGRESS"):
            return event
        hint = event.get("RetryAfter")
        time.sleep(max(0.02, hint.timestamp() - time.time() + 0.01) if hint is not None else 0.05)
    raise AssertionError(f"request {token} did not end")


def cloudforge(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the installed console script (or the module when there is none), output captured."""
    script = Path(sys.executable).with_name("cloudforge")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "cloudforge.cli"]
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **env},
        timeout=120,
    )


def error_of(call: Any, **kwargs: Any) -> tuple[int, str, str]:
    """(HTTP status, error code, message) of a call that must fail."""
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


def run_held(cloud: LocalCloud, operation: str, count: int, work: Callable[[], T]) -> T:
    """Run `work` in a thread while the local cloud holds every request IN_PROGRESS, until it has
    seen `count` calls of `operation`; then let the requests end and return what `work` returned.

    Shows that `count` requests were in flight together without timing anything: a client that
    waited for one request to end before sending the next never gets there (it stops at one, and
    the assertion says so; pytest's timeout is the only limit on a slow machine).
    """
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as exc:
            outcome.append(exc)

    cloud.faults.hold()
    worker = threading.Thread(target=run)
    worker.start()
    try:
        while cloud.calls()[operation] < count and worker.is_alive():
            time.sleep(0.02)
        sent_while_held = cloud.calls()[operation]
    finally:
        cloud.faults.release()
        worker.join()
    assert sent_while_held >= count, f"{sent_while_held} {operation} sent before any ended: {outcome}"
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return cast(T, outcome[0])
