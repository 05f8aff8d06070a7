"""How the CLI turns a failure into a message and an exit code, never a traceback.

Exit codes follow terraform and pulumi: 0 success, 1 an error, 2 a usage error (click's own),
and for `plan --detailed-exitcode` 2 when changes are pending; 130 after Ctrl-C (the shell's
128 + SIGINT). An error in the program itself is shown with the program's own frames only (the
CLI's, runpy's and asyncio's are cut). Set CLOUDFORGE_DEBUG=1 to get the whole traceback.
"""

from __future__ import annotations

import os
import sys
import traceback
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from cloudforge.cli.display import default_console
from cloudforge.errors import CloudforgeError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_CHANGES = 2  # plan --detailed-exitcode: the plan has changes
EXIT_INTERRUPTED = 130  # Ctrl-C, as a shell reports a process ended by SIGINT


class CommandError(CloudforgeError):
    """A CLI command cannot do what was asked; the message says why and what to do."""


def error(message: str) -> None:
    """Print an error message the way every command does."""
    stderr = default_console(stderr=True)  # per message: tests swap sys.stderr
    stderr.print("[bold red]Error:[/] " if stderr.is_terminal else "Error: ", end="")
    stderr.print(message, markup=False)


def describe(exc: BaseException, program: Path | None = None) -> str:
    """The message a user sees for `exc`: cloudforge's own, AWS's, or where the program failed."""
    if isinstance(exc, CloudforgeError):
        return str(exc)
    botocore = sys.modules.get("botocore.exceptions")
    if botocore is not None:  # not loaded: the error cannot be one of botocore's (no-op runs)
        message = _botocore_message(exc, botocore)
        if message is not None:
            return message
    frames = user_frames(exc, program) if program is not None else []
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    asyncio = sys.modules.get("asyncio")  # not loaded: no program ran, nothing was cancelled
    if asyncio is not None and isinstance(exc, asyncio.CancelledError):
        head = (
            f"the program was cancelled (asyncio.CancelledError{where}); what it had not "
            "awaited yet did not run"
        )
    else:
        head = f"{type(exc).__name__}{where}: {exc}"
    return "\n".join([head, *"".join(traceback.format_list(frames)).rstrip("\n").split("\n")])


def _botocore_message(exc: BaseException, botocore: Any) -> str | None:
    if isinstance(exc, botocore.NoCredentialsError):
        return (
            "no AWS credentials found. Set AWS_PROFILE (or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY) for real AWS, or point AWS_ENDPOINT_URL at a local cloud "
            "(`cloudforge local`)."
        )
    if isinstance(exc, botocore.NoRegionError):
        return "no AWS region configured: set AWS_DEFAULT_REGION (or pass --region)."
    if isinstance(exc, botocore.ClientError):
        err = exc.response.get("Error", {})
        return f"{exc.operation_name}: {err.get('Code', 'Error')}: {err.get('Message', exc)}"
    if isinstance(exc, botocore.BotoCoreError):
        return str(exc)
    return None


def user_frames(exc: BaseException, program: Path | None) -> list[traceback.FrameSummary]:
    """The frames of `exc` (or of the exception it arose from) in the program's own files.

    The program's folder holds the user's code; cloudforge, runpy and asyncio frames are cut.
    """
    if program is None:
        return []
    folder = program.parent
    package = Path(__file__).resolve().parent.parent
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = [
            frame
            for frame in traceback.extract_tb(current.__traceback__)
            if Path(frame.filename).is_relative_to(folder)
            and not Path(frame.filename).resolve().is_relative_to(package)
        ]
        if frames:
            return frames
        # A cancelled task re-raises a new CancelledError; the program's frame is on the one
        # it arose from.
        current = current.__cause__ or current.__context__
    return []


def report_warning(warning: warnings.WarningMessage, program: Path | None = None) -> None:
    """Print a warning the program's run raised (a resource never awaited, ...) on stderr."""
    where = f" ({Path(warning.filename).name}:{warning.lineno})" if warning.filename else ""
    stderr = default_console(stderr=True)
    stderr.print("[bold yellow]Warning:[/] " if stderr.is_terminal else "Warning: ", end="")
    stderr.print(f"{warning.message}{where}", markup=False)

# Usage errors and exits are click's to report (exit 2, or the code given), never ours.
PASSED_THROUGH = (click.exceptions.Exit, click.Abort, click.ClickException, KeyboardInterrupt)


def report(exc: BaseException, program: Path | None = None) -> None:
    """Print the message for `exc` (and its traceback when CLOUDFORGE_DEBUG is set)."""
    if os.environ.get("CLOUDFORGE_DEBUG"):
        traceback.print_exception(exc)
    error(describe(exc, program))


@contextmanager
def reported(program: Path | None = None) -> Iterator[None]:
    """Run a command body; on failure print one message and exit 1."""
    try:
        yield
    except PASSED_THROUGH:
        raise
    except Exception as exc:
        report(exc, program)
        raise click.exceptions.Exit(EXIT_ERROR) from None
