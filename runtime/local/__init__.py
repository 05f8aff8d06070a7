"""The local cloud: a Cloud Control API emulator and moto's AWS APIs on one local port.

    from cloudforge.local import LocalCloud
    with LocalCloud(latency=0.05, seed=1) as cloud:
        boto3.client("cloudcontrol", endpoint_url=cloud.endpoint_url) ...

Cloud Control (`X-Amz-Target: CloudApiService.*`) is served from registry schemas, behaving as
AWS does (asynchronous requests, late AlreadyExists, ClientToken idempotency); every other API is
moto's, in this process. For the types moto implements (`cloudforge.local.moto_adapters.BACKED`)
Cloud Control's resources are moto's, both ways. Any credentials are accepted; each cloud has its
own account (`cloud.account`: moto's 123456789012 unless another cloud in the process holds it).

State: with `state_file` the Cloud Control store (resources, requests, client tokens) is journaled
before each answer and read back on start, so a restart loses nothing; moto-backed resources are
made again in moto on start (those made through the service APIs are taken into the store when
the cloud stops). Other moto state (Connect instances, S3 objects, queue messages) is in memory only.

Faults (`cloud.faults`, see `cloudforge.local.faults`): latency, throttling, handler failures and
HTTP 5xx, per server or per type, drawn from a seeded generator; `hold()` keeps every request in
progress until `release()`.

May import `cloudforge.errors`, `cloudforge.schemas` (registry schemas and patterns) and moto;
never the engine, the CLI or the generator (`cloudforge.codegen`): the local cloud serves any
type from its schema, generated or not.
"""

from __future__ import annotations

import random
import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from cloudforge.local.backend import Backend
from cloudforge.local.faults import Faults, Latency
from cloudforge.local.hooks import HookContext
from cloudforge.local.readonly import REGION
from cloudforge.local.server import CloudControlApp
from cloudforge.local.store import Store

__all__ = ["Faults", "Latency", "LocalCloud", "serve"]

HOST = "127.0.0.1"


DEFAULT_ACCOUNT = "123456789012"  # moto's default, so a lone cloud's ARNs read as moto's examples do
_accounts_in_use: set[str] = set()
_accounts_lock = threading.Lock()


def reset_moto(account: str | None = None) -> None:
    """Forget moto's resources in `account`, or in every account (moto's backends are process-wide)."""
    if account is None:
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()
        return
    if "moto.core.base_backend" not in sys.modules:
        return  # moto not loaded yet: it holds nothing
    from moto.core.base_backend import BackendDict, BaseBackend

    instances: list[Any] = list(BackendDict._instances)  # type: ignore[misc]
    for backend_dict in instances:
        for backend in list(backend_dict.get(account, {}).values()):
            buckets = getattr(backend, "buckets", None)
            if backend_dict.service_name == "s3" and isinstance(buckets, dict):
                # S3's own reset disposes every account's objects: free only this account's names.
                accounts = getattr(backend_dict, "bucket_accounts", {})
                for name in buckets:
                    accounts.pop(name, None)
            BaseBackend.reset(backend)


def _claim_account(account: str | None) -> str:
    """The account a new LocalCloud keeps its moto resources in: the one asked for, else moto's
    default while no other LocalCloud in this process holds it, else a fresh one."""
    with _accounts_lock:
        if account is None:
            account = DEFAULT_ACCOUNT
            number = 100000000000
            while account in _accounts_in_use:
                number += 1
                account = str(number)
        _accounts_in_use.add(account)
        return account


def _release_account(account: str) -> None:
    with _accounts_lock:
        _accounts_in_use.discard(account)


class LocalCloud:
    """A threaded HTTP server on 127.0.0.1 serving Cloud Control and moto; a context manager."""

    def __init__(self, port: int = 0, latency: float | Latency = 0.0, seed: int | None = None,
                 state_file: str | Path | None = None, *, account: str | None = None,
                 region: str = REGION) -> None:
        self._port = port
        self._initial_latency = latency
        self._seed = seed
        state = Path(state_file) if state_file is not None else None
        self.faults = Faults(latency=latency, seed=seed)
        # Each cloud keeps its moto resources in its own account, starting empty, so two clouds in
        # one process do not see each other's (S3 bucket names stay global, as in AWS).
        self.account = _claim_account(account)
        self._account_held = True
        reset_moto(self.account)
        self.backend = Backend(store=Store(state_file=state), faults=self.faults,
                               context=HookContext(rng=random.Random(seed), region=region, account=self.account))
        self.app = CloudControlApp(self.backend)
        self._server: Any = None
        self._thread: threading.Thread | None = None

    # Lifecycle.

    def start(self) -> LocalCloud:
        from cloudforge.local.handler import QuietRequestHandler

        if not self._account_held:
            self.account = self.backend.context.account = _claim_account(self.account)
            self._account_held = True
        from werkzeug.serving import make_server

        self._server = make_server(HOST, self._port, self.app, threaded=True,
                                   request_handler=QuietRequestHandler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="cloudforge-local", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self.backend.store.state_file is not None:
            self.backend.capture()  # what the service APIs made is restored on the next start too
        self.backend.store.close()
        if self._account_held:
            _release_account(self.account)
            self._account_held = False

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the local cloud is not running: call start() or use it as a context manager")
        return int(self._server.server_address[1])

    @property
    def endpoint_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    # What tests look at and reset.

    def calls(self) -> Counter[str]:
        """Cloud Control operation names received so far ("CreateResource": 3, ...)."""
        return self.app.call_counts()

    def reset_calls(self) -> None:
        self.app.reset_call_counts()

    def reset(self) -> None:
        """Forget every resource, request and moto state; clear the call counts and fault rules.

        The latency and seed given to the constructor come back, so each test starts alike.
        """
        store = self.backend.store
        with store.lock:
            store.clear()
            store.save()
        self.faults.clear()
        self.faults.set_latency(self._initial_latency)
        self.faults.reseed(self._seed)
        self.backend.context.rng.seed(self._seed)
        self.reset_calls()
        reset_moto(self.account)


def _announce(line: str) -> None:
    print(line, flush=True)  # flushed: a script waiting for the endpoint line reads it at once


def serve(port: int = 4566, state_file: str | Path | None = None, *, latency: float = 0.0,
          seed: int | None = None, announce: Callable[[str], Any] = _announce) -> None:
    """Run the local cloud in the foreground until interrupted (`python -m cloudforge.local`).

    SIGINT and SIGTERM stop it cleanly; the state file is up to date after every request anyway.
    """
    cloud = LocalCloud(port=port, latency=latency, seed=seed, state_file=state_file)
    cloud.start()
    announce(f"cloudforge local cloud listening on {cloud.endpoint_url}")
    announce(f"  export AWS_ENDPOINT_URL={cloud.endpoint_url}")
    if state_file is not None:
        announce(f"  state in {state_file} (moto-backed resources too; objects, messages and items are in memory only)")
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        cloud.stop()
