"""The exception tree (`cloudforge.errors`): who is whose child, which typed attributes each
level carries, and that an error about a resource names it (issue 11).

The behaviour half goes through the public API: `App` + a generated class, and the Cloud
Control client, against the local cloud.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from cloudforge import App, errors
from cloudforge.aws.connect import SecurityProfile
from cloudforge.cloud.cloudcontrol import CloudControl
from cloudforge.errors import (
    AlreadyExistsError,
    CloudControlError,
    CloudforgeError,
    ConfigurationError,
    EndpointError,
    InvalidNameError,
    NeverAwaitedError,
    NotUpdatableError,
    RequestFailedError,
    RequestTimeoutError,
    ResourceNotFoundError,
    SchemaError,
    StateConflictError,
    StateCorruptError,
    StateError,
    StateLockedError,
    StateVersionError,
    TargetChangedError,
    ThrottlingError,
    UnknownTypeError,
    UsageError,
    ValidationError,
)
from cloudforge.local import LocalCloud

from tests.local_helpers import connect_instance

TYPE = "AWS::Connect::SecurityProfile"

TREE = {
    ConfigurationError: CloudforgeError,
    EndpointError: ConfigurationError,
    UsageError: CloudforgeError,
    ValidationError: CloudforgeError,
    SchemaError: CloudforgeError,
    UnknownTypeError: CloudforgeError,
    StateError: CloudforgeError,
    StateLockedError: StateError,
    StateConflictError: StateError,
    StateCorruptError: StateError,
    StateVersionError: StateError,
    TargetChangedError: StateError,
    NeverAwaitedError: UsageError,
    InvalidNameError: CloudforgeError,
    CloudControlError: CloudforgeError,
    AlreadyExistsError: CloudControlError,
    ResourceNotFoundError: CloudControlError,
    NotUpdatableError: CloudControlError,
    ThrottlingError: CloudControlError,
    RequestFailedError: CloudControlError,
    RequestTimeoutError: CloudControlError,
}


def test_the_tree_is_as_drawn_in_the_module_docstring() -> None:
    for child, parent in TREE.items():
        assert child.__mro__[1] is parent, child
        assert child.__name__ in (errors.__doc__ or ""), child
    assert issubclass(ValidationError, ValueError) and issubclass(UnknownTypeError, LookupError)
    every = {c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, CloudforgeError)}
    assert every == {CloudforgeError, *TREE}  # nothing outside the drawing


def test_old_import_places_still_work() -> None:
    from cloudforge.registry import UnknownTypeError as from_registry

    assert from_registry is UnknownTypeError
    failed = RequestFailedError(
        operation="create", type_name=TYPE, logical_id="p", error_code="InvalidRequest",
        status_message="quota exceeded", request_token="t-1",
    )
    assert (failed.error_code, failed.status_message) == (failed.code, failed.detail)


@pytest.mark.parametrize(
    "error",
    [
        AlreadyExistsError(type_name=TYPE, logical_id="p", detail="taken"),
        ResourceNotFoundError(operation="GetResource", type_name=TYPE, logical_id="p", identifier="arn:x", detail="gone"),
        NotUpdatableError(operation="UpdateResource", type_name=TYPE, logical_id="p", code="NotUpdatableException", detail="no"),
        ThrottlingError(operation="CreateResource", type_name=TYPE, logical_id="p", code="ThrottlingException", detail="slow down"),
        RequestFailedError(operation="delete", type_name=TYPE, logical_id="p", error_code="InternalFailure", status_message="boom", request_token="t-2"),
        RequestTimeoutError(operation="update", type_name=TYPE, logical_id="p", timeout_minutes=5, request_token="t-3"),
        CloudControlError(operation="CreateResource", type_name=TYPE, logical_id="p", code="ConcurrentOperationException", detail="busy"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_every_cloud_control_error_has_its_attributes_and_names_the_resource(error: CloudControlError) -> None:
    for name in ("operation", "type_name", "logical_id", "code", "detail", "request_token"):
        assert hasattr(error, name), name
    assert (error.type_name, error.logical_id) == (TYPE, "p")
    assert TYPE in str(error) and "'p'" in str(error)
    assert error.request_token is None or error.request_token in str(error)


def test_state_and_setup_errors_carry_their_fields() -> None:
    locked = StateLockedError(stage="app/dev", holder="pid 7 on host")
    assert (locked.stage, locked.holder, locked.location) == ("app/dev", "pid 7 on host", "")
    assert "pid 7 on host" in str(locked) and "cloudforge unlock" in str(locked)
    corrupt = StateCorruptError(
        stage="app/dev", location="s3://b/k", problem="not valid JSON",
        recovery="Restore an earlier version of it",
    )
    assert (corrupt.problem, corrupt.location) == ("not valid JSON", "s3://b/k")
    assert "s3://b/k" in str(corrupt) and "Restore an earlier version" in str(corrupt)
    endpoint = EndpointError(operation="GetResource", endpoint="http://x", detail="no JSON", type_name=TYPE, logical_id="p")
    assert (endpoint.setting, endpoint.type_name, endpoint.logical_id) == ("endpoint", TYPE, "p")
    assert TYPE in str(endpoint) and "http://x" in str(endpoint)
    assert UnknownTypeError(type_name="AWS::No::Such").type_name == "AWS::No::Such"


# -- through the public API ----------------------------------------------------------------------


@pytest.fixture
def instance_arn(local_cloud: LocalCloud) -> str:
    return connect_instance("errors-tests")


def deploy(state_dir: Path, *resources: SecurityProfile, **app_args: Any) -> App:
    async def main() -> App:
        async with App("errors", stage="test", state_dir=state_dir, **app_args) as app:
            await asyncio.gather(*resources)
        return app

    return asyncio.run(main())


def test_no_region_is_a_configuration_error(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(ConfigurationError, match="no AWS region") as caught:
        deploy(tmp_path, SecurityProfile("p", InstanceArn=instance_arn, SecurityProfileName="P"))
    assert caught.value.setting == "region"


def test_no_credentials_is_a_configuration_error(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name)
    with pytest.raises(ConfigurationError, match="no AWS credentials") as caught:
        deploy(tmp_path, SecurityProfile("p", InstanceArn=instance_arn, SecurityProfileName="P"))
    assert caught.value.setting == "credentials"


def test_an_unknown_phase_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="phase must be one of") as caught:
        App("errors", phase="deploy")
    assert caught.value.setting == "phase"


def test_refused_calls_carry_the_code_and_name_the_resource(local_cloud: LocalCloud) -> None:
    async def calls() -> tuple[CloudforgeError, CloudforgeError]:
        cloud = CloudControl()
        try:
            with pytest.raises(ResourceNotFoundError) as missing:
                await cloud.get(TYPE, "arn:aws:connect:us-east-1:123456789012:instance/x/security-profile/y", "ghost")
            with pytest.raises(CloudControlError) as unknown:
                await cloud.create("AWS::No::Such", {}, "cf-token-1", "nowhere")
            return missing.value, unknown.value
        finally:
            cloud.close()

    missing, unknown = asyncio.run(calls())
    assert isinstance(missing, ResourceNotFoundError)
    assert (missing.code, missing.logical_id, missing.type_name) == ("ResourceNotFoundException", "ghost", TYPE)
    assert missing.request_token is None and missing.identifier and missing.identifier in str(missing)
    assert "'ghost'" in str(missing) and TYPE in str(missing)
    assert isinstance(unknown, CloudControlError)
    assert (unknown.code, unknown.logical_id, unknown.type_name) == ("TypeNotFoundException", "nowhere", "AWS::No::Such")
    assert "'nowhere'" in str(unknown) and "AWS::No::Such" in str(unknown)


def test_a_failed_request_is_a_cloud_control_error_naming_the_resource(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    local_cloud.faults.fail_handler("InvalidRequest", first=1, operations=("CREATE",), message="Injected: no")
    with pytest.raises(CloudControlError) as caught:
        deploy(tmp_path, SecurityProfile("broken", InstanceArn=instance_arn, SecurityProfileName="Broken"))
    err = caught.value
    assert isinstance(err, RequestFailedError)
    assert (err.code, err.detail, err.type_name, err.logical_id) == ("InvalidRequest", "Injected: no", TYPE, "broken")
    assert err.request_token and err.request_token in str(err)


def test_a_late_already_exists_carries_its_request_token(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    deploy(tmp_path / "first", SecurityProfile("one", InstanceArn=instance_arn, SecurityProfileName="Same"))
    with pytest.raises(AlreadyExistsError) as caught:
        deploy(tmp_path / "second", SecurityProfile("two", InstanceArn=instance_arn, SecurityProfileName="Same"))
    err = caught.value
    assert (err.code, err.type_name, err.logical_id) == ("AlreadyExists", TYPE, "two")
    assert err.request_token and "'two'" in str(err) and "adopt=True" in str(err)


def test_program_mistakes_are_usage_errors_naming_the_resource(
    local_cloud: LocalCloud, instance_arn: str, tmp_path: Path
) -> None:
    outside = SecurityProfile("loose", InstanceArn=instance_arn, SecurityProfileName="Loose")
    with pytest.raises(UsageError, match="outside `async with App") as caught:
        asyncio.run(_await(outside))
    assert (caught.value.logical_id, caught.value.type_name) == ("loose", TYPE)
    assert "'loose'" in str(caught.value) and TYPE in str(caught.value)

    first = SecurityProfile("twice", InstanceArn=instance_arn, SecurityProfileName="A")
    second = SecurityProfile("twice", InstanceArn=instance_arn, SecurityProfileName="B")
    with pytest.raises(UsageError, match="declared twice") as twice:
        deploy(tmp_path, first, second)
    assert (twice.value.logical_id, twice.value.type_name) == ("twice", TYPE)


async def _await(resource: SecurityProfile) -> SecurityProfile:
    return await resource
