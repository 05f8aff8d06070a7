"""Breaking a stage's lock on purpose (`cloudforge unlock`), whichever backend holds it.

An S3 lock is an object that outlives a killed holder, so it can go stale: breaking it deletes
it (the holder, if alive, then fails its next state write with StateConflictError instead of
overwriting anyone). A SQLite lock is an flock the OS drops when its holder exits, so it is never
stale: a live holder is named, and only stopping it releases the lock.
"""

from __future__ import annotations

import os

from cloudforge.errors import StateError, StateLockedError
from cloudforge.state.backends import open_backend
from cloudforge.state.sqlite import SqliteState


def break_lock(
    scope: str,
    state: str | os.PathLike[str] | None = None,
    *,
    region: str | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
) -> str:
    """Release the lock of `scope` ("app/stage"); returns what was done, as a sentence."""
    backend = open_backend(state, region=region, profile=profile, endpoint_url=endpoint_url)
    try:
        if isinstance(backend, SqliteState):
            holder = backend.holder(scope)
            if holder is not None:
                raise StateLockedError(
                    f"stage {scope!r} is locked by {holder}, a running process: this lock is "
                    "released by the OS when that process ends, so stop it rather than break "
                    "the lock",
                    stage=scope,
                    holder=holder,
                )
            return f"stage {scope!r} was not locked"
        breaker = getattr(backend, "break_lock", None)
        if breaker is None:
            raise StateError(
                f"the state backend {type(backend).__name__} has no break_lock", stage=scope
            )
        broken = breaker(scope)
        if broken is None:
            return f"stage {scope!r} was not locked"
        return f"broke the lock of stage {scope!r} held by {broken}"
    finally:
        backend.close()
