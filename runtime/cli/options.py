"""click pieces shared by the commands: the group class, and the options of the commands that
work on a stage's state (state, stages, outputs, graph, refresh): which app, which stage, where
state lives, and the AWS settings of an S3 store."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from typing import Any, TypeVar

import click
from cloudforge.cli.failures import EXIT_INTERRUPTED

F = TypeVar("F", bound=Callable[..., Any])


class CommandGroup(click.Group):
    """A group that lists its commands in the order they were added (up, plan, destroy first,
    not alphabetically), and ends with 130 on Ctrl-C, as a shell reports SIGINT (click's own: "Aborted!" and 1)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None


app_name = click.option(
    "--app", "-a", "app", help="The App's name (App(\"name\")); default: the only app with this stage.",
)
stage = click.option("--stage", "-s", help="Stage; default $CLOUDFORGE_STAGE or your user name.")
state = click.option(
    "--state",
    help="Where state lives: a folder or s3://bucket/prefix; default $CLOUDFORGE_STATE or .cloudforge/.",
)
region = click.option("--region", help="AWS region (of the state bucket, and for refresh of the resources).")
profile = click.option("--profile", help="AWS profile (default: $AWS_PROFILE).")


def stage_options(command: F) -> F:
    """--app, --stage, --state, --region and --profile, in that order (the state commands' own)."""
    for option in (profile, region, state, stage, app_name):  # innermost first: shown top-down
        command = option(command)
    return command


def stage_name(stage: str | None) -> str:
    return stage or os.environ.get("CLOUDFORGE_STAGE") or getpass.getuser()
