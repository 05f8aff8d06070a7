"""Fixtures of the robustness suites: a Connect instance and a state bucket in the local cloud."""

from __future__ import annotations

import boto3
import pytest
from cloudforge.local import LocalCloud

from tests.robustness.helpers import connect_instance


@pytest.fixture
def instance_arn(local_cloud: LocalCloud) -> str:
    return connect_instance()


@pytest.fixture
def state_bucket(local_cloud: LocalCloud) -> str:
    boto3.client("s3").create_bucket(Bucket="team-state")
    return "team-state"
