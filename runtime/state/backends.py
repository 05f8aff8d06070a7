"""Choosing a state backend from a location: a folder (SQLite) or `s3://bucket/prefix` (S3).

`App(state=...)`, `$CLOUDFORGE_STATE` and `cloudforge unlock --state` all go through
`open_backend`, so a program and the CLI always agree on where a stage's state lives.
"""

from __future__ import annotations

import os
from pathlib import Path

from cloudforge.state.sqlite import SqliteState, StateBackend

STATE_ENV = "CLOUDFORGE_STATE"


def open_backend(
    state: str | os.PathLike[str] | None,
    *,
    region: str | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    deferred: bool = False,
) -> StateBackend:
    """The backend for `state` (default: $CLOUDFORGE_STATE, else `.cloudforge/`).

    `deferred`: an S3 backend keeps changes in memory until flushed (see `StateBackend.flusher`).
    """
    location = os.fspath(state) if state is not None else os.environ.get(STATE_ENV) or None
    if location is not None and location.startswith("s3://"):
        from cloudforge.state.s3 import S3State

        return S3State(
            location,
            region=region,
            profile=profile,
            endpoint_url=endpoint_url,
            deferred=deferred,
        )
    if location is not None and location.startswith("file://"):
        location = location.removeprefix("file://")
    return SqliteState(Path(location) if location else None)
