"""Team state in S3: `App(..., state="s3://bucket/prefix")`.

Per stage, one JSON document `<prefix>/<app>/<stage>/state.json` holds every record; each write
replaces it whole with a conditional PUT (`If-Match` on the ETag last seen, `If-None-Match: *`
for the first), so a writer that lost its lock can never overwrite a newer document: it gets
`StateConflictError` instead. With `deferred=True` (how `App` opens it) changes stay in memory
until the engine takes a `flusher` and runs it off the event loop: one PUT then covers every
change made since the last, instead of ~5 PUTs per resource queued on the loop. The lock is an object `<stage>/lock` created with
`If-None-Match: *` (the holder's pid, host and time inside) and deleted with `If-Match` on its own
ETag, so releasing never removes a lock someone else took after `cloudforge unlock` broke ours.
The key of write-only hashes and client tokens is a shared object `<prefix>/key`, created once,
conditionally, so that every machine of the team derives the same ClientTokens.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, fields
from typing import Any
from urllib.parse import urlparse

from cloudforge.errors import (
    ConfigurationError,
    StateConflictError,
    StateCorruptError,
    StateError,
    StateLockedError,
)
from cloudforge.state.durations import Figures, Key, from_document, to_document
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
from cloudforge.state.sqlite import ResourceRecord, StageState


def parse_url(url: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` -> ("bucket", "some/prefix")."""
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ConfigurationError(
            f"not an S3 state URL: {url!r} (expected s3://bucket/prefix)", setting="state"
        )
    return parsed.netloc, parsed.path.strip("/")


def _code(err: Exception) -> str:
    response = getattr(err, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _describe(info: dict[str, Any]) -> str:
    since = info.get("since")
    when = (
        time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(since))
        if isinstance(since, int | float)
        else "an unknown time"
    )
    return f"pid {info.get('pid', '?')} on {info.get('host', '?')} (since {when})"


_FIELDS = frozenset(f.name for f in fields(ResourceRecord))


def _record(stored: dict[str, Any]) -> ResourceRecord:
    # Fields a newer cloudforge added are ignored (a missing one takes its default), so two
    # versions of cloudforge in one team can read each other's state.
    return ResourceRecord(**{k: v for k, v in stored.items() if k in _FIELDS})


class S3State:
    """A `StateBackend` on one S3 bucket and prefix; optimistic concurrency by ETag."""

    def __init__(
        self,
        url: str,
        *,
        region: str | None = None,
        profile: str | None = None,
        endpoint_url: str | None = None,
        client: Any = None,
        deferred: bool = False,
    ) -> None:
        self.url = url
        self.bucket, self.prefix = parse_url(url)
        if client is None:
            import boto3

            session = boto3.session.Session(profile_name=profile, region_name=region)
            client = session.client("s3", endpoint_url=endpoint_url)
        self.s3 = client
        self._docs: dict[str, dict[str, Any]] = {}
        self._etags: dict[str, str | None] = {}  # None: the document does not exist yet
        self._locks: dict[str, str] = {}  # stage -> ETag of the lock object we created
        self._key: bytes | None = None
        self.deferred = deferred
        self._dirty: set[str] = set()  # stages with changes not yet written (deferred only)

    # -- keys ----------------------------------------------------------------------------------

    def _key_of(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p)

    def _state_key(self, stage: str) -> str:
        return self._key_of(stage, "state.json")

    def _lock_key(self, stage: str) -> str:
        return self._key_of(stage, "lock")

    def _get(self, key: str) -> tuple[bytes, str] | None:
        try:
            out = self.s3.get_object(Bucket=self.bucket, Key=key)
        except Exception as err:
            if _code(err) in ("NoSuchKey", "404", "NotFound"):
                return None
            raise self._error(err, f"reading s3://{self.bucket}/{key}") from err
        return out["Body"].read(), str(out["ETag"])

    def _error(self, err: Exception, doing: str, stage: str = "") -> StateError:
        code = _code(err) or type(err).__name__
        hint = " (does the bucket exist, and may you read and write it?)"
        return StateError(
            f"S3 state: {doing} failed: {code}: {err}{hint}",
            stage=stage,
            location=f"s3://{self.bucket}/{self.prefix}",
        )

    # -- locking -------------------------------------------------------------------------------

    def holder(self, stage: str) -> str | None:
        """Who holds the stage's lock, or None when nobody does."""
        found = self._get(self._lock_key(stage))
        if found is None:
            return None
        try:
            info = json.loads(found[0])
        except ValueError:
            return "an unreadable lock object"
        return _describe(info if isinstance(info, dict) else {})

    def lock(self, stage: str) -> None:
        if stage in self._locks:
            raise StateLockedError(stage=stage, holder=f"pid {os.getpid()} (this process)")
        info = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}
        try:
            out = self.s3.put_object(
                Bucket=self.bucket,
                Key=self._lock_key(stage),
                Body=json.dumps(info).encode(),
                IfNoneMatch="*",
                ContentType="application/json",
            )
        except Exception as err:
            if _code(err) in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise StateLockedError(
                    stage=stage, holder=self.holder(stage) or "another deploy (just released)"
                ) from None
            raise self._error(err, f"locking stage {stage!r}") from err
        self._locks[stage] = str(out["ETag"])

    def unlock(self, stage: str) -> None:
        try:
            self.flush(stage)  # while the lock is still ours
        finally:
            self._release(stage)  # even when that write was refused (StateConflictError)

    def _release(self, stage: str) -> None:
        etag = self._locks.pop(stage, None)
        if etag is None:
            return
        try:
            self.s3.delete_object(Bucket=self.bucket, Key=self._lock_key(stage), IfMatch=etag)
        except Exception as err:
            # Our lock was broken (and perhaps taken by someone else): theirs stays.
            if _code(err) not in ("PreconditionFailed", "NoSuchKey", "404"):
                raise self._error(err, f"unlocking stage {stage!r}") from err

    def break_lock(self, stage: str) -> str | None:
        """Delete the stage's lock whoever holds it; returns the holder it had, if any."""
        holder = self.holder(stage)
        if holder is not None:
            self.s3.delete_object(Bucket=self.bucket, Key=self._lock_key(stage))
        return holder

    # -- records -------------------------------------------------------------------------------

    def _document(self, stage: str) -> dict[str, Any]:
        if stage not in self._docs:
            self.load(stage)
        return self._docs[stage]

    def _corrupt(self, key: str, problem: str) -> StateCorruptError:
        return StateCorruptError(
            location=f"s3://{self.bucket}/{key}",
            problem=problem,
            recovery="To recover, restore an earlier version of the object (with bucket versioning on: "
            f"`aws s3api list-object-versions --bucket {self.bucket} --prefix {key}`, then copy "
            "the last good version back); it was left untouched",
        )

    def load(self, stage: str) -> StageState:
        key = self._state_key(stage)
        found = self._get(key)
        if found is None:
            doc: dict[str, Any] = {"version": FORMAT_VERSION, "records": {}, "generations": {}}
            etag: str | None = None
        else:
            if not found[0].strip():
                raise self._corrupt(key, "the state document is empty")
            try:
                doc = json.loads(found[0])
            except ValueError as err:
                raise self._corrupt(key, f"the state document is not valid JSON ({err})") from None
            if not isinstance(doc, dict) or "version" not in doc:
                raise self._corrupt(key, "the object is not a cloudforge state document")
            check_version(doc["version"], f"s3://{self.bucket}/{key}")
            etag = found[1]
        try:
            records = {lid: _record(fields) for lid, fields in doc.get("records", {}).items()}
            generations = {k: int(v) for k, v in doc.get("generations", {}).items()}
        except (AttributeError, TypeError, ValueError) as err:
            raise self._corrupt(key, f"the object is not a cloudforge state document ({err})") from None
        info = doc.get("info") or {}
        if not isinstance(info, dict):
            raise self._corrupt(
                key, "the object is not a cloudforge state document (its info is not an object)"
            )
        # Format 3 added "durations" (absent before: nothing learned yet).
        durations = from_document(doc.get("durations"))
        doc["version"] = FORMAT_VERSION  # an older format is written back as this one
        self._docs[stage], self._etags[stage] = doc, etag
        return StageState(
            records=records, generations=generations, info=info, durations=durations
        )

    def _save(self, stage: str) -> None:
        if self.deferred:
            self._dirty.add(stage)
        else:
            self._write(stage, self._snapshot(stage))

    def _snapshot(self, stage: str) -> bytes:
        return json.dumps(self._docs[stage], sort_keys=True).encode()

    def _write(self, stage: str, body: bytes) -> None:
        etag = self._etags.get(stage)
        condition = {"IfMatch": etag} if etag is not None else {"IfNoneMatch": "*"}
        try:
            out = self.s3.put_object(
                Bucket=self.bucket,
                Key=self._state_key(stage),
                Body=body,
                ContentType="application/json",
                **condition,
            )
        except Exception as err:
            if _code(err) in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise StateConflictError(
                    stage=stage, location=f"s3://{self.bucket}/{self._state_key(stage)}"
                ) from None
            raise self._error(err, f"writing the state of {stage!r}", stage) from err
        self._etags[stage] = str(out["ETag"])

    def flusher(self, stage: str) -> Callable[[], None] | None:
        if stage not in self._dirty:
            return None
        self._dirty.discard(stage)
        body = self._snapshot(stage)  # now, on the caller's thread: later changes are not in it

        def write() -> None:
            try:
                self._write(stage, body)
            except BaseException:
                self._dirty.add(stage)  # still to be written
                raise

        return write

    def flush(self, stage: str) -> None:
        """Write the stage's deferred changes now, if any."""
        job = self.flusher(stage)
        if job is not None:
            job()

    def put(self, stage: str, record: ResourceRecord) -> None:
        self._document(stage)["records"][record.logical_id] = asdict(record)
        self._save(stage)

    def remove(self, stage: str, logical_id: str) -> None:
        if self._document(stage)["records"].pop(logical_id, None) is not None:
            self._save(stage)

    def set_generation(self, stage: str, logical_id: str, generation: int) -> None:
        self._document(stage)["generations"][logical_id] = generation
        self._save(stage)

    def remove_generation(self, stage: str, logical_id: str) -> None:
        if self._document(stage)["generations"].pop(logical_id, None) is not None:
            self._save(stage)

    def put_info(self, stage: str, info: dict[str, Any]) -> None:
        document = self._document(stage)
        if info:
            document["info"] = info
        elif document.pop("info", None) is None:
            return
        self._save(stage)

    def put_durations(self, stage: str, durations: dict[Key, Figures]) -> None:
        document = self._document(stage)
        stored = to_document(durations)
        if document.get("durations", {}) == stored:
            return
        document["durations"] = stored
        self._save(stage)

    def stages(self) -> list[str]:
        suffix = "/state.json"
        start = self._key_of("") + "/" if self.prefix else ""
        found = []
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=start):
            for item in page.get("Contents", []):
                key = str(item["Key"])
                if key.endswith(suffix):
                    found.append(key[len(start) : -len(suffix)])
        return sorted(found)

    def secret(self, proposed: bytes | None = None) -> bytes:
        if self._key is None:
            self._key = key_from_environment() or self._stored_key(proposed)
        return self._key

    def _stored_key(self, proposed: bytes | None = None) -> bytes:
        key = self._key_of("key")
        where = f"s3://{self.bucket}/{key}"
        recovery = (
            f"Restore an earlier version of {where} (bucket versioning), or set ${KEY_ENV} to "
            f"the key; if it is lost for good, delete it and run once with {NEW_KEY_ENV}=1: "
            "every write-only value is then sent again."
        )
        found = self._get(key)
        if found is None:
            # One LIST, only when the key is missing: a new store may make one, a used one not.
            if self.stages() and not new_key_allowed():
                raise missing_key(where)
            try:
                self.s3.put_object(
                    Bucket=self.bucket, Key=key,
                    Body=(proposed.hex() if proposed else secrets.token_hex(32)).encode(),
                    IfNoneMatch="*",
                )
            except Exception as err:
                # Another machine created it first: use theirs.
                if _code(err) not in ("PreconditionFailed", "ConditionalRequestConflict"):
                    raise self._error(err, "creating the state key") from err
            found = self._get(key)
            if found is None:
                raise missing_key(where)
        return parse_key(found[0], where, recovery)

    def backup(self) -> None:
        """Nothing to copy: S3 keeps earlier versions itself (with bucket versioning on)."""

    def close(self) -> None:
        for stage in list(self._dirty):
            if stage not in self._locks:
                self.flush(stage)
        for stage in list(self._locks):
            self.unlock(stage)
