"""Fixtures of the integration suites."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config
from cloudforge.local import LocalCloud


@pytest.fixture
def cc(local_cloud: LocalCloud) -> Any:
    """A Cloud Control client of the local cloud without client retries: a test must see each
    answer the server gives."""
    return boto3.client(
        "cloudcontrol",
        endpoint_url=local_cloud.endpoint_url,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )
