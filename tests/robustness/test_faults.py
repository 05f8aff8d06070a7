"""Fault suite: throttling, HTTP 5xx, handler failures and latency spikes, all at once.

The local cloud answers 30% of API calls with ThrottlingException and 10% with HTTP 500/503,
ends 15% of handler runs FAILED with a retryable code (InternalFailure, ServiceInternalError,
Throttling: they succeed when re-submitted) and draws request latency from an exponential
distribution (most requests quick, a few slow). Every run of the create / update / replace /
delete cycle of 20 profiles must converge within the run. A permanent failure must name its
error code, status message and request token, and leave state that the next run completes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest
from cloudforge.errors import RequestFailedError
from cloudforge.local import Faults, Latency, LocalCloud
from cloudforge.local.faults import Rule

from tests.robustness.crash_program import deploy
from tests.robustness.helpers import assert_converged, cloud_profiles, pending_records

CYCLE = ("v1", "v2", "v3", "empty")


@contextmanager
def paused(faults: Faults) -> Iterator[None]:
    rules = (faults.throttles, faults.http_errors, faults.handler_failures)
    saved = [list(group) for group in rules]
    for group in rules:
        group.clear()
    try:
        yield
    finally:
        for group, kept in zip(rules, saved, strict=True):
            group.extend(kept)  # type: ignore[arg-type]


def test_every_run_converges_under_throttling_5xx_handler_failures_and_spikes(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    faults = local_cloud.faults
    faults.set_latency(Latency(exponential_mean=0.08))
    rules: dict[str, list[Rule]] = {
        "throttled": [faults.throttle(probability=0.30)],
        "http 5xx": [
            faults.http_error(500, probability=0.05),
            faults.http_error(503, probability=0.05),
        ],
        "handler failed": [
            faults.fail_handler(code, probability=0.05)
            for code in ("InternalFailure", "ServiceInternalError", "Throttling")
        ],
    }
    state_dir = tmp_path / "state"
    for version in CYCLE:
        app = asyncio.run(deploy(str(state_dir), instance_arn, version))
        assert all(c.status == "done" for c in app.changes), version
        with paused(faults):  # the census is not under test
            assert_converged(state_dir, instance_arn, version)
    injected = {kind: sum(r.fired for r in group) for kind, group in rules.items()}
    calls = sum(local_cloud.calls().values())
    print(
        f"\nfault suite: {calls} Cloud Control calls, faults injected {sum(injected.values())} "
        f"{injected}, survived: all 4 runs converged; lost/duplicated/orphaned resources: 0"
    )
    # The rates really were applied (seeded, so these hold on every run).
    assert injected["throttled"] > calls * 0.2
    assert injected["http 5xx"] > calls * 0.05
    assert injected["handler failed"] > 0


@pytest.mark.parametrize("operation", ["CREATE", "UPDATE", "DELETE"])
def test_a_permanent_failure_is_reported_whole_and_the_next_run_completes(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path, operation: str
) -> None:
    state_dir = tmp_path / "state"
    before, target = {"CREATE": ("empty", "v1"), "UPDATE": ("v1", "v2"), "DELETE": ("v3", "empty")}[
        operation
    ]
    asyncio.run(deploy(str(state_dir), instance_arn, before))
    local_cloud.faults.fail_handler(
        "InvalidRequest", first=1, operations=(operation,), message="Injected: quota exceeded"
    )
    with pytest.raises(RequestFailedError) as caught:
        asyncio.run(deploy(str(state_dir), instance_arn, target))
    err = caught.value
    assert err.error_code == "InvalidRequest"
    assert err.status_message == "Injected: quota exceeded"
    assert err.request_token and err.request_token in str(err)
    assert "InvalidRequest" in str(err) and "quota exceeded" in str(err)
    # The token is the real one: the cloud knows that request, and that it failed.
    status = boto3.client("cloudcontrol").get_resource_request_status(
        RequestToken=err.request_token
    )["ProgressEvent"]
    assert status["OperationStatus"] == "FAILED" and status["ErrorCode"] == "InvalidRequest"
    assert pending_records(state_dir) == 0  # nothing left half-journaled
    names = [p["SecurityProfileName"] for p in cloud_profiles(instance_arn)]
    assert len(names) == len(set(names))
    app = asyncio.run(deploy(str(state_dir), instance_arn, target))
    assert all(c.status == "done" for c in app.changes)
    assert_converged(state_dir, instance_arn, target)
