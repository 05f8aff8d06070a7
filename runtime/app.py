"""`App`: one run of a program's resources against one stage.

`async with App("name") as app:` opens the stage's state (taking its lock), and every
`await Resource(...)` inside it goes to this App's engine (found through a ContextVar, so
concurrent resources under `asyncio.gather` all reach it). Leaving the block deletes what the
program no longer declares (or, in the destroy phase, everything), releases the lock and closes
the client. Settings not passed follow the environment: CLOUDFORGE_STAGE / the user name,
CLOUDFORGE_PHASE, CLOUDFORGE_REFRESH, and boto3's own chain (AWS_PROFILE, AWS_REGION,
AWS_ENDPOINT_URL).
"""

from __future__ import annotations

import asyncio
import getpass
import os
import time
from contextvars import ContextVar, Token
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast

from cloudforge.engine.plan import Change
from cloudforge.errors import CloudforgeError
from cloudforge.events import Listener

if TYPE_CHECKING:
    from cloudforge.engine import Engine, Phase
    from cloudforge.resource import Resource
    from cloudforge.state.sqlite import StateBackend

R = TypeVar("R", bound="Resource")

PHASES = ("up", "plan", "destroy")
_current: ContextVar[App | None] = ContextVar("cloudforge_app", default=None)


def current_app() -> App:
    app = _current.get()
    if app is None:
        raise CloudforgeError(
            "a resource was awaited outside `async with App(...)`: create resources inside the "
            "App block (see the README's first example)"
        )
    return app


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


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
    ) -> None:
        self.name = name
        self.stage = stage or os.environ.get("CLOUDFORGE_STAGE") or getpass.getuser()
        chosen = (phase or os.environ.get("CLOUDFORGE_PHASE") or "up").strip().lower()
        if chosen not in PHASES:
            raise CloudforgeError(f"phase must be one of {', '.join(PHASES)}, not {chosen!r}")
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
        self._backend = backend
        self._engine: Engine | None = None
        self._token: Token[App | None] | None = None
        self.changes: list[Change] = []
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
            raise CloudforgeError(f"an output name must be a non-empty string, not {name!r}")
        try:
            self._outputs[name] = json.loads(json.dumps(value, allow_nan=False))
        except (TypeError, ValueError) as err:
            raise CloudforgeError(
                f"output {name!r} must be a JSON value (str, number, bool, None, list, dict): "
                f"{err}"
            ) from None

    @property
    def scope(self) -> str:
        """The state namespace: two apps sharing a stage never see each other's resources."""
        return f"{self.name}/{self.stage}"

    async def __aenter__(self) -> App:
        from cloudforge.cloud.cloudcontrol import CloudControl
        from cloudforge.engine import Engine
        from cloudforge.engine.lastrun import recorder
        from cloudforge.engine.reporter import Reporter, collect_changes
        from cloudforge.engine.runstate import RunState
        from cloudforge.state.backends import open_backend

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
        try:
            state = RunState.open(self.scope, backend)
        except BaseException:  # unreadable state: leave nothing locked or open behind
            if self.phase != "plan":
                backend.unlock(self.scope)
            if self._backend is None:
                backend.close()
            raise
        self._backend = backend
        cloud = CloudControl(
            region=self.region,
            profile=self.profile,
            endpoint_url=self.endpoint_url,
            max_concurrency=self.max_concurrency,
        )
        # App.changes listens to the engine's outcome events, as the CLI's display does.
        self.changes = []
        self._outputs, self._outcomes, self._started = {}, {}, time.time()
        reporter = Reporter(
            [collect_changes(self.changes), recorder(self._outcomes), *self.listeners]
        )
        self._engine = Engine(state, cloud, reporter, phase=self.phase, refresh=self.refresh)
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
        try:
            interrupted = isinstance(exc, asyncio.CancelledError | KeyboardInterrupt)
            try:
                await engine.finish(failed=exc is not None, interrupted=interrupted)
            except BaseException:
                self._remember("failed")
                raise
            self._remember(
                "interrupted" if interrupted else "failed" if exc is not None else "succeeded"
            )
        finally:
            if self._token is not None:
                _current.reset(self._token)
                self._token = None
            engine.cloud.close()
            self._backend.unlock(self.scope)
            self._backend.close()

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
            raise CloudforgeError("App.deploy called outside `async with App(...)`")
        await self._engine.deploy(resource)
        return resource

    def __repr__(self) -> str:
        return f"App({self.name!r}, stage={self.stage!r}, phase={self.phase!r})"
