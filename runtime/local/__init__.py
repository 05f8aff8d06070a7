"""The local cloud: a Cloud Control API emulator and moto's AWS APIs on one local port.

    from cloudforge.local import LocalCloud
    with LocalCloud(latency=0.05, seed=1) as cloud:
        boto3.client("cloudcontrol", endpoint_url=cloud.endpoint_url) ...

Cloud Control (`X-Amz-Target: CloudApiService.*`) is served from registry schemas, behaving as
AWS does (asynchronous requests, late AlreadyExists, ClientToken idempotency); every other API is
moto's, in this process. For the types moto implements (`cloudforge.local.moto_adapters.BACKED`)
Cloud Control's resources are moto's, both ways. Any credentials are accepted; each cloud has its
own account (`cloud.account`: moto's 123456789012 unless another cloud in the process holds it).

As strict as AWS where it matters to a client at scale: `rate` (calls/s per account and region,
optionally `read_rate` / `write_rate` budgets) answers ThrottlingException past the quota;
`retry_after` ("step:S" by default, "exact", "none") says how RetryAfter is reported
(`cloudforge.local.hints`); `read_after_create` keeps a new resource NotFound to GetResource for
that many seconds. Served by waitress: HTTP/1.1 keep-alive, a bounded worker pool, idle
connections closed after `idle_timeout`.

State: with `state_file` the Cloud Control store (resources, requests, client tokens) is journaled
before each answer and read back on start, so a restart loses nothing; moto-backed resources are
made again in moto on start (those made through the service APIs are taken into the store when
the cloud stops). Other moto state (Connect instances, S3 objects, queue messages) is in memory
only. Without `state_file` every start is empty.

Faults (`cloud.faults`, see `cloudforge.local.faults`): latency, throttling, handler failures and
HTTP 5xx, per server or per type, drawn from a seeded generator; `fail_rate` and `throttle_rate`
set the server-wide probabilities from the constructor (and the command line); `hold()` keeps
every request in progress until `release()`.

May import `cloudforge.errors`, `cloudforge.schemas` (registry schemas and patterns) and moto;
never the engine, the CLI or the generator (`cloudforge.codegen`): the local cloud serves any
type from its schema, generated or not.
"""

from __future__ import annotations

import logging
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
from cloudforge.local.hints import RetryAfter
from cloudforge.local.hooks import HookContext
from cloudforge.local.quota import Quota
from cloudforge.local.readonly import REGION
from cloudforge.local.server import FRAMING_LIMIT, CloudControlApp
from cloudforge.local.store import Store

__all__ = ["Faults", "Latency", "LocalCloud", "RetryAfter", "serve"]

HOST = "127.0.0.1"
# Injected handler failures end with this code: one the engine re-submits, as AWS's are transient.
FAIL_RATE_CODE = "InternalFailure"


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
    """An HTTP server on 127.0.0.1 serving Cloud Control and moto; a context manager."""

    def __init__(self, port: int = 0, latency: float | Latency = 0.0, seed: int | None = None,
                 state_file: str | Path | None = None, *, account: str | None = None,
                 region: str = REGION, retry_after: str | RetryAfter = "step",
                 rate: float | None = None, read_rate: float | None = None,
                 write_rate: float | None = None, fail_rate: float = 0.0, throttle_rate: float = 0.0,
                 read_after_create: float = 0.0, threads: int = 8, idle_timeout: float = 20.0) -> None:
        for name, value in (("fail_rate", fail_rate), ("throttle_rate", throttle_rate)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} is a probability between 0 and 1, not {value}")
        if read_after_create < 0:
            raise ValueError(f"read_after_create is seconds >= 0, not {read_after_create}")
        self._port = port
        self._initial_latency = latency
        self._seed = seed
        self._fail_rate = fail_rate
        self._throttle_rate = throttle_rate
        self.threads = threads
        self.idle_timeout = idle_timeout
        state = Path(state_file) if state_file is not None else None
        self.faults = Faults(latency=latency, seed=seed)
        self._default_rules()
        self._retry_after = RetryAfter.parse(retry_after)
        # Each cloud keeps its moto resources in its own account, starting empty, so two clouds in
        # one process do not see each other's (S3 bucket names stay global, as in AWS).
        self.account = _claim_account(account)
        self._account_held = True
        reset_moto(self.account)
        self.backend = Backend(store=Store(state_file=state), faults=self.faults,
                               context=HookContext(rng=random.Random(seed), region=region,
                                                   account=self.account),
                               retry_after=self._retry_after,
                               read_after_create=read_after_create)
        self.quota = Quota(rate=rate, read_rate=read_rate, write_rate=write_rate)
        self.app = CloudControlApp(self.backend, self.quota)
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def _default_rules(self) -> None:
        if self._fail_rate:
            self.faults.fail_handler(FAIL_RATE_CODE, probability=self._fail_rate)
        if self._throttle_rate:
            self.faults.throttle(probability=self._throttle_rate)

    @property
    def retry_after(self) -> RetryAfter:
        return self.backend.retry_after

    def set_retry_after(self, mode: str | RetryAfter) -> None:
        """Report RetryAfter another way from now on ("exact", "step:2", "none"); reset() restores it."""
        self.backend.retry_after = RetryAfter.parse(mode)

    # Lifecycle.

    def start(self) -> LocalCloud:
        if not self._account_held:
            self.account = self.backend.context.account = _claim_account(self.account)
            self._account_held = True
        from waitress.server import create_server

        # Waitress warns on stderr whenever requests queue for a worker: that is load, not a fault.
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        self._server = create_server(
            self.app, host=HOST, port=self._port, threads=self.threads,
            channel_timeout=self.idle_timeout, cleanup_interval=max(1.0, min(5.0, self.idle_timeout / 2)),
            connection_limit=1000, asyncore_use_poll=True,  # poll: no 1,024-descriptor select() limit
            max_request_body_size=FRAMING_LIMIT, expose_tracebacks=False, ident="cloudforge-local",
        )
        self._thread = threading.Thread(target=self._run, args=(self._server,), name="cloudforge-local",
                                        daemon=True)
        self._thread.start()
        return self

    @staticmethod
    def _run(server: Any) -> None:
        try:
            server.run()
        except (OSError, ValueError):  # descriptors closed under the loop by stop()
            pass

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            from waitress import wasyncore

            # The workers finish what they hold first (they wake the I/O loop to send it); then
            # every channel is closed from inside the loop (the trigger runs the thunk there),
            # so the loop sees an empty map and returns.
            server.task_dispatcher.shutdown()
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
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
        return int(self._server.effective_port)

    @property
    def endpoint_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    # What tests look at and reset.

    def calls(self) -> Counter[str]:
        """Cloud Control operation names answered so far ("CreateResource": 3, ...), throttled ones included."""
        return self.app.call_counts()

    def throttled(self) -> Counter[str]:
        """Cloud Control calls refused with ThrottlingException, by operation."""
        return self.app.throttled_counts()

    def connections(self) -> int:
        """Client connections that sent a request since the counts were last reset."""
        return self.app.connections()

    def reset_calls(self) -> None:
        self.app.reset_call_counts()

    def reset(self) -> None:
        """Forget every resource, request and moto state; clear the call counts and fault rules.

        The constructor's latency, seed, fail and throttle rates come back and the quota's
        buckets are full again, so each test starts alike.
        """
        store = self.backend.store
        with store.lock:
            store.clear()
            store.save()
        self.faults.clear()
        self.faults.set_latency(self._initial_latency)
        self.faults.reseed(self._seed)
        self._default_rules()
        self.backend.retry_after = self._retry_after
        self.quota.reset()
        self.backend.context.rng.seed(self._seed)
        self.reset_calls()
        reset_moto(self.account)


def _announce(line: str) -> None:
    print(line, flush=True)  # flushed: a script waiting for the endpoint line reads it at once


def banner(cloud: LocalCloud, state_file: str | Path | None) -> list[str]:
    """What `cloudforge local` prints: the endpoint, then every variable a shell should export."""
    region = cloud.backend.context.region
    lines = [
        f"cloudforge local cloud listening on {cloud.endpoint_url}",
        f"  RetryAfter: {cloud.retry_after}; export these to point boto3, the AWS CLI and cloudforge at it:",
        f"  export AWS_ENDPOINT_URL={cloud.endpoint_url}",
        "  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing",
        f"  export AWS_REGION={region} AWS_DEFAULT_REGION={region}",
    ]
    if state_file is not None:
        lines.append(f"  state in {state_file} (moto-backed resources too; objects, messages and "
                     "items are in memory only)")
    else:
        lines.append("  state is in memory only: every start is empty (--state FILE keeps Cloud Control's)")
    return lines


def serve(port: int = 4566, state_file: str | Path | None = None, *, latency: float = 0.0,
          seed: int | None = None, announce: Callable[[str], Any] = _announce, **options: Any) -> None:
    """Run the local cloud in the foreground until interrupted (`python -m cloudforge.local`).

    `options` are LocalCloud's keyword options (retry_after, rate, fail_rate, ...). SIGINT and
    SIGTERM stop it cleanly; the state file is up to date after every request anyway.
    """
    cloud = LocalCloud(port=port, latency=latency, seed=seed, state_file=state_file, **options)
    cloud.start()
    for line in banner(cloud, state_file):
        announce(line)
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
