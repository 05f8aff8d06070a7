"""The `cloudforge` command line: deploy programs, run the local cloud, generate and inspect types.

One module per command group: `deploy` (up, plan, destroy), `local`, `generate` (codegen,
schemas pull), `resources` (get, list, import), `state`
(state list/show/rm/mv/export/import), `stage` (stages, outputs, graph, refresh), `unlock`; each
defines click commands. `main` runs the CLI; the console script's entry point is
`cloudforge.console.main`, which turns the collector off before importing this package.
May import the whole runtime (`cloudforge.*`, the engine through `App`). The generator
(`cloudforge.codegen`) only inside the `codegen` and `schemas pull` commands, so that up, plan,
destroy, get, list and import never load it (tests/integration/test_import_rules.py).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from cloudforge.cli import startup

startup.pause()  # importing click is most of what `cloudforge.cli` costs (see startup)
try:
    import click
    from cloudforge.cli.options import CommandGroup
finally:
    startup.resume()  # imported as a library (tests, tools): nothing stays paused

HELP = "Typed AWS resources from CloudFormation registry schemas, deployed through Cloud Control."

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
# The commands that run a program: the collector stays paused while it starts (cli.startup).
DEPLOYS = frozenset({"up", "plan", "destroy"})
GROUPS: dict[str, tuple[str, str]] = {
    "schemas": ("generate", "schemas_app"),
    "state": ("state", "state_app"),
}


def show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from importlib import metadata  # ~27 ms at import: only for --version, never for a run

    print(f"cloudforge {metadata.version('cloudforge')}")
    ctx.exit()


def _attribute(home: tuple[str, str]) -> Any:
    return getattr(importlib.import_module(f"cloudforge.cli.{home[0]}"), home[1])


def build(only: str | None = None) -> click.Group:
    """The click group with every command, or only `only` when it names one (a faster start)."""
    built = CommandGroup(
        name="cloudforge",
        help=HELP,
        no_args_is_help=True,
        # click's help and errors are plain text: no colours or boxes in CI logs and pipes.
        context_settings={"help_option_names": ["-h", "--help"], "show_default": True},
        params=[click.Option(["--version"], is_flag=True, expose_value=False, is_eager=True,
                             callback=show_version, help="Print the version and exit.")],
    )
    for name, home in COMMANDS.items():
        if only is None or only == name:
            built.add_command(_attribute(home), name)
    for name, home in GROUPS.items():
        if only is None or only == name:
            built.add_command(_attribute(home), name)
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
    startup.pause(freeze_start=True)
    try:
        group = build(only)
        if only not in DEPLOYS:  # those resume at their program's first resource event
            startup.resume()
        group.main()
    finally:
        startup.resume()


__all__ = ["COMMANDS", "build", "main"]
