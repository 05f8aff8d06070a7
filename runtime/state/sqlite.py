"""Deployment state: what each logical id of a stage is in the cloud, and what is in flight.

`StateBackend` is the interface the engine uses (so a team backend, e.g. S3, can be added);
`SqliteState` is the embedded default: one SQLite database under `.cloudforge/` (mode 0600, WAL),
one transaction per write, plus a per-stage lock file held with `flock` (the OS releases it when
the holder dies, so a killed run never leaves a stale lock). A record never holds a write-only
value in plain text: declared properties are stored redacted (keyed hashes, see
`cloudforge.engine.patch.redact`) and read properties without write-only values.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import socket
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from cloudforge.errors import StateLockedError

Status = Literal["ready", "pending"]
DEFAULT_DIR = ".cloudforge"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    stage TEXT NOT NULL,
    logical_id TEXT NOT NULL,
    type_name TEXT NOT NULL,
    identifier TEXT,
    declared TEXT NOT NULL,
    properties TEXT NOT NULL,
    status TEXT NOT NULL,
    pending_operation TEXT,
    pending_token TEXT,
    pending_declared TEXT,
    client_token TEXT,
    created_seq INTEGER NOT NULL,
    updated_at REAL NOT NULL,
    declared_at REAL NOT NULL DEFAULT 0,
    ready_at REAL NOT NULL DEFAULT 0,
    declared_run REAL NOT NULL DEFAULT 0,
    done_at REAL NOT NULL DEFAULT 0,
    depends_on TEXT,
    PRIMARY KEY (stage, logical_id)
);
CREATE TABLE IF NOT EXISTS stage_info (
    stage TEXT NOT NULL PRIMARY KEY,
    info TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS generations (
    stage TEXT NOT NULL,
    logical_id TEXT NOT NULL,
    generation INTEGER NOT NULL,
    PRIMARY KEY (stage, logical_id)
);
"""


@dataclass(slots=True)
class ResourceRecord:
    logical_id: str
    type_name: str
    identifier: str | None  # None until a create has produced one
    declared: dict[str, Any]  # last applied declared properties, write-only values redacted
    properties: dict[str, Any]  # last read properties, write-only values removed
    status: Status = "ready"
    # The request in flight: journaled before the client token is sent and after the request
    # token comes back, so a crashed run resumes it instead of sending it again.
    pending_operation: str | None = None  # "create" | "update" | "delete"
    pending_token: str | None = None  # Cloud Control RequestToken
    pending_declared: dict[str, Any] | None = None  # what the pending request applies (redacted)
    client_token: str | None = None
    created_seq: int = 0  # creation order; orphans and destroy go in reverse
    # Wall-clock times that order deletions (see cloudforge.engine.ordering): when the program
    # declared (awaited) it for its last create, update or replacement (anything it refers to
    # was ready by then), and when it first became ready (anything declared later may refer to
    # it). `declared_run` names the run of that declaration (its start time) and `done_at` is
    # when that run's write finished: what the same run declared before then cannot refer to
    # it. 0 = unknown.
    declared_at: float = 0.0
    ready_at: float = 0.0
    declared_run: float = 0.0
    done_at: float = 0.0
    # The logical ids this resource uses (data flow: an attribute value of theirs occurs in its
    # declared properties; or an explicit depends_on), recorded when it was last declared. They
    # order deletions (dependents first); None = not recorded (older state): times order it.
    depends_on: list[str] | None = None

    def cleared(self) -> ResourceRecord:
        return replace(
            self,
            status="ready",
            pending_operation=None,
            pending_token=None,
            pending_declared=None,
            client_token=None,
        )


@dataclass(slots=True)
class StageState:
    records: dict[str, ResourceRecord]
    # Bumped whenever an operation on a logical id finishes; part of every ClientToken so a
    # later operation with the same inputs (create, destroy, create again) is a new request.
    generations: dict[str, int]
    # What the stage knows beyond its records: its outputs (`App.output`) and its last run
    # (when, phase, each resource's outcome), as one JSON object (see `cloudforge.state.info`).
    info: dict[str, Any] = field(default_factory=dict)


class StateBackend(Protocol):
    def lock(self, stage: str) -> None:
        """Become the only writer of `stage`, or raise StateLockedError naming the holder."""

    def unlock(self, stage: str) -> None: ...

    def load(self, stage: str) -> StageState: ...

    def put(self, stage: str, record: ResourceRecord) -> None: ...

    def remove(self, stage: str, logical_id: str) -> None: ...

    def set_generation(self, stage: str, logical_id: str, generation: int) -> None: ...

    def put_info(self, stage: str, info: dict[str, Any]) -> None:
        """Replace the stage's info (outputs, last run); an empty dict removes it."""

    def flusher(self, stage: str) -> Callable[[], None] | None:
        """The write that makes every change of `stage` so far durable, or None when each
        change was written as it was made. Taken on the event loop (it captures the changes),
        run in a worker thread; the engine runs one at a time, in order."""

    def stages(self) -> list[str]: ...

    def secret(self, proposed: bytes | None = None) -> bytes:
        """The key of write-only hashes and client tokens (stable for this state store).

        A store that has no key yet takes `proposed` (`state import` of an export made with
        its key), else a new random one; one that has a key keeps it."""

    def close(self) -> None: ...


def _private_file(path: Path) -> None:
    if path.exists():
        os.chmod(path, 0o600)


class SqliteState:
    """The embedded state store: `<state_dir>/state.db`, `<state_dir>/key`, lock files."""

    def __init__(self, state_dir: str | os.PathLike[str] | None = None) -> None:
        self.dir = Path(state_dir if state_dir is not None else DEFAULT_DIR).resolve()
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path = self.dir / "state.db"
        if not self.path.exists():
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        # The engine calls this from its event loop thread; the check stays off so that a
        # backend created in one thread can be used and closed from another.
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(resources)")}
        for column in ("declared_at", "ready_at", "declared_run", "done_at"):  # state written before these existed
            if column not in columns:
                self._db.execute(
                    f"ALTER TABLE resources ADD COLUMN {column} REAL NOT NULL DEFAULT 0"
                )
        if "depends_on" not in columns:
            self._db.execute("ALTER TABLE resources ADD COLUMN depends_on TEXT")
        for suffix in ("", "-wal", "-shm"):
            _private_file(Path(str(self.path) + suffix))
        self._locks: dict[str, int] = {}
        self._key: bytes | None = None

    # -- locking -------------------------------------------------------------------------------

    def _lock_path(self, stage: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in stage)
        return self.dir / f"{safe}.lock"

    def lock(self, stage: str) -> None:
        if stage in self._locks:
            raise StateLockedError(stage=stage, holder=self._describe(os.getpid(), "this process"))
        path = self._lock_path(stage)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self._holder(fd)
            os.close(fd)
            raise StateLockedError(stage=stage, holder=holder) from None
        info = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self._locks[stage] = fd

    @staticmethod
    def _describe(pid: Any, host: Any, since: float | None = None) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(since)) if since else "now"
        return f"pid {pid} on {host} (since {when})"

    def _holder(self, fd: int) -> str:
        try:
            info = json.loads(os.pread(fd, 4096, 0) or b"{}")
            return self._describe(info.get("pid", "?"), info.get("host", "?"), info.get("since"))
        except (OSError, ValueError):
            return "another process"

    def holder(self, stage: str) -> str | None:
        """Who holds the stage's lock, or None when nobody does."""
        if stage in self._locks:
            return self._describe(os.getpid(), socket.gethostname()) + " (this process)"
        path = self._lock_path(stage)
        if not path.exists():
            return None
        fd = os.open(path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return self._holder(fd)
        finally:
            os.close(fd)  # also releases the probe's own lock
        return None

    def break_lock(self, stage: str) -> str | None:
        """A lock file's flock dies with its holder, so there is never a stale lock to break:
        returns the live holder (which must finish or be stopped), or None."""
        return self.holder(stage)

    def unlock(self, stage: str) -> None:
        fd = self._locks.pop(stage, None)
        if fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)  # closing releases the flock

    # -- records -------------------------------------------------------------------------------

    def load(self, stage: str) -> StageState:
        rows = self._db.execute(
            "SELECT logical_id, type_name, identifier, declared, properties, status, "
            "pending_operation, pending_token, pending_declared, client_token, created_seq, "
            "declared_at, ready_at, declared_run, done_at, depends_on FROM resources "
            "WHERE stage = ?",
            (stage,),
        ).fetchall()
        records = {}
        for row in rows:
            record = ResourceRecord(
                logical_id=row[0],
                type_name=row[1],
                identifier=row[2],
                declared=json.loads(row[3]),
                properties=json.loads(row[4]),
                status=row[5],
                pending_operation=row[6],
                pending_token=row[7],
                pending_declared=json.loads(row[8]) if row[8] is not None else None,
                client_token=row[9],
                created_seq=row[10],
                declared_at=row[11],
                ready_at=row[12],
                declared_run=row[13],
                done_at=row[14],
                depends_on=json.loads(row[15]) if row[15] is not None else None,
            )
            records[record.logical_id] = record
        generations = dict(
            self._db.execute(
                "SELECT logical_id, generation FROM generations WHERE stage = ?", (stage,)
            ).fetchall()
        )
        info = self._db.execute("SELECT info FROM stage_info WHERE stage = ?", (stage,)).fetchone()
        return StageState(
            records=records, generations=generations, info=json.loads(info[0]) if info else {}
        )

    def put(self, stage: str, record: ResourceRecord) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO resources (stage, logical_id, type_name, identifier, "
            "declared, properties, status, pending_operation, pending_token, pending_declared, "
            "client_token, created_seq, updated_at, declared_at, ready_at, declared_run, done_at, "
            "depends_on) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                stage,
                record.logical_id,
                record.type_name,
                record.identifier,
                json.dumps(record.declared, sort_keys=True),
                json.dumps(record.properties, sort_keys=True),
                record.status,
                record.pending_operation,
                record.pending_token,
                None
                if record.pending_declared is None
                else json.dumps(record.pending_declared, sort_keys=True),
                record.client_token,
                record.created_seq,
                time.time(),
                record.declared_at,
                record.ready_at,
                record.declared_run,
                record.done_at,
                None if record.depends_on is None else json.dumps(record.depends_on),
            ),
        )

    def remove(self, stage: str, logical_id: str) -> None:
        self._db.execute(
            "DELETE FROM resources WHERE stage = ? AND logical_id = ?", (stage, logical_id)
        )

    def set_generation(self, stage: str, logical_id: str, generation: int) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO generations VALUES (?,?,?)", (stage, logical_id, generation)
        )

    def put_info(self, stage: str, info: dict[str, Any]) -> None:
        if info:
            self._db.execute(
                "INSERT OR REPLACE INTO stage_info VALUES (?,?)",
                (stage, json.dumps(info, sort_keys=True)),
            )
        else:
            self._db.execute("DELETE FROM stage_info WHERE stage = ?", (stage,))

    def flusher(self, stage: str) -> Callable[[], None] | None:
        return None  # every put is its own transaction, on local disk

    def stages(self) -> list[str]:
        return [
            r[0]
            for r in self._db.execute(
                "SELECT stage FROM resources UNION SELECT stage FROM stage_info ORDER BY 1"
            )
        ]

    def secret(self, proposed: bytes | None = None) -> bytes:
        # Kept apart from the database so that a copy of state.db alone reveals nothing.
        if self._key is None:
            path = self.dir / "key"
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                self._key = bytes.fromhex(path.read_text().strip())
            else:
                key = proposed or secrets.token_bytes(32)
                with os.fdopen(fd, "w") as f:
                    f.write(key.hex())
                self._key = key
        return self._key

    def close(self) -> None:
        for stage in list(self._locks):
            self.unlock(stage)
        self._db.close()
