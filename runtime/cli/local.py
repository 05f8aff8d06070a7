"""`cloudforge local`: run the local cloud (Cloud Control emulator + moto) in the foreground."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from cloudforge.cli.failures import CommandError, reported


def local(
    port: Annotated[int, typer.Option("--port", "-p", help="Port on 127.0.0.1 (0: any free port).")] = 4566,
    state: Annotated[
        Path | None,
        typer.Option("--state", help="File that keeps the Cloud Control resources across restarts (default: none, every start is empty)."),
    ] = None,
    latency: Annotated[
        float, typer.Option("--latency", help="Seconds each Cloud Control request needs before it ends.")
    ] = 0.0,
    retry_after: Annotated[
        str,
        typer.Option("--retry-after", help="How RetryAfter is reported: step:S (handler re-invoked every S s, the default step:0.5), exact (the completion time), none."),
    ] = "step",
    rate: Annotated[
        float | None, typer.Option("--rate", help="Cloud Control calls/s per account and region (burst = rate); past it: ThrottlingException.")
    ] = None,
    read_rate: Annotated[
        float | None, typer.Option("--read-rate", help="A budget of its own for reads (Get, List, status reads), calls/s.")
    ] = None,
    write_rate: Annotated[
        float | None, typer.Option("--write-rate", help="A budget of its own for writes (Create, Update, Delete, Cancel), calls/s.")
    ] = None,
    fail_rate: Annotated[
        float, typer.Option("--fail-rate", help="Probability that a request's handler fails (InternalFailure).")
    ] = 0.0,
    throttle_rate: Annotated[
        float, typer.Option("--throttle-rate", help="Probability that any call is answered ThrottlingException.")
    ] = 0.0,
    read_after_create: Annotated[
        float, typer.Option("--read-after-create", help="Seconds a new resource stays NotFound to GetResource (eventual consistency).")
    ] = 0.0,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed for generated ids and injected faults.")] = None,
) -> None:
    """Run the local cloud (Cloud Control + moto).

    Serves 127.0.0.1 until interrupted and prints the variables to export. Without --state it
    starts empty every time.
    """
    with reported():
        try:
            from cloudforge.local import serve
        except ImportError:
            raise CommandError("the local cloud (cloudforge.local) is not available in this build") from None

        def announce(line: str) -> None:
            print(line, flush=True)  # flushed: a script waiting for the endpoint reads it at once

        try:
            options = {"retry_after": retry_after, "rate": rate, "read_rate": read_rate,
                       "write_rate": write_rate, "fail_rate": fail_rate, "throttle_rate": throttle_rate,
                       "read_after_create": read_after_create}
            serve(port, state, latency=latency, seed=seed, announce=announce, **options)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
