"""`cloudforge unlock APP`: break a stale lock of a stage (after a deploy was killed)."""

from __future__ import annotations

import getpass
import os

import click
from cloudforge.cli import options
from cloudforge.cli.failures import reported


@click.command("unlock")
@click.argument("app", metavar="APP", help="The App's name (App(\"name\", ...)).")
@click.option("--stage", "-s", help="Stage to unlock; default $CLOUDFORGE_STAGE or your user name.")
@options.state
@click.option("--region", help="AWS region of the state bucket.")
@options.profile
def unlock(app: str, stage: str | None, state: str | None, region: str | None, profile: str | None) -> None:
    """Break the lock of APP's stage, left behind by a deploy that was killed.

    Only do this when no deploy of the stage is running: a deploy whose lock was broken fails on
    its next state write instead of overwriting the newer state.
    """
    with reported():
        from cloudforge.state.locking import break_lock

        chosen = stage or os.environ.get("CLOUDFORGE_STAGE") or getpass.getuser()
        print(break_lock(f"{app}/{chosen}", state, region=region, profile=profile))
