"""examples/app_stack.py: a deployed stack that the application's plain boto3 code uses, every
resource of it, against the local cloud."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _example() -> Any:
    spec = importlib.util.spec_from_file_location("app_stack", ROOT / "examples" / "app_stack.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["app_stack"] = module  # its dataclass looks its module up while being defined
    spec.loader.exec_module(module)
    return module


def test_the_application_uses_every_deployed_resource(local_cloud: Any, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    example = _example()
    deployed = asyncio.run(example.deploy())

    seen = example.run_application(deployed)

    assert seen == {
        "api_key_read": True,
        "assumed_role": f"arn:aws:sts::{local_cloud.account}:assumed-role/nc-worker/worker",
        "order_total": 10,
        "policy_principal": deployed.role_arn,
        "queue_left": 0,
    }
    # What the program deployed is what the services hold.
    assert deployed.queue_url == f"https://sqs.us-east-1.amazonaws.com/{local_cloud.account}/nc-jobs"
    assert boto3.client("iam").get_role(RoleName="nc-worker")["Role"]["Arn"] == deployed.role_arn
    assert boto3.client("s3").get_bucket_versioning(Bucket="nc-uploads")["Status"] == "Enabled"
    assert "UpdateResource" not in local_cloud.calls()
