"""The local cloud as the bench uses it: started once, reset per scenario with a Connect instance.

Every scenario starts from an empty cloud holding one Amazon Connect instance (SecurityProfiles
must belong to one), with the call counter at zero, so `calls()` counts the scenario alone.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import boto3
from botocore.config import Config

REGION = "us-east-1"
# How the local cloud reports RetryAfter in the deploy, no-op and update figures: a handler
# re-invoked every 2 s, not the exact completion time (which flatters any poller).
HINTS = "step:2"
# Fake credentials: the local cloud accepts any, and the bench must never reach real AWS.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


def use_fake_credentials() -> None:
    for name in (
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
    ):
        os.environ.pop(name, None)
    os.environ.update(CREDENTIALS)


def without_client_limits() -> None:
    """Figures 3-5 compare polling and payloads with plain boto3 baselines that have no rate
    limiter, against a local cloud with no quota: cloudforge runs without its limiter there too
    (`CLOUDFORGE_*_RATE=off`, also for the programs the bench starts). Figure 6 measures the
    limiter, under a quota."""
    os.environ["CLOUDFORGE_READ_RATE"] = "off"
    os.environ["CLOUDFORGE_WRITE_RATE"] = "off"


def client(service: str, endpoint_url: str, pool: int = 10) -> Any:
    """A plain boto3 client for the local cloud; `pool` sized for that many threads."""
    session: Any = boto3.session.Session()  # Any: the service name is not a literal here
    return session.client(
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        config=Config(max_pool_connections=max(pool, 10), retries={"mode": "standard"}),
    )


def fresh(cloud: Any, latency: Any = 0.0) -> str:
    """Empty the cloud, create a Connect instance, set the latency, zero the counter; the ARN."""
    cloud.reset()
    cloud.faults.set_latency(0.0)
    connect = client("connect", cloud.endpoint_url)
    arn = str(
        connect.create_instance(
            IdentityManagementType="CONNECT_MANAGED",
            InstanceAlias="bench",
            InboundCallsEnabled=True,
            OutboundCallsEnabled=True,
        )["Arn"]
    )
    cloud.faults.set_latency(latency)
    cloud.reset_calls()
    return arn


def per_resource(calls: Counter[str], n: int) -> dict[str, float]:
    """Cloud Control calls per resource, by kind."""
    creates = calls.get("CreateResource", 0)
    polls = calls.get("GetResourceRequestStatus", 0)
    reads = calls.get("GetResource", 0)
    total = sum(calls.values())
    return {
        "creates": creates / n,
        "polls": polls / n,
        "reads": reads / n,
        "other": (total - creates - polls - reads) / n,
        "total": total / n,
    }
