"""The `cloudforge` command line: deploy programs, run the local cloud, generate and inspect types.

One module per command group: `deploy` (up, plan, destroy), `local`, `generate` (codegen,
schemas pull), `resources` (get, list, import), `state` (state list/show/rm/mv/export/import),
`stage` (stages, outputs, graph, refresh). `main` is the console script's entry point.
"""

from __future__ import annotations

import sys
from importlib import metadata
from typing import Annotated

import typer
from cloudforge.cli import deploy, generate, local, resources, stage, state, unlock

app = typer.Typer(
    name="cloudforge",
    help="Typed AWS resources from CloudFormation registry schemas, deployed through Cloud Control.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Boxes and colours only on a terminal: CI logs and pipes get click's plain help and errors.
    rich_markup_mode="rich" if sys.stdout.isatty() and sys.stderr.isatty() else None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def show_version(value: bool) -> None:
    if value:
        print(f"cloudforge {metadata.version('cloudforge')}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=show_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Typed AWS resources from CloudFormation registry schemas, deployed through Cloud Control."""


app.command("up")(deploy.up)
app.command("plan")(deploy.plan)
app.command("destroy")(deploy.destroy)
app.command("local")(local.local)
app.command("codegen")(generate.codegen)
app.add_typer(generate.schemas_app, name="schemas")
app.command("get")(resources.get)
app.command("list")(resources.list_)
app.command("import")(resources.import_)
app.command("unlock")(unlock.unlock)
app.add_typer(state.state_app, name="state")
app.command("stages")(stage.stages)
app.command("outputs")(stage.outputs)
app.command("graph")(stage.graph)
app.command("refresh")(stage.refresh)


def main() -> None:
    app()


__all__ = ["app", "main"]
