"""How the CLI turns a failure into a message and an exit code, never a traceback.

Exit codes follow terraform and pulumi: 0 success, 1 an error, 2 a usage error (click's own),
and for `plan --detailed-exitcode` 2 when changes are pending. Set CLOUDFORGE_DEBUG=1 to get the
traceback of an unexpected error as well.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from cloudforge.errors import CloudforgeError
from rich.console import Console

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_CHANGES = 2  # plan --detailed-exitcode: the plan has changes

stderr = Console(stderr=True, highlight=False, soft_wrap=True)


class CommandError(CloudforgeError):
    """A CLI command cannot do what was asked; the message says why and what to do."""


def error(message: str) -> None:
    """Print an error message the way every command does."""
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
    where = ""
    if program is not None:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == program]
        if frames:
            where = f" at {program.name}:{frames[-1].lineno}"
    return f"{type(exc).__name__}{where}: {exc}"


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


# Usage errors and exits are typer's to report (exit 2, or the code given), never ours.
PASSED_THROUGH = (typer.Exit, typer.Abort, typer.exceptions.TyperException, KeyboardInterrupt)


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
        raise typer.Exit(EXIT_ERROR) from None
