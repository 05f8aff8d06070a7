"""Options shared by the commands that work on a stage's state (state, stages, outputs, graph,
refresh): which app, which stage, where state lives, and the AWS settings of an S3 store."""

from __future__ import annotations

import getpass
import os
from typing import Annotated

import typer

AppName = Annotated[
    str | None,
    typer.Option("--app", "-a", help="The App's name (App(\"name\")); default: the only app with this stage."),
]
Stage = Annotated[
    str | None,
    typer.Option("--stage", "-s", help="Stage; default $CLOUDFORGE_STAGE or your user name."),
]
State = Annotated[
    str | None,
    typer.Option("--state", help="Where state lives: a folder or s3://bucket/prefix; default $CLOUDFORGE_STATE or .cloudforge/."),
]
Region = Annotated[str | None, typer.Option("--region", help="AWS region (of the state bucket, and for refresh of the resources).")]
Profile = Annotated[str | None, typer.Option("--profile", help="AWS profile (default: $AWS_PROFILE).")]


def stage_name(stage: str | None) -> str:
    return stage or os.environ.get("CLOUDFORGE_STAGE") or getpass.getuser()
