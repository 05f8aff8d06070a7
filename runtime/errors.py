"""The errors cloudforge raises: one tree, each level with typed attributes.

    CloudforgeError                 .fields: the named fields the message was formatted from
    ├── ConfigurationError          .setting: the run cannot start (no region, no credentials,
    │   │                             a bad phase or state location)
    │   └── EndpointError           .operation .endpoint .detail: the endpoint is unreachable or
    │                                 answers something that is not Cloud Control
    ├── UsageError                  .logical_id .type_name: the program uses cloudforge wrongly
    │   └── NeverAwaitedError       .count .resources: App(strict=True) and resources never awaited
    ├── ValidationError (ValueError) .type_name .logical_id .path .problem .value: declared
    │                                 properties break the schema; raised before any call
    ├── InvalidNameError            .what .value: an app, stage or logical id outside the form
    ├── SchemaError                 .source .problem: a registry schema cannot be used
    ├── UnknownTypeError (LookupError) .type_name: no generated class for the type
    ├── StateError                  .stage .location: the stage's state
    │   ├── StateLockedError        .holder: another deploy holds the stage's lock
    │   ├── StateConflictError      another writer changed the state meanwhile
    │   ├── StateCorruptError       .problem .recovery: the state or its key cannot be read
    │   ├── StateVersionError       .found .supported: written by a newer cloudforge
    │   └── TargetChangedError      .recorded .current: made at another account/region/endpoint
    └── CloudControlError           .operation .type_name .logical_id .code .detail
        │                             .request_token: Cloud Control refused a call, or a
        │                             request ended without success
        ├── AlreadyExistsError      (`adopt=True` takes the existing resource over)
        ├── ResourceNotFoundError   .identifier
        ├── NotUpdatableError
        ├── ThrottlingError         still throttled after every retry
        ├── RequestFailedError      a request ended FAILED or CANCEL_COMPLETE
        └── RequestTimeoutError     .timeout_minutes: past the handler's timeout (resumable)

Each class formats its message from its named fields (as botocore does), so callers read the
fields and users get a sentence that says what happened and what to do about it. An error about
one resource names it: its type and logical id are attributes and in the message.
"""

from __future__ import annotations

from typing import Any, ClassVar


class CloudforgeError(Exception):
    """Base class of every error cloudforge raises on purpose."""

    template: ClassVar[str] = "{message}"
    fields: dict[str, Any]

    def __init__(self, message: str | None = None, **fields: Any) -> None:
        self.fields = fields
        for key, value in fields.items():
            setattr(self, key, value)
        super().__init__(message if message is not None else self.template.format(**fields))


# -- the run's setup ---------------------------------------------------------------------------


class ConfigurationError(CloudforgeError):
    """The run cannot start as configured. `setting` names what to fix ("region", ...)."""

    template = "{setting}: {detail}"
    setting: str
    detail: str

    def __init__(
        self, message: str | None = None, *, setting: str, detail: str = "", **fields: Any
    ) -> None:
        super().__init__(message, setting=setting, detail=detail, **fields)


class EndpointError(ConfigurationError):
    """The endpoint cannot be reached, or answered something that is not a Cloud Control answer."""

    template = "{operation}: unexpected answer from {endpoint}{about}: {detail}"
    operation: str
    endpoint: str
    type_name: str
    logical_id: str

    def __init__(
        self,
        *,
        operation: str,
        endpoint: str,
        detail: str,
        type_name: str = "",
        logical_id: str = "",
    ) -> None:
        about = f" (for {type_name} {logical_id!r})" if type_name else ""
        super().__init__(
            self.template.format(
                operation=operation, endpoint=endpoint, about=about, detail=detail
            ),
            setting="endpoint",
            detail=detail,
            operation=operation,
            endpoint=endpoint,
            type_name=type_name,
            logical_id=logical_id,
        )


class UsageError(CloudforgeError):
    """The program uses cloudforge wrongly (a resource awaited outside `App`, an id twice)."""

    logical_id: str
    type_name: str

    def __init__(self, message: str, *, logical_id: str = "", type_name: str = "") -> None:
        super().__init__(message, logical_id=logical_id, type_name=type_name)



class NeverAwaitedError(UsageError):
    """`App(strict=True)`: resources were constructed in the App but never awaited."""

    count: int
    resources: str

    def __init__(self, *, count: int, resources: str) -> None:
        CloudforgeError.__init__(
            self,
            f"{count} resource(s) constructed in the App were never awaited, so they were not "
            f"deployed (and nothing was deleted): {resources}; `await` them, or remove them",
            count=count,
            resources=resources,
            logical_id="",
            type_name="",
        )


# -- declarations and types --------------------------------------------------------------------


class ValidationError(CloudforgeError, ValueError):
    """Declared properties do not satisfy the type's schema. Raised before any call is made.

    `path` is the property path in the declaring program's terms (`AllowedAccessControlTags[0].Key`).
    """

    template = "{type_name} {logical_id!r}: {path}: {problem} (got {value!r})"
    type_name: str
    logical_id: str
    path: str
    problem: str
    value: Any

    def __init__(
        self, *, type_name: str, logical_id: str, path: str, problem: str, value: Any = None
    ) -> None:
        super().__init__(
            type_name=type_name, logical_id=logical_id, path=path, problem=problem, value=value
        )


class SchemaError(CloudforgeError):
    """A registry schema cannot be loaded, validated or normalized."""

    template = "{source}: {problem}"
    source: str
    problem: str

    def __init__(self, message: str | None = None, *, source: str = "", problem: str = "") -> None:
        super().__init__(message, source=source, problem=problem)


class UnknownTypeError(CloudforgeError, LookupError):
    """No generated resource class for a type name."""

    template = (
        "no generated resource class for {type_name!r}; pull its schema "
        "(`cloudforge schemas pull {type_name}`) and run `make codegen`"
    )
    type_name: str

    def __init__(self, *, type_name: str) -> None:
        super().__init__(type_name=type_name)


# -- state -------------------------------------------------------------------------------------


class InvalidNameError(CloudforgeError):
    """An app name, stage name or logical id outside the allowed form (cloudforge.names)."""

    template = "{what} {value!r} is not a valid name: use {allowed}{hint}"
    what: str
    value: str


class StateError(CloudforgeError):
    """The stage's state cannot be used as it is: locked, changed meanwhile, damaged, too new,
    or made at another target. Raised before any call that would act on it. `stage` is
    "<app>/<stage>"; `location` where the state lives."""

    stage: str
    location: str

    def __init__(
        self, message: str | None = None, *, stage: str = "", location: str = "", **fields: Any
    ) -> None:
        super().__init__(message, stage=stage, location=location, **fields)


class StateLockedError(StateError):
    template = (
        "stage {stage!r} is locked by {holder}; wait for that deploy to finish, "
        "or break a stale lock with `cloudforge unlock`."
    )
    holder: str

    def __init__(
        self, message: str | None = None, *, stage: str, holder: str, location: str = ""
    ) -> None:
        super().__init__(message, stage=stage, location=location, holder=holder)


class StateConflictError(StateError):
    """A conditional state write lost: someone else wrote the stage's state meanwhile."""

    template = (
        "the state of stage {stage!r} at {location} was changed by another writer while this "
        "deploy held its lock (was the lock broken with `cloudforge unlock`?); stop the other "
        "deploy, then run again"
    )

    def __init__(self, *, stage: str, location: str) -> None:
        super().__init__(stage=stage, location=location)


class StateCorruptError(StateError):
    """A state, or its key, is empty, truncated or unreadable: it is never taken as empty."""

    template = "{location}: {problem}. {recovery}"
    problem: str
    recovery: str


class StateVersionError(StateError):
    """The state was written by a newer cloudforge, in a format this one does not know."""

    template = (
        "{location} is in state format {found}, written by a newer cloudforge; cloudforge "
        "{ours} reads formats up to {supported}. Upgrade cloudforge (pip install -U cloudforge) "
        "to use this state; it was left untouched."
    )
    found: int
    supported: int


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
    recorded: str
    current: str


# -- Cloud Control -----------------------------------------------------------------------------


class CloudControlError(CloudforgeError):
    """Cloud Control refused a call outright, or a request ended without success.

    `code` is AWS's error code (an exception code such as "ConcurrentOperationException", or a
    failed request's ErrorCode such as "AlreadyExists"); `request_token` is the request's token
    when there was a request (None for a refused call).
    """

    template = "{operation} of {type_name} {logical_id!r}: {code}: {detail}"
    operation: str
    type_name: str
    logical_id: str
    code: str
    detail: str
    request_token: str | None

    def __init__(
        self,
        message: str | None = None,
        *,
        operation: str,
        type_name: str,
        logical_id: str,
        code: str,
        detail: str,
        request_token: str | None = None,
        **fields: Any,
    ) -> None:
        super().__init__(
            message,
            operation=operation,
            type_name=type_name,
            logical_id=logical_id,
            code=code,
            detail=detail,
            request_token=request_token,
            **fields,
        )


class AlreadyExistsError(CloudControlError):
    template = (
        "{type_name} {logical_id!r} already exists ({detail}). "
        "Pass adopt=True to take the existing resource under management instead."
    )

    def __init__(
        self,
        message: str | None = None,
        *,
        type_name: str,
        logical_id: str,
        detail: str,
        operation: str = "CreateResource",
        code: str = "AlreadyExists",
        request_token: str | None = None,
    ) -> None:
        super().__init__(
            message,
            operation=operation,
            type_name=type_name,
            logical_id=logical_id,
            code=code,
            detail=detail,
            request_token=request_token,
        )


class ResourceNotFoundError(CloudControlError):
    template = "{type_name} {logical_id!r} ({identifier}) was not found: {detail}"
    identifier: str | None

    def __init__(
        self,
        *,
        operation: str,
        type_name: str,
        logical_id: str,
        identifier: str | None,
        detail: str,
        code: str = "ResourceNotFoundException",
    ) -> None:
        super().__init__(
            operation=operation,
            type_name=type_name,
            logical_id=logical_id,
            code=code,
            detail=detail,
            identifier=identifier,
        )


class NotUpdatableError(CloudControlError):
    """The update touches a property that cannot be updated (a replacement is needed)."""


class ThrottlingError(CloudControlError):
    """Cloud Control kept refusing a call with ThrottlingException until its deadline passed."""

    template = (
        "{operation} of {type_name} {logical_id!r}: {code}: {detail} (still throttled after "
        "waiting; lower --write-rate/--read-rate, or ask AWS for a higher quota)"
    )


class RequestFailedError(CloudControlError):
    """A Cloud Control request ended FAILED (or CANCEL_COMPLETE)."""

    template = (
        "{operation} of {type_name} {logical_id!r} failed: {code}: {detail} "
        "(request token {request_token})"
    )

    def __init__(
        self,
        *,
        operation: str,
        type_name: str,
        logical_id: str,
        error_code: str,
        status_message: str,
        request_token: str | None,
    ) -> None:
        super().__init__(
            operation=operation,
            type_name=type_name,
            logical_id=logical_id,
            code=error_code,
            detail=status_message,
            request_token=request_token,
        )

    @property
    def error_code(self) -> str:
        """The request's ErrorCode (the older name of `code`)."""
        return self.code

    @property
    def status_message(self) -> str:
        """The request's StatusMessage (the older name of `detail`)."""
        return self.detail


class RequestTimeoutError(CloudControlError):
    """A request was still in progress at its handler's timeout; the next run resumes it."""

    template = (
        "{operation} of {type_name} {logical_id!r} did not finish within {timeout_minutes} minutes "
        "(request token {request_token}); the next run resumes it."
    )
    timeout_minutes: int

    def __init__(
        self,
        *,
        operation: str,
        type_name: str,
        logical_id: str,
        timeout_minutes: int,
        request_token: str | None,
    ) -> None:
        super().__init__(
            operation=operation,
            type_name=type_name,
            logical_id=logical_id,
            code="",
            detail=f"still in progress after {timeout_minutes} minutes",
            request_token=request_token,
            timeout_minutes=timeout_minutes,
        )
