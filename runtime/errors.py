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


class InvalidNameError(CloudforgeError):
    """An app name, stage name or logical id outside the allowed form (cloudforge.names)."""

    template = "{what} {value!r} is not a valid name: use {allowed}{hint}"


class StateError(CloudforgeError):
    """The stage's state cannot be used as it is: locked, changed meanwhile, damaged, too new,
    or made at another target. Raised before any call that would act on it."""


class StateLockedError(StateError):
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


class StateConflictError(StateError):
    """A conditional state write lost: someone else wrote the stage's state meanwhile."""

    template = (
        "the state of stage {stage!r} at {location} was changed by another writer while this "
        "deploy held its lock (was the lock broken with `cloudforge unlock`?); stop the other "
        "deploy, then run again"
    )


class StateCorruptError(StateError):
    """A state, or its key, is empty, truncated or unreadable: it is never taken as empty."""

    template = "{location}: {problem}. {recovery}"


class StateVersionError(StateError):
    """The state was written by a newer cloudforge, in a format this one does not know."""

    template = (
        "{location} is in state format {found}, written by a newer cloudforge; cloudforge "
        "{ours} reads formats up to {supported}. Upgrade cloudforge (pip install -U cloudforge) "
        "to use this state; it was left untouched."
    )


class TargetChangedError(StateError):
    """The stage's resources were made at another account, region or endpoint than this run's."""

    template = (
        "stage {stage!r}: {count} resource(s) ({examples}) were deployed at {recorded}, but this "
        "run targets {current}; nothing of them is known there, so nothing is reported unchanged "
        "and nothing was done. Point back at the recorded target (AWS_PROFILE, --region, "
        "AWS_ENDPOINT_URL); or deploy this target as a new stage (--stage); or run with "
        "--refresh to move the stage here: each resource is read here, the missing ones are "
        "created here, and what stays at the old target is no longer managed (never deleted)"
    )
