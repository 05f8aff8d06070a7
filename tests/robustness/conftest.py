"""Fixtures of the robustness suites: a Connect instance and a state bucket in the local cloud,
and a few more registry types generated into a temporary package."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from cloudforge.local import LocalCloud

from tests.generated_types import generated_classes, generated_package
from tests.local_helpers import connect_instance


@pytest.fixture
def instance_arn(local_cloud: LocalCloud) -> str:
    return connect_instance("robust")


@pytest.fixture
def state_bucket(local_cloud: LocalCloud) -> str:
    boto3.client("s3").create_bucket(Bucket="team-state")
    return "team-state"


# Registry types beyond SecurityProfile, generated into a temporary tree for the fuzz and secrets
# suites (only SecurityProfile is committed under generated/): write-only properties (Secret's
# SecretString, User's nested LoginProfile/Password), enums and ranges (Queue, LogGroup).
OTHER_TYPES = ["AWS::SecretsManager::Secret", "AWS::IAM::User", "AWS::SQS::Queue", "AWS::Logs::LogGroup"]
PACKAGE = "cfgen_robustness"


@pytest.fixture(scope="session")
def other_types(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """type name -> generated class, imported from a temporary package of its own."""
    with generated_package(OTHER_TYPES, PACKAGE, tmp_path_factory.mktemp("generated")):
        yield generated_classes(PACKAGE)
