"""`cloudforge state list | show | rm | mv | export | import`: look at and repair a stage's state.

None of them calls Cloud Control: they read and write the state store only (SQLite or S3),
under the stage's lock, so they never race a deploy. `export` / `import` move a stage between
stores (the format: `cloudforge.state.document`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from cloudforge.cli import options
from cloudforge.cli.failures import reported
from cloudforge.cli.options import CommandGroup, stage_name

state_app = CommandGroup(
    "state", help="Look at and repair a stage's state without touching the cloud.", no_args_is_help=True,
)
logical_id_argument = click.argument(
    "logical_id", metavar="ID", help="The resource's logical id (its first argument).",
)


def scope_for(app: str | None, stage: str | None, state: str | None, region: str | None,
           profile: str | None) -> str:
    from cloudforge.state.stage import open_location, resolve_app, scope_of

    chosen = stage_name(stage)
    if app:
        return scope_of(app, chosen)
    backend = open_location(state, region=region, profile=profile)
    try:
        return scope_of(resolve_app(backend, app, chosen), chosen)
    finally:
        backend.close()


def _masked(value: Any) -> Any:
    from cloudforge.engine.patch import WRITE_ONLY_MASK
    from cloudforge.state.document import REDACTED_PREFIXES

    if isinstance(value, str) and value.startswith(REDACTED_PREFIXES):
        return WRITE_ONLY_MASK
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


@state_app.command("list")
@options.stage_options
def list_(app: str | None, stage: str | None, state: str | None, region: str | None, profile: str | None) -> None:
    """List the stage's resources: logical id, type, identifier (one a line)."""
    with reported():
        from cloudforge.state.stage import opened

        scope = scope_for(app, stage, state, region, profile)
        with opened(scope, state, region=region, profile=profile) as (_, loaded):
            records = sorted(loaded.records.values(), key=lambda r: r.logical_id)
        width = max((len(r.logical_id) for r in records), default=0)
        type_width = max((len(r.type_name) for r in records), default=0)
        for r in records:
            pending = f"  (a {r.pending_operation} in flight)" if r.status == "pending" else ""
            line = f"{r.logical_id:{width}}  {r.type_name:{type_width}}  {r.identifier or '-'}{pending}"
            print(line.rstrip())


@state_app.command("show")
@logical_id_argument
@options.stage_options
def show(logical_id: str, app: str | None, stage: str | None, state: str | None,
         region: str | None, profile: str | None) -> None:
    """Print one resource's record as JSON (write-only values masked)."""
    with reported():
        from dataclasses import asdict

        from cloudforge.state.stage import opened, record_of

        scope = scope_for(app, stage, state, region, profile)
        with opened(scope, state, region=region, profile=profile) as (_, loaded):
            record = record_of(loaded, logical_id)
        print(json.dumps(_masked(asdict(record)), indent=2, sort_keys=True))


@state_app.command("rm")
@logical_id_argument
@options.stage_options
def rm(logical_id: str, app: str | None, stage: str | None, state: str | None,
       region: str | None, profile: str | None) -> None:
    """Forget a resource: it leaves state but stays in the cloud, untouched."""
    with reported():
        from cloudforge.state.stage import forget, opened

        scope = scope_for(app, stage, state, region, profile)
        with opened(scope, state, region=region, profile=profile) as (backend, loaded):
            record = forget(backend, scope, loaded, logical_id)
        print(
            f"Removed {logical_id} ({record.type_name} {record.identifier or 'never created'}) "
            f"from the state of {scope}. It still exists in the cloud: delete it there, or "
            "declare it with adopt=True to manage it again."
        )


@state_app.command("mv")
@click.argument("old", metavar="OLD", help="The logical id in state.")
@click.argument("new", metavar="NEW", help="The logical id the program now uses.")
@options.stage_options
def mv(old: str, new: str, app: str | None, stage: str | None, state: str | None, region: str | None,
       profile: str | None) -> None:
    """Rename a resource's logical id, so that renaming it in the program replaces nothing."""
    with reported():
        from cloudforge.state.stage import opened, rename

        scope = scope_for(app, stage, state, region, profile)
        with opened(scope, state, region=region, profile=profile) as (backend, loaded):
            record = rename(backend, scope, loaded, old, new)
        print(f"Moved {old} to {new} ({record.type_name} {record.identifier}) in {scope}.")


@state_app.command("export")
@options.stage_options
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write to this file instead of standard output.")
@click.option(
    "--with-key", is_flag=True,
    help="Include the state store's key, so write-only values still match after import into a fresh store (keep the file as secret as the key).",
)
def export(app: str | None, stage: str | None, state: str | None, region: str | None, profile: str | None,
           output: Path | None, with_key: bool) -> None:
    """Print the stage's state as a versioned JSON document (see the README)."""
    with reported():
        from cloudforge.state.document import dumps
        from cloudforge.state.stage import export as export_stage
        from cloudforge.state.stage import opened

        scope = scope_for(app, stage, state, region, profile)
        with opened(scope, state, region=region, profile=profile) as (backend, loaded):
            text = dumps(export_stage(backend, scope, loaded, with_key=with_key))
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text)


@state_app.command("import")
@click.argument("source", metavar="FILE", help="An export (`-` reads standard input).")
@click.option("--app", "-a", help="Import as this app (default: the file's).")
@click.option("--stage", "-s", help="Import as this stage (default: the file's).")
@options.state
@options.region
@options.profile
@click.option("--force", is_flag=True, help="Replace the stage's state when it already has resources.")
def import_(source: str, app: str | None, stage: str | None, state: str | None, region: str | None,
            profile: str | None, force: bool) -> None:
    """Make a stage's state the one in FILE (made by `cloudforge state export`)."""
    with reported():
        from cloudforge.state.document import parse_document
        from cloudforge.state.stage import import_into, opened, scope_of

        name = "standard input" if source == "-" else source
        text = sys.stdin.read() if source == "-" else Path(source).read_text()
        doc = parse_document(text, name)
        scope = scope_of(app or doc["app"], stage or doc["stage"])
        with opened(scope, state, region=region, profile=profile) as (backend, loaded):
            done = import_into(backend, scope, loaded, doc, force=force)
        replaced = f", replacing {done.replaced}" if done.replaced else ""
        print(f"Imported {done.resources} resources into {scope}{replaced}.")
        if done.rehashed:
            print(
                f"Note: {done.rehashed} write-only values were hashed under another state "
                "store's key, so the next `cloudforge up` cannot tell whether they changed and "
                "sends them again (one update per resource that has them). Export with "
                "--with-key into a fresh store to keep them."
            )
