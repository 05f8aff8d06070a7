"""`cloudforge stages | outputs | graph | refresh`: what a state store holds, a stage's outputs
and dependency graph, and bringing its state up to date with the cloud.

Only `refresh` calls Cloud Control (reads only); the others read the state store.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click
from cloudforge.cli import options
from cloudforge.cli.failures import reported
from cloudforge.cli.state import scope_for


def _when(last: dict[str, Any]) -> str:
    finished = last.get("finished")
    if not isinstance(finished, int | float):
        return "-"
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(finished))
    return f"{stamp}  {last.get('phase', '?')} {last.get('result', '?')}"


@click.command("stages")
@options.state
@options.region
@options.profile
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def stages(state: str | None, region: str | None, profile: str | None, as_json: bool) -> None:
    """List the app/stage pairs in a state store, with resource counts and last run."""
    with reported():
        from cloudforge.state.stage import summaries

        found = summaries(state, region=region, profile=profile)
    if as_json:
        print(json.dumps([
            {"app": s.app, "stage": s.stage, "resources": s.resources, "last_run": s.last_run}
            for s in found
        ], indent=2, sort_keys=True))
        return
    rows = [("APP", "STAGE", "RESOURCES", "LAST RUN")] + [
        (s.app, s.stage, str(s.resources), _when(s.last_run)) for s in found
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print(f"{row[0]:{widths[0]}}  {row[1]:{widths[1]}}  {row[2]:>{widths[2]}}  {row[3]}".rstrip())


@click.command("outputs")
@options.stage_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def outputs(app: str | None, stage: str | None, state: str | None, region: str | None, profile: str | None,
            as_json: bool) -> None:
    """Print the outputs a stage's program stored with app.output(name, value)."""
    with reported():
        from cloudforge.outputs import StageOutputs
        from cloudforge.state.stage import split_scope

        app_name, chosen = split_scope(scope_for(app, stage, state, region, profile))
        values = dict(StageOutputs(app_name, stage=chosen, state=state, region=region, profile=profile))
    if as_json:
        print(json.dumps(values, indent=2, sort_keys=True))
        return
    width = max((len(k) for k in values), default=0)
    for name in sorted(values):
        print(f"{name:{width}} = {json.dumps(values[name], sort_keys=True)}")


@click.command("graph")
@options.stage_options
@click.option(
    "--output", "-o", type=click.Path(path_type=Path),
    help="Draw an image (.svg, .png) with Graphviz's dot instead of printing DOT.",
)
def graph(app: str | None, stage: str | None, state: str | None, region: str | None, profile: str | None,
          output: Path | None) -> None:
    """Print the stage's dependency graph as Graphviz DOT (or draw it with -o FILE).

    An edge a -> b: b uses a (b is deleted before a). Nodes are coloured by their last outcome.
    """
    with reported():
        from cloudforge.state.graph import dot_source, render
        from cloudforge.state.stage import opened

        scope = scope_for(app, stage, state, region, profile)
        with opened(scope, state, region=region, profile=profile) as (_, loaded):
            source = dot_source(scope, loaded)
        if output is None:
            print(source, end="")
        else:
            render(source, output)
            print(f"Wrote {output}")


@click.command("refresh")
@options.stage_options
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when drift was found.")
def refresh(app: str | None, stage: str | None, state: str | None, region: str | None, profile: str | None,
            detailed_exitcode: bool) -> None:
    """Read every resource of the stage live, record what changed, print the drift.

    No write call is made: the next `cloudforge up` repairs the drift (creates what was deleted
    out of band, patches back what was changed).
    """
    import asyncio

    with reported():
        drifts = asyncio.run(_refresh(scope_for(app, stage, state, region, profile), state, region, profile))
    for d in drifts:
        if d.kind == "unchanged":
            continue
        if d.kind == "deleted":
            print(f"{d.logical_id} ({d.type_name}): deleted out of band; removed from state")
        elif d.kind == "pending":
            print(f"{d.logical_id} ({d.type_name}): a request is in flight; not read (run up)")
        else:
            print(f"{d.logical_id} ({d.type_name}): changed out of band")
            for change in d.changes:
                before = "(absent)" if change.before is None else json.dumps(change.before, sort_keys=True)
                after = "(absent)" if change.after is None else json.dumps(change.after, sort_keys=True)
                print(f"  ~ {change.path}: {before} -> {after}")
    drifted = sum(d.kind in ("deleted", "changed") for d in drifts)
    print(f"Refresh complete: {len(drifts)} read, {drifted} drifted." if drifted
          else f"Refresh complete: {len(drifts)} read, no drift.")
    if detailed_exitcode and drifted:
        raise click.exceptions.Exit(2)


async def _refresh(scope: str, state: str | None, region: str | None, profile: str | None) -> list[Any]:
    from cloudforge.cloud.cloudcontrol import CloudControl
    from cloudforge.engine.refresh import refresh_stage
    from cloudforge.engine.runstate import RunState
    from cloudforge.errors import CloudforgeError
    from cloudforge.state.stage import open_location

    backend = open_location(state, region=region, profile=profile)
    cloud = CloudControl(region=region, profile=profile)
    try:
        backend.lock(scope)
        if scope not in backend.stages():
            raise CloudforgeError(f"no state for {scope!r} here (see `cloudforge stages`)")
        return await refresh_stage(RunState.open(scope, backend), cloud)
    finally:
        cloud.close()
        backend.close()


__all__ = ["graph", "outputs", "refresh", "stages"]

