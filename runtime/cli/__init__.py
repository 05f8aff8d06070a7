"""The `cloudforge` command line: deploy programs, run the local cloud, generate and inspect types.

One module per command group: `deploy` (up, plan, destroy), `local`, `generate` (codegen,
schemas pull), `resources` (get, list, import), `state`
(state list/show/rm/mv/export/import), `stage` (stages, outputs, graph, refresh). `main` is the console script's entry point.
May import the whole runtime (`cloudforge.*`, the engine through `App`). The generator
(`cloudforge.codegen`) only inside the `codegen` and `schemas pull` commands, so that up, plan,
destroy, get, list and import never load it (tests/integration/test_import_rules.py).
"""

from __future__ import annotations

import importlib
import sys
from importlib import metadata
from typing import Annotated, Any

import typer

# Command -> (module, attribute). Only the module of the command being run is imported, so a
# no-op `cloudforge plan` loads neither boto3 (get/list/import) nor the generator (codegen).
COMMANDS: dict[str, tuple[str, str]] = {
    "up": ("deploy", "up"),
    "plan": ("deploy", "plan"),
    "destroy": ("deploy", "destroy"),
    "local": ("local", "local"),
    "codegen": ("generate", "codegen"),
    "get": ("resources", "get"),
    "list": ("resources", "list_"),
    "import": ("resources", "import_"),
    "unlock": ("unlock", "unlock"),
    "stages": ("stage", "stages"),
    "outputs": ("stage", "outputs"),
    "graph": ("stage", "graph"),
    "refresh": ("stage", "refresh"),
}
GROUPS: dict[str, tuple[str, str]] = {
    "schemas": ("generate", "schemas_app"),
    "state": ("state", "state_app"),
}


def show_version(value: bool) -> None:
    if value:
        print(f"cloudforge {metadata.version('cloudforge')}")
        raise typer.Exit()


def root(
    version: Annotated[
        bool, typer.Option("--version", callback=show_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Typed AWS resources from CloudFormation registry schemas, deployed through Cloud Control."""


def _attribute(home: tuple[str, str]) -> Any:
    return getattr(importlib.import_module(f"cloudforge.cli.{home[0]}"), home[1])


def build(only: str | None = None) -> typer.Typer:
    """The typer app with every command, or only `only` when it names one (a faster start)."""
    built = typer.Typer(
        name="cloudforge",
        help="Typed AWS resources from CloudFormation registry schemas, deployed through Cloud Control.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        # Boxes and colours only on a terminal: CI logs and pipes get click's plain help and errors.
        rich_markup_mode="rich" if sys.stdout.isatty() and sys.stderr.isatty() else None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    built.callback()(root)
    for name, home in COMMANDS.items():
        if only is None or only == name:
            built.command(name)(_attribute(home))
    for name, home in GROUPS.items():
        if only is None or only == name:
            built.add_typer(_attribute(home), name=name)
    return built


def __getattr__(name: str) -> Any:
    if name == "app":  # the whole app, for tests (CliRunner) and documentation tools
        return build()
    raise AttributeError(f"module 'cloudforge.cli' has no attribute {name!r}")


def main() -> None:
    argv = sys.argv[1:]
    first = next((a for a in argv if not a.startswith("-")), None)
    only = first if first in COMMANDS or first in GROUPS else None
    # Options before the command (--version, --help) need the whole app.
    if only is not None and argv and argv[0] != first:
        only = None
    build(only)()


__all__ = ["COMMANDS", "build", "main"]
