"""Resource types kept in moto's backends: one adapter per service, found through one table.

An adapter is what a Cloud Control handler is in AWS: it creates, reads, updates, deletes and
lists a resource through the service's own API (boto3 calls answered in-process by moto, see
`transport`), so the service APIs see exactly what Cloud Control made and Cloud Control sees what
the service APIs made. `BACKED` maps each type to its service module; a module (and the moto
backend behind it) is imported when one of its types is first used, never at start-up.
"""

from __future__ import annotations

import importlib
import random
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from cloudforge.local.moto_adapters import transport

# Type name -> the module (under cloudforge.local.moto_adapters) whose ADAPTERS holds its adapter.
BACKED: dict[str, str] = {
    "AWS::S3::Bucket": "s3",
    "AWS::S3::BucketPolicy": "s3",
    "AWS::SQS::Queue": "sqs",
    "AWS::SNS::Topic": "sns",
    "AWS::IAM::Role": "iam",
    "AWS::IAM::ManagedPolicy": "iam",
    "AWS::IAM::Policy": "iam",
    "AWS::Logs::LogGroup": "logs",
    "AWS::SecretsManager::Secret": "secretsmanager",
    "AWS::DynamoDB::Table": "dynamodb",
    "AWS::KMS::Key": "kms",
    "AWS::Lambda::Function": "awslambda",
    "AWS::SSM::Parameter": "ssm",
    "AWS::EC2::VPC": "ec2",
    "AWS::EC2::Subnet": "ec2",
    "AWS::EC2::SecurityGroup": "ec2",
}


class AdapterError(Exception):
    """The service refused: the request fails with this HandlerErrorCode and message."""

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message


@dataclass
class Api:
    """Where an adapter works: moto's account and region, and the cloud's seeded random source."""

    account: str
    region: str
    rng: random.Random = field(default_factory=random.Random)

    def client(self, service: str) -> Any:
        return transport.client(service, self.account, self.region)


Model = dict[str, Any]


def _nothing(api: Api, identifier: str) -> None:
    return None


@dataclass(frozen=True)
class Adapter:
    """One type's handlers, as functions of the service API.

    create: the model as created (identifiers and read-only values included); identifiers the model
    already holds (a restore from the state file) are kept where the service allows it.
    read: the model as the service holds it, None when it does not exist.
    update: take the resource from `old` to `new` (both full models).
    delete: delete it (what must go first, such as attached policies, goes first).
    list: the primary identifiers of every such resource in the account and region.
    check_delete: raise AdapterError when the resource cannot be deleted as it is.
    list_view: the properties ListResources shows (AWS shows fewer for some types).
    """

    create: Callable[[Api, Model], Model]
    read: Callable[[Api, str], Model | None]
    update: Callable[[Api, str, Model, Model], None]
    delete: Callable[[Api, str], None]
    list: Callable[[Api], list[str]]
    check_delete: Callable[[Api, str], None] = _nothing
    list_view: Callable[[Model], Model] | None = None
    not_found: str | None = None
    already_exists: str | None = None


def adapter_for(type_name: str) -> Adapter | None:
    """The type's adapter (importing its service module on first use), None if moto does not back it."""
    module = BACKED.get(type_name)
    if module is None:
        return None
    adapters: dict[str, Adapter] = importlib.import_module(f"{__name__}.{module}").ADAPTERS
    return adapters[type_name]


_forcing = threading.Lock()


@contextmanager
def generated_id(module: str, function: str, value: Any) -> Iterator[None]:
    """While a stored resource is made again (a restart), moto's id generator `module.function`
    answers the id the resource had, so its identifier survives. No-op without a stored id.

    Restores run while the cloud starts, before it serves anything, so no other create can draw
    the forced id; the lock keeps two restoring clouds apart.
    """
    if not value:
        yield
        return
    target = importlib.import_module(module)
    original = getattr(target, function)
    with _forcing:
        setattr(target, function, lambda *_, **__: str(value))
        try:
            yield
        finally:
            setattr(target, function, original)


def in_use(type_name: str) -> bool:
    """Whether moto has loaded the type's service in this process (else it holds none of them)."""
    module = BACKED.get(type_name)
    return module is not None and f"moto.{module}" in sys.modules


def error_code(exc: Exception) -> str:
    """The AWS error code of a botocore ClientError ('' for anything else)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def tags_of(model: Model, key: str = "Tags") -> dict[str, str]:
    """CloudFormation's `[{"Key": k, "Value": v}]` as a dict."""
    return {str(t["Key"]): str(t.get("Value", "")) for t in model.get(key) or [] if isinstance(t, dict)}


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def name_for(api: Api, kind: str, max_len: int = 64) -> str:
    """A name for a resource the caller did not name, as CloudFormation generates one."""
    suffix = "".join(api.rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(12))
    return f"cc-{kind}-{suffix}"[:max_len]


def changed(old: Model, new: Model, *names: str) -> bool:
    return any(old.get(n) != new.get(n) for n in names)
