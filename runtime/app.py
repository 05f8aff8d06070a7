"""`App`: one run of a program's resources against one stage.

`async with App("name") as app:` opens the stage's state (taking its lock), and every
`await Resource(...)` inside it goes to this App's engine (found through a ContextVar, so
concurrent resources under `asyncio.gather` all reach it). Leaving the block deletes what the
program no longer declares (or, in the destroy phase, everything), releases the lock and closes
the client. Settings not passed follow the environment: CLOUDFORGE_STAGE / the user name,
CLOUDFORGE_PHASE, CLOUDFORGE_REFRESH, CLOUDFORGE_READ_RATE / CLOUDFORGE_WRITE_RATE (calls/s,
"off" for none), and boto3's own chain (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL).

A resource constructed inside the block but never awaited is not deployed; at the end of the
block the App warns about each one (a RuntimeWarning naming it and where it was constructed, as
Python does for a coroutine never awaited), and `App(..., strict=True)` makes that an error.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
import time
import warnings
from contextvars import ContextVar, Token
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast

from cloudforge.engine.parts import MAX_OPERATIONS
from cloudforge.engine.plan import Change
from cloudforge.errors import ConfigurationError, NeverAwaitedError, UsageError
from cloudforge.events import Listener
from cloudforge.names import check, scope

if TYPE_CHECKING:
    from cloudforge.cloud.ratelimit import RateLimiter, RateLimits
    from cloudforge.engine import Engine, Phase
    from cloudforge.resource import Resource
    from cloudforge.state.sqlite import StateBackend

R = TypeVar("R", bound="Resource")

PHASES = ("up", "plan", "destroy")
_current: ContextVar[App | None] = ContextVar("cloudforge_app", default=None)


def current_app(resource: Resource | None = None) -> App:
    """The App whose block is running; `resource` (being awaited) is named if there is none."""
    app = _current.get()
    if app is None:
        what, about = "a resource", {"logical_id": "", "type_name": ""}
        if resource is not None:
            type_name = type(resource).metadata.type_name
            what = f"{type_name} {resource.logical_id!r}"
            about = {"logical_id": resource.logical_id, "type_name": type_name}
        raise UsageError(
            f"{what} was awaited outside `async with App(...)`: create resources inside the "
            "App block (see the README's first example)",
            **about,
        )
    return app



def _named(resource: Resource, filename: str | None = None, lineno: int | None = None) -> str:
    where = f" at {os.path.basename(filename)}:{lineno}" if filename else ""
    return f"{type(resource).__name__} {resource.logical_id!r} ({resource.metadata.type_name}){where}"


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _rate(name: str, default: float) -> float | None:
    """A rate from the environment: calls/s, or "off"/"0" for no limit."""
    text = (os.environ.get(name) or "").strip().lower()
    if not text:
        return default
    if text in ("off", "none", "0", "unlimited"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise ConfigurationError(
            f"${name} must be calls per second or 'off', not {text!r}", setting=name
        ) from None
    if value < 0:
        raise ConfigurationError(
            f"${name} must be calls per second or 'off', not {text!r}", setting=name
        )
    return value


UNSET = -1.0  # a rate the environment does not set: the RateLimits default applies


def rate_limits_from_env(
    rates: tuple[float | None, float | None] | None = None,
) -> RateLimits:
    """The limits $CLOUDFORGE_READ_RATE / $CLOUDFORGE_WRITE_RATE ask for (or `rates`, parsed
    from them earlier), the defaults where unset."""
    from cloudforge.cloud.ratelimit import RateLimits

    read, write = rates or (
        _rate("CLOUDFORGE_READ_RATE", UNSET),
        _rate("CLOUDFORGE_WRITE_RATE", UNSET),
    )
    default = RateLimits()
    return RateLimits(
        read_rate=default.read_rate if read == UNSET else read,
        write_rate=default.write_rate if write == UNSET else write,
    )


class App:
    def __init__(
        self,
        name: str,
        *,
        stage: str | None = None,
        region: str | None = None,
        profile: str | None = None,
        endpoint_url: str | None = None,
        phase: str | None = None,
        refresh: bool | None = None,
        state_dir: str | os.PathLike[str] | None = None,
        state: str | os.PathLike[str] | None = None,
        listeners: list[Listener] | tuple[Listener, ...] = (),
        max_concurrency: int = 32,
        backend: StateBackend | None = None,
        rate_limits: RateLimits | None = None,
        max_operations: int = MAX_OPERATIONS,
        strict: bool = False,
    ) -> None:
        self.name = check(name, "app name")
        self.stage = check(
            stage or os.environ.get("CLOUDFORGE_STAGE") or getpass.getuser(), "stage name"
        )
        chosen = (phase or os.environ.get("CLOUDFORGE_PHASE") or "up").strip().lower()
        if chosen not in PHASES:
            raise ConfigurationError(
                f"phase must be one of {', '.join(PHASES)}, not {chosen!r}", setting="phase"
            )
        self.phase = cast("Phase", chosen)
        self.refresh = (
            refresh if refresh is not None else _flag(os.environ.get("CLOUDFORGE_REFRESH"))
        )
        self.region = region
        self.profile = profile
        self.endpoint_url = endpoint_url
        self.state_dir = Path(state_dir) if state_dir is not None else None
        # Where state lives: a folder (SQLite) or s3://bucket/prefix; state_dir is the older
        # spelling of a folder. Default: $CLOUDFORGE_STATE, else .cloudforge/.
        self.state = state if state is not None else self.state_dir
        self.listeners = list(listeners)
        self.max_concurrency = max_concurrency
        # One limiter for every call of the run (reads and writes budgeted apart, adaptive).
        # $CLOUDFORGE_READ_RATE / _WRITE_RATE are checked now, before any call; the limits
        # themselves are made when first needed (a run that calls nothing never loads them).
        self._rate_limits = rate_limits
        self._env_rates = (
            (_rate("CLOUDFORGE_READ_RATE", UNSET), _rate("CLOUDFORGE_WRITE_RATE", UNSET))
            if rate_limits is None
            else None
        )
        # Write requests in flight at once (calls in flight are bounded by max_concurrency).
        if max_operations < 1:
            raise ConfigurationError(
                f"max_operations must be at least 1, not {max_operations}",
                setting="max_operations",
            )
        self.max_operations = max_operations
        self._backend = backend
        self._engine: Engine | None = None
        self._token: Token[App | None] | None = None
        self.changes: list[Change] = []
        # Never-awaited resources: what was constructed inside the block (and where), and what
        # reached `deploy`.
        self.strict = strict
        self._constructed: list[tuple[Resource, str, int]] = []
        self._deployed: set[int] = set()
        self._outputs: dict[str, Any] = {}
        self._outcomes: dict[str, str] = {}
        self._started = 0.0

    def output(self, name: str, value: Any) -> None:
        """Store a JSON value with the stage (`cloudforge outputs`, `StageOutputs`).

        Saved when the run ends (not in plan); a value that holds a declared write-only value
        is stored masked.
        """
        import json

        if not isinstance(name, str) or not name:
            raise UsageError(f"an output name must be a non-empty string, not {name!r}")
        try:
            self._outputs[name] = json.loads(json.dumps(value, allow_nan=False))
        except (TypeError, ValueError) as err:
            raise UsageError(
                f"output {name!r} must be a JSON value (str, number, bool, None, list, dict): "
                f"{err}"
            ) from None

    @property
    def rate_limits(self) -> RateLimits:
        """The run's rate limits: as given, or as the environment set them."""
        if self._rate_limits is None:
            self._rate_limits = rate_limits_from_env(self._env_rates)
        return self._rate_limits

    def _make_limiter(self) -> RateLimiter:
        from cloudforge.cloud.ratelimit import RateLimiter

        return RateLimiter(self.rate_limits)

    @property
    def scope(self) -> str:
        """The state namespace: two (app, stage) pairs never share one (see cloudforge.names)."""
        return scope(self.name, self.stage)

    async def __aenter__(self) -> App:
        from cloudforge.cloud.cloudcontrol import CloudControl, check_configuration
        from cloudforge.engine import Engine
        from cloudforge.engine.lastrun import recorder
        from cloudforge.engine.reporter import Reporter, collect_changes
        from cloudforge.engine.runstate import RunState
        from cloudforge.engine.targets import settle
        from cloudforge.state.backends import open_backend

        # Reported once, here, rather than by every resource's first call. A plan makes calls
        # only to refresh or resume, so it alone may run without credentials.
        check_configuration(
            region=self.region,
            profile=self.profile,
            endpoint_url=self.endpoint_url,
            credentials=self.phase != "plan" or self.refresh,
        )
        # Deferred: the engine makes state durable at its journal points, off the event loop.
        backend = self._backend or open_backend(
            self.state,
            region=self.region,
            profile=self.profile,
            endpoint_url=self.endpoint_url,
            deferred=True,
        )
        # Plan never writes, so it takes no lock: it can run beside a deploy.
        if self.phase != "plan":
            try:
                backend.lock(self.scope)
            except BaseException:
                if self._backend is None:
                    backend.close()
                raise
        cloud = CloudControl(
            region=self.region,
            profile=self.profile,
            endpoint_url=self.endpoint_url,
            max_concurrency=self.max_concurrency,
            limiter=self._make_limiter,
        )
        try:
            state = RunState.open(self.scope, backend)
            # Records made at another account/region/endpoint are refused (or, with refresh,
            # re-homed) before any Cloud Control call; finding the target costs at most one
            # STS call, and none for a run with no records until it writes one.
            state.locate = cloud.target
            settle(state, self.phase, refresh=self.refresh)
        except BaseException:  # unreadable state, another target: nothing left locked or open
            cloud.close()
            if self.phase != "plan":
                backend.unlock(self.scope)
            if self._backend is None:
                backend.close()
            raise
        self._backend = backend
        # App.changes listens to the engine's outcome events, as the CLI's display does.
        self.changes = []
        self._outputs, self._outcomes, self._started = {}, {}, time.time()
        reporter = Reporter(
            [collect_changes(self.changes), recorder(self._outcomes), *self.listeners]
        )
        self._engine = Engine(
            state,
            cloud,
            reporter,
            phase=self.phase,
            refresh=self.refresh,
            max_operations=self.max_operations,
        )
        self._token = _current.set(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        engine = self._engine
        assert engine is not None and self._backend is not None
        problem = self._never_awaited() if exc is None else None
        try:
            interrupted = isinstance(exc, asyncio.CancelledError | KeyboardInterrupt)
            failed = exc is not None or problem is not None
            try:
                await engine.finish(failed=failed, interrupted=interrupted)
            except BaseException:
                self._remember("failed")
                raise
            self._remember("interrupted" if interrupted else "failed" if failed else "succeeded")
            if not failed and self.phase != "plan":
                # The copy a damaged state is restored from (StateCorruptError says how).
                self._backend.backup()
        finally:
            if self._token is not None:
                _current.reset(self._token)
                self._token = None
            engine.cloud.close()
            self._backend.unlock(self.scope)
            self._backend.close()
        if problem is not None:
            raise problem

    def constructed(self, resource: Resource) -> None:
        """Note a resource constructed inside this App's block, and the program line that did."""
        frame = sys._getframe(1)
        # The first frame outside cloudforge (a generated class may have its own __init__).
        while frame.f_back is not None and str(frame.f_globals.get("__name__", "")).startswith(
            "cloudforge."
        ):
            frame = frame.f_back
        self._constructed.append((resource, frame.f_code.co_filename, frame.f_lineno))

    def _never_awaited(self) -> NeverAwaitedError | None:
        """Warn about each resource constructed here but never awaited; strict: the error."""
        missed = [entry for entry in self._constructed if id(entry[0]) not in self._deployed]
        if not missed:
            return None
        if self.strict and self.phase != "destroy":  # strict never stands in a destroy's way
            return NeverAwaitedError(
                count=len(missed),
                resources=", ".join(_named(*entry) for entry in missed),
            )
        for resource, filename, lineno in missed:
            warnings.warn_explicit(
                f"{_named(resource)} was constructed but never awaited, so it was not deployed: "
                f"`await` it (or pass it to asyncio.gather)",
                RuntimeWarning,
                filename,
                lineno,
            )
        return None

    def _remember(self, result: str) -> None:
        """Store the run's outputs and outcomes with the stage (plan stores nothing)."""
        from cloudforge.engine.lastrun import masked, next_info
        from cloudforge.engine.patch import declared_write_only

        engine = self._engine
        if self.phase == "plan" or engine is None:
            return
        secrets = [
            value
            for resource in engine.state.declared.values()
            for value in declared_write_only(resource.declared, type(resource).metadata)
        ]
        outputs = {name: masked(value, secrets) for name, value in self._outputs.items()}
        engine.state.put_info(
            next_info(
                engine.state.info,
                phase=self.phase,
                result=result,
                started=self._started,
                outcomes=self._outcomes,
                outputs=outputs,
                remaining=engine.state.records,
            )
        )

    async def deploy(self, resource: R) -> R:
        if self._engine is None:
            raise UsageError(
                f"{type(resource).metadata.type_name} {resource.logical_id!r}: App.deploy was "
                "called outside `async with App(...)`",
                logical_id=resource.logical_id,
                type_name=type(resource).metadata.type_name,
            )
        self._deployed.add(id(resource))
        await self._engine.deploy(resource)
        return resource

    def __repr__(self) -> str:
        return f"App({self.name!r}, stage={self.stage!r}, phase={self.phase!r})"
