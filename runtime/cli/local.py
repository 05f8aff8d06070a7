"""`cloudforge local`: run the local cloud (Cloud Control emulator + moto) in the foreground."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from cloudforge.cli.failures import CommandError, reported


def local(
    port: Annotated[int, typer.Option("--port", "-p", help="Port on 127.0.0.1 (0: any free port).")] = 4566,
    state: Annotated[
        Path | None, typer.Option("--state", help="File that keeps the Cloud Control resources across restarts."),
    ] = None,
    latency: Annotated[
        float, typer.Option("--latency", help="Seconds each Cloud Control request stays IN_PROGRESS.")
    ] = 0.0,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed for generated ids and injected faults.")] = None,
) -> None:
    """Run the local cloud (Cloud Control + moto).

    Serves 127.0.0.1 until interrupted; point programs at it with AWS_ENDPOINT_URL.
    """
    with reported():
        try:
            from cloudforge.local import serve
        except ImportError:
            raise CommandError("the local cloud (cloudforge.local) is not available in this build") from None

        def announce(line: str) -> None:
            print(line, flush=True)  # flushed: a script waiting for the endpoint reads it at once

        serve(port, state, latency=latency, seed=seed, announce=announce)
