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
import socket
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from cloudforge.errors import StateCorruptError, StateLockedError
from cloudforge.names import file_name
from cloudforge.state.durations import Figures, Key, figures
from cloudforge.state.integrity import (
    FORMAT_VERSION,
    KEY_ENV,
    NEW_KEY_ENV,
    check_version,
    key_from_environment,
    missing_key,
    new_key_allowed,
    parse_key,
)

Status = Literal["ready", "pending"]
DEFAULT_DIR = ".cloudforge"
BACKUP_NAME = "state.db.backup"

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
    account TEXT NOT NULL DEFAULT '',
    region TEXT NOT NULL DEFAULT '',
    endpoint TEXT NOT NULL DEFAULT '',
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
CREATE TABLE IF NOT EXISTS durations (
    stage TEXT NOT NULL,
    type_name TEXT NOT NULL,
    operation TEXT NOT NULL,
    recent TEXT NOT NULL,
    PRIMARY KEY (stage, type_name, operation)
);
"""


@dataclass(slots=True)
class ResourceRecord:
    """One resource a stage owns: its identity, what was declared and read, and any request in flight."""

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
    # Where the resource lives (cloudforge.cloud.target): a run acting elsewhere must not take
    # this record as its own. "" = unknown (a record from before targets were kept).
    account: str = ""
    region: str = ""
    endpoint: str = ""
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
    """Everything a backend stores for one (app, stage): records, generations, info, durations."""

    records: dict[str, ResourceRecord]
    # Bumped whenever an operation on a logical id finishes; part of every ClientToken so a
    # later operation with the same inputs (create, destroy, create again) is a new request.
    generations: dict[str, int]
    # What the stage knows beyond its records: its outputs (`App.output`) and its last run
    # (when, phase, each resource's outcome), as one JSON object (see `cloudforge.state.info`).
    info: dict[str, Any] = field(default_factory=dict)
    # Seconds requests of each (type name, operation) took in the stage's last runs, one figure
    # per run, oldest first: where the next run places first status reads (format 3).
    durations: dict[Key, Figures] = field(default_factory=dict)


class StateBackend(Protocol):
    def lock(self, stage: str) -> None:
        """Become the only writer of `stage`, or raise StateLockedError naming the holder."""

    def unlock(self, stage: str) -> None: ...

    def load(self, stage: str) -> StageState: ...

    def put(self, stage: str, record: ResourceRecord) -> None: ...

    def remove(self, stage: str, logical_id: str) -> None: ...

    def set_generation(self, stage: str, logical_id: str, generation: int) -> None: ...

    def remove_generation(self, stage: str, logical_id: str) -> None: ...

    def put_info(self, stage: str, info: dict[str, Any]) -> None:
        """Replace the stage's info (outputs, last run); an empty dict removes it."""

    def put_durations(self, stage: str, durations: dict[Key, Figures]) -> None:
        """Replace what the stage's requests took per (type, operation); once per run."""

    def flusher(self, stage: str) -> Callable[[], None] | None:
        """The write that makes every change of `stage` so far durable, or None when each
        change was written as it was made. Taken on the event loop (it captures the changes),
        run in a worker thread; the engine runs one at a time, in order."""

    def stages(self) -> list[str]: ...

    def secret(self, proposed: bytes | None = None) -> bytes:
        """The key of write-only hashes and client tokens (stable for this state store).

        Never made anew while records depend on it: a missing one is a StateCorruptError. A
        store that has no key yet takes `proposed` (`state import` of an export made with its
        key), else a new random one; one that has a key keeps it."""

    def backup(self) -> None:
        """After a successful run: keep what recovering from a damaged state needs (a copy of
        the database; nothing where the store keeps versions itself, as S3 does)."""

    def close(self) -> None: ...


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None  # a cache entry that cannot be read is dropped (cloudforge.state.durations)


def _private_file(path: Path) -> None:
    if path.exists():
        os.chmod(path, 0o600)


def _write_new(path: Path, content: bytes) -> None:
    """Create `path` with `content` whole or not at all (never a 0-byte file after a crash),
    and never over an existing one (a racing writer's stays)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink()


def _create(path: Path) -> None:
    """A new, empty state database, created whole under a temporary name and linked into
    place: a crash never leaves a 0-byte state.db that a later run could take as empty."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.new")
    os.close(os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600))
    try:
        db = sqlite3.connect(tmp, isolation_level=None)
        try:
            db.executescript(_SCHEMA)
            db.execute(f"PRAGMA user_version={FORMAT_VERSION}")
        finally:
            db.close()
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink()


def _migrate(db: sqlite3.Connection) -> None:
    """Bring an older state (unversioned, 2) up to FORMAT_VERSION: the schema's new tables
    (format 3: durations) come from _SCHEMA, new columns are added."""
    db.executescript(_SCHEMA)
    columns = {row[1] for row in db.execute("PRAGMA table_info(resources)")}
    for column in ("declared_at", "ready_at", "declared_run", "done_at"):
        if column not in columns:
            db.execute(f"ALTER TABLE resources ADD COLUMN {column} REAL NOT NULL DEFAULT 0")
    for column in ("account", "region", "endpoint"):
        if column not in columns:
            db.execute(f"ALTER TABLE resources ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")
    if "depends_on" not in columns:  # format 2: dependency edges (and the stage_info table)
        db.execute("ALTER TABLE resources ADD COLUMN depends_on TEXT")
    db.execute(f"PRAGMA user_version={FORMAT_VERSION}")


class SqliteState:
    """The embedded state store: `<state_dir>/state.db`, `<state_dir>/key`, lock files."""

    def __init__(self, state_dir: str | os.PathLike[str] | None = None) -> None:
        self.dir = Path(state_dir if state_dir is not None else DEFAULT_DIR).resolve()
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path = self.dir / "state.db"
        self.backup_path = self.dir / BACKUP_NAME
        self.key_path = self.dir / "key"
        if not self.path.exists():
            _create(self.path)
        self._db = self._open()
        for suffix in ("", "-wal", "-shm"):
            _private_file(Path(str(self.path) + suffix))
        self._locks: dict[str, int] = {}
        self._key: bytes | None = None

    def _corrupt(self, problem: str) -> StateCorruptError:
        if self.backup_path.exists():
            recovery = (
                f"cloudforge keeps a copy from the last successful run: restore it with "
                f"`cp {self.backup_path} {self.path}`, then run `cloudforge plan --refresh` to "
                "see what changed since"
            )
        else:
            recovery = "There is no backup of it (none is made before a run succeeds)"
        return StateCorruptError(
            location=str(self.path),
            problem=problem,
            recovery=recovery + f"; or move {self.path} away to start from empty state "
            "(what was deployed is then unknown to cloudforge). It was left untouched.",
        )

    def _open(self) -> sqlite3.Connection:
        """The database, checked: readable, a cloudforge state, in a format this version knows."""
        if self.path.stat().st_size == 0:
            raise self._corrupt("the file is empty (0 bytes)")
        # The engine calls this from its event loop thread; the check stays off so that a
        # backend created in one thread can be used and closed from another.
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            check_version(version, str(self.path))
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
            if "resources" not in tables:
                raise self._corrupt("the file is an SQLite database but not a cloudforge state")
            problems = [r[0] for r in db.execute("PRAGMA quick_check") if r[0] != "ok"]
            if problems:
                raise self._corrupt(f"the database is damaged ({problems[0]})")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA busy_timeout=5000")
            if version < FORMAT_VERSION:  # a state from before the format was versioned
                _migrate(db)
        except sqlite3.Error as err:
            db.close()
            raise self._corrupt(f"the database cannot be read ({err})") from None
        except BaseException:
            db.close()
            raise
        return db

    def _run(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, args)
        except sqlite3.OperationalError:
            raise  # locked, disk full, I/O: not a damaged state
        except sqlite3.DatabaseError as err:
            raise self._corrupt(f"the database cannot be read ({err})") from None

    # -- locking -------------------------------------------------------------------------------

    def _lock_path(self, stage: str) -> Path:
        # Injective: distinct stages never share a lock file (cloudforge.names.file_name).
        return self.dir / f"{file_name(stage)}.lock"

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
        rows = self._run(
            "SELECT logical_id, type_name, identifier, declared, properties, status, "
            "pending_operation, pending_token, pending_declared, client_token, created_seq, "
            "declared_at, ready_at, declared_run, done_at, account, region, endpoint, "
            "depends_on FROM resources WHERE stage = ?",
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
                account=row[15],
                region=row[16],
                endpoint=row[17],
                depends_on=json.loads(row[18]) if row[18] is not None else None,
            )
            records[record.logical_id] = record
        generations = dict(
            self._run(
                "SELECT logical_id, generation FROM generations WHERE stage = ?", (stage,)
            ).fetchall()
        )
        info = self._run("SELECT info FROM stage_info WHERE stage = ?", (stage,)).fetchone()
        durations = {
            (type_name, operation): found
            for type_name, operation, recent in self._run(
                "SELECT type_name, operation, recent FROM durations WHERE stage = ?", (stage,)
            ).fetchall()
            if (found := figures(_json_or_none(recent)))
        }
        return StageState(
            records=records,
            generations=generations,
            info=json.loads(info[0]) if info else {},
            durations=durations,
        )

    def put(self, stage: str, record: ResourceRecord) -> None:
        self._run(
            "INSERT OR REPLACE INTO resources (stage, logical_id, type_name, identifier, "
            "declared, properties, status, pending_operation, pending_token, pending_declared, "
            "client_token, created_seq, updated_at, declared_at, ready_at, declared_run, done_at, "
            "account, region, endpoint, depends_on) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
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
                record.account,
                record.region,
                record.endpoint,
                None if record.depends_on is None else json.dumps(record.depends_on),
            ),
        )

    def remove(self, stage: str, logical_id: str) -> None:
        self._run(
            "DELETE FROM resources WHERE stage = ? AND logical_id = ?", (stage, logical_id)
        )

    def set_generation(self, stage: str, logical_id: str, generation: int) -> None:
        self._run(
            "INSERT OR REPLACE INTO generations VALUES (?,?,?)", (stage, logical_id, generation)
        )

    def remove_generation(self, stage: str, logical_id: str) -> None:
        self._run(
            "DELETE FROM generations WHERE stage = ? AND logical_id = ?", (stage, logical_id)
        )

    def put_info(self, stage: str, info: dict[str, Any]) -> None:
        if info:
            self._run(
                "INSERT OR REPLACE INTO stage_info VALUES (?,?)",
                (stage, json.dumps(info, sort_keys=True)),
            )
        else:
            self._run("DELETE FROM stage_info WHERE stage = ?", (stage,))

    def put_durations(self, stage: str, durations: dict[Key, Figures]) -> None:
        rows = [(stage, t, op, json.dumps(s)) for (t, op), s in sorted(durations.items()) if s]
        self._run("BEGIN")
        try:
            self._run("DELETE FROM durations WHERE stage = ?", (stage,))
            self._db.executemany("INSERT INTO durations VALUES (?,?,?,?)", rows)
        except BaseException:
            self._run("ROLLBACK")
            raise
        self._run("COMMIT")

    def flusher(self, stage: str) -> Callable[[], None] | None:
        return None  # every put is its own transaction, on local disk

    def stages(self) -> list[str]:
        return [
            r[0]
            for r in self._run(
                "SELECT stage FROM resources UNION SELECT stage FROM stage_info ORDER BY 1"
            )
        ]

    def secret(self, proposed: bytes | None = None) -> bytes:
        # Kept apart from the database so that a copy of state.db alone reveals nothing; or
        # outside the state altogether, in $CLOUDFORGE_STATE_KEY.
        if self._key is None:
            self._key = key_from_environment() or self._file_key(proposed)
        return self._key

    def _file_key(self, proposed: bytes | None = None) -> bytes:
        path = self.key_path
        recovery = (
            f"Restore {path} from your backup of it (or set ${KEY_ENV} to the key); if it is "
            f"lost for good, remove it and run once with {NEW_KEY_ENV}=1: every write-only value "
            "is then sent again."
        )
        try:
            return parse_key(path.read_bytes(), str(path), recovery)
        except FileNotFoundError:
            pass
        except OSError as err:
            raise StateCorruptError(
                location=str(path), problem=f"the state key cannot be read ({err})",
                recovery=recovery,
            ) from None
        has_records = self._run("SELECT 1 FROM resources LIMIT 1").fetchone() is not None
        if has_records and not new_key_allowed():
            raise missing_key(str(path))
        import secrets  # a new key only: a run on an existing state loads none (cold start)

        key = proposed or secrets.token_bytes(32)
        _write_new(path, key.hex().encode())
        return parse_key(path.read_bytes(), str(path), recovery)  # ours, or a racing writer's

    def backup(self) -> None:
        """Keep a copy of the state as this (successful) run leaves it, for `StateCorruptError`
        to offer: SQLite's online backup, written beside it and renamed into place."""
        tmp = self.backup_path.with_name(f"{BACKUP_NAME}.{os.getpid()}.tmp")
        os.close(os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600))
        try:
            copy = sqlite3.connect(tmp)
            try:
                self._db.backup(copy)
            finally:
                copy.close()
            os.replace(tmp, self.backup_path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    def close(self) -> None:
        for stage in list(self._locks):
            self.unlock(stage)
        self._db.close()
