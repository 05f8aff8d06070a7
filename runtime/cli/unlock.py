"""`cloudforge unlock APP`: break a stale lock of a stage (after a deploy was killed)."""

from __future__ import annotations

import getpass
import os
from typing import Annotated

import typer
from cloudforge.cli.failures import reported


def unlock(
    app: Annotated[str, typer.Argument(metavar="APP", help="The App's name (App(\"name\", ...)).")],
    stage: Annotated[
        str | None,
        typer.Option("--stage", "-s", help="Stage to unlock; default $CLOUDFORGE_STAGE or your user name."),
    ] = None,
    state: Annotated[
        str | None,
        typer.Option("--state", help="Where state lives: a folder or s3://bucket/prefix; default $CLOUDFORGE_STATE or .cloudforge/."),
    ] = None,
    region: Annotated[str | None, typer.Option("--region", help="AWS region of the state bucket.")] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="AWS profile (default: $AWS_PROFILE).")] = None,
) -> None:
    """Break the lock of APP's stage, left behind by a deploy that was killed.

    Only do this when no deploy of the stage is running: a deploy whose lock was broken fails on
    its next state write instead of overwriting the newer state.
    """
    with reported():
        from cloudforge.state.locking import break_lock

        chosen = stage or os.environ.get("CLOUDFORGE_STAGE") or getpass.getuser()
        print(break_lock(f"{app}/{chosen}", state, region=region, profile=profile))
