"""`cloudforge up | plan | destroy PROGRAM`: run a user's program in-process in a phase.

The program is an ordinary Python file (`async with App(...)`); the CLI sets $CLOUDFORGE_PHASE
(and $CLOUDFORGE_STAGE, $CLOUDFORGE_STATE, $CLOUDFORGE_REFRESH) for the App it creates, runs it with runpy as
`python PROGRAM` would, and attaches the progress display through `cloudforge.events.subscribe`.
"""

from __future__ import annotations

import asyncio
import os
import runpy
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from cloudforge import events
from cloudforge.cli import options, startup
from cloudforge.cli.display import ProgressDisplay
from cloudforge.cli.failures import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    PASSED_THROUGH,
    CommandError,
    report,
    report_warning,
    reported,
)

program_argument = click.argument(
    "program", metavar="PROGRAM",
    type=click.Path(exists=True, dir_okay=False, readable=True, resolve_path=True, path_type=Path),
    help="The Python program that declares the resources.",
)
args_argument = click.argument(
    "args", nargs=-1, help="Arguments for the program (its sys.argv[1:]), after --.",
)
stage_option = click.option(
    "--stage", "-s", help="Stage (state namespace) to deploy; default $CLOUDFORGE_STAGE or your user name.",
)
refresh_option = click.option(
    "--refresh", is_flag=True, help="Read every resource live first, so drift is detected and repaired.",
)
region_option = click.option("--region", help="AWS region (default: boto3's chain, $AWS_DEFAULT_REGION).")
read_rate_option = click.option(
    "--read-rate",
    help="Cloud Control reads/s at most, adapting down on throttling; 'off' for none (default 20, $CLOUDFORGE_READ_RATE).",
)
write_rate_option = click.option(
    "--write-rate",
    help="Cloud Control writes/s at most, adapting down on throttling; 'off' for none (default 10, $CLOUDFORGE_WRITE_RATE).",
)


def program_options(*, refresh: bool = True) -> Callable[[options.F], options.F]:
    """The argument and options up, plan and destroy share, in the order help lists them."""
    shared = [program_argument, args_argument, stage_option, *([refresh_option] if refresh else []),
              options.state, region_option, options.profile, read_rate_option]

    def apply(command: options.F) -> options.F:
        for decorator in reversed(shared):
            command = decorator(command)
        return command

    return apply


@click.command("up")
@program_options()
@write_rate_option
def up(program: Path, args: tuple[str, ...], stage: str | None, refresh: bool, state: str | None,
       region: str | None, profile: str | None, read_rate: str | None, write_rate: str | None) -> None:
    """Deploy PROGRAM's resources.

    Creates, updates, replaces, adopts and deletes until the cloud matches PROGRAM.
    """
    run("up", program, list(args), stage=stage, refresh=refresh, state=state, region=region,
        profile=profile, rates=(read_rate, write_rate))


@click.command("plan")
@program_options()
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 2 when the plan has changes, 0 when none, 1 on error.")
def plan(program: Path, args: tuple[str, ...], stage: str | None, refresh: bool, state: str | None,
         region: str | None, profile: str | None, read_rate: str | None, detailed_exitcode: bool) -> None:
    """Show what up would change, without a write.

    With --detailed-exitcode: 0 no changes, 1 error, 2 changes pending (as terraform).
    """
    pending = run("plan", program, list(args), stage=stage, refresh=refresh, state=state,
                  region=region, profile=profile, rates=(read_rate, None))
    if detailed_exitcode and pending:
        raise click.exceptions.Exit(EXIT_CHANGES)


@click.command("destroy")
@program_options(refresh=False)
@write_rate_option
def destroy(program: Path, args: tuple[str, ...], stage: str | None, state: str | None,
            region: str | None, profile: str | None, read_rate: str | None,
            write_rate: str | None) -> None:
    """Delete the resources of PROGRAM's stage.

    Every resource the stage's state holds, in reverse creation order.
    """
    run("destroy", program, list(args), stage=stage, refresh=False, state=state, region=region,
        profile=profile, rates=(read_rate, write_rate))


def run(phase: str, program: Path, args: list[str] | None, *, stage: str | None, refresh: bool,
        state: str | None, region: str | None, profile: str | None,
        rates: tuple[str | None, str | None] = (None, None)) -> bool:
    """Run `program` in `phase` with the display attached; True when a plan has pending changes."""
    env = {"CLOUDFORGE_PHASE": phase, "CLOUDFORGE_STAGE": stage, "CLOUDFORGE_STATE": state,
           "AWS_REGION": region,
           "AWS_DEFAULT_REGION": region, "AWS_PROFILE": profile,
           "CLOUDFORGE_REFRESH": "1" if refresh else None,
           "CLOUDFORGE_READ_RATE": rates[0], "CLOUDFORGE_WRITE_RATE": rates[1]}
    display = ProgressDisplay(phase)
    # Reported after the summary, so that the last line says what broke; the summary itself
    # says "failed" or "interrupted" from what happened, never "complete" before an error.
    failure: BaseException | None = None
    interrupted = exited = False
    with (
        reported(program), environment(env), collecting_from_first_event(), subscribed(display),
        display, warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("default")
        try:
            exited = run_program(program, args or [])
        except KeyboardInterrupt:
            interrupted = True
        except PASSED_THROUGH:
            raise
        except (Exception, asyncio.CancelledError) as exc:
            failure = exc
    outcome = display.outcome()
    if exited and outcome.skipped and failure is None:
        failure = CommandError(
            f"{program.name} exited (sys.exit) inside `async with App(...)`, so the App stopped "
            f"before it finished and did not delete the {outcome.skipped} resource(s) it no "
            "longer declares; let the App block end before exiting"
        )
    for warning in caught:
        report_warning(warning, program)
    display.console.print(
        display.summary(error=failure is not None, interrupted=interrupted),
        markup=False, highlight=False, soft_wrap=True,
    )
    if interrupted:
        raise click.exceptions.Exit(EXIT_INTERRUPTED)
    if failure is not None:
        report(failure, program)
        raise click.exceptions.Exit(EXIT_ERROR)
    if outcome.failed:
        raise click.exceptions.Exit(EXIT_ERROR)
    return outcome.pending_changes


def run_program(program: Path, args: list[str]) -> bool:
    """Run `program` as `python program args...` would: as __main__, its folder first on sys.path.

    True when it ended with sys.exit(0) (or sys.exit()); another exit status is a CommandError.
    """
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    sys.argv = [str(program), *args]
    sys.path.insert(0, str(program.parent))
    try:
        runpy.run_path(str(program), run_name="__main__")
    except SystemExit as exc:
        if exc.code not in (None, 0):
            message = exc.code if isinstance(exc.code, str) else f"exit status {exc.code}"
            raise CommandError(f"{program.name} exited with {message}") from None
        return True
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
    return False


@contextmanager
def environment(values: dict[str, str | None]) -> Iterator[None]:
    """Set the given environment variables (None: leave as is) for the duration of the run."""
    saved = {k: os.environ.get(k) for k, v in values.items() if v is not None}
    for key in saved:
        os.environ[key] = values[key] or ""
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


@contextmanager
def collecting_from_first_event() -> Iterator[None]:
    """The collector paused while the program starts, resumed at its first resource event (the
    engine has decided about one) or its end: `cloudforge.cli.startup` says why."""
    startup.pause()  # already, when `main` ran this command

    def back_on(_: Any) -> None:
        startup.resume()

    unsubscribe = events.subscribe(back_on)
    try:
        yield
    finally:
        unsubscribe()
        startup.resume()


@contextmanager
def subscribed(listener: Callable[[Any], None]) -> Iterator[None]:
    """Attach `listener` to cloudforge's process-wide progress events while the program runs."""
    unsubscribe = events.subscribe(listener)
    try:
        yield
    finally:
        unsubscribe()


__all__ = ["destroy", "plan", "up"]
