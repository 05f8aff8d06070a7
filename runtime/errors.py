"""The errors cloudforge raises: one base class, a few specific subclasses.

Each subclass formats its message from named fields (as botocore does), so callers can read the
fields and users get a sentence that says what happened and what to do about it.
"""

from __future__ import annotations

from typing import Any


class CloudforgeError(Exception):
    """Base class of every error cloudforge raises on purpose."""

    template = "{message}"

    def __init__(self, message: str | None = None, **fields: Any) -> None:
        self.fields = fields
        for key, value in fields.items():
            setattr(self, key, value)
        super().__init__(message if message is not None else self.template.format(**fields))


class ValidationError(CloudforgeError):
    """Declared properties do not satisfy the type's schema. Raised before any call is made.

    `path` is the property path in the declaring program's terms (`AllowedAccessControlTags[0].Key`).
    """

    template = "{type_name} {logical_id!r}: {path}: {problem} (got {value!r})"

    def __init__(
        self, *, type_name: str, logical_id: str, path: str, problem: str, value: Any = None
    ) -> None:
        super().__init__(
            type_name=type_name, logical_id=logical_id, path=path, problem=problem, value=value
        )


class SchemaError(CloudforgeError):
    """A registry schema cannot be loaded, validated or normalized by the generator."""

    template = "{source}: {problem}"


class AlreadyExistsError(CloudforgeError):
    template = (
        "{type_name} {logical_id!r} already exists ({detail}). "
        "Pass adopt=True to take the existing resource under management instead."
    )


class ResourceNotFoundError(CloudforgeError):
    template = "{type_name} {identifier!r} was not found: {detail}"


class NotUpdatableError(CloudforgeError):
    template = "{type_name} {logical_id!r}: {detail}"


class RequestFailedError(CloudforgeError):
    """A Cloud Control request ended FAILED (or CANCEL_COMPLETE)."""

    template = (
        "{operation} of {type_name} {logical_id!r} failed: {error_code}: {status_message} "
        "(request token {request_token})"
    )


class RequestTimeoutError(CloudforgeError):
    template = (
        "{operation} of {type_name} {logical_id!r} did not finish within {timeout_minutes} minutes "
        "(request token {request_token}); the next run resumes it."
    )


class StateLockedError(CloudforgeError):
    template = (
        "stage {stage!r} is locked by {holder}; wait for that deploy to finish, "
        "or break a stale lock with `cloudforge unlock`."
    )


class EndpointError(CloudforgeError):
    """The endpoint answered something that is not a valid Cloud Control response."""

    template = "{operation}: unexpected answer from {endpoint}: {detail}"


class CloudControlError(CloudforgeError):
    """Cloud Control rejected a call outright (an HTTP error, not a FAILED request)."""

    template = "{operation} of {type_name} {logical_id!r}: {code}: {detail}"


class ThrottlingError(CloudControlError):
    """Cloud Control kept refusing a call with ThrottlingException until its deadline passed."""

    template = (
        "{operation} of {type_name} {logical_id!r}: {code}: {detail} (still throttled after "
        "waiting; lower --write-rate/--read-rate, or ask AWS for a higher quota)"
    )


class StateConflictError(CloudforgeError):
    """A conditional state write lost: someone else wrote the stage's state meanwhile."""

    template = (
        "the state of stage {stage!r} at {location} was changed by another writer while this "
        "deploy held its lock (was the lock broken with `cloudforge unlock`?); stop the other "
        "deploy, then run again"
    )
