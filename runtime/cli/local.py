"""`cloudforge local`: run the local cloud (Cloud Control emulator + moto) in the foreground."""

from __future__ import annotations

from pathlib import Path

import click
from cloudforge.cli.failures import CommandError, reported


@click.command("local")
@click.option("--port", "-p", type=int, default=4566, help="Port on 127.0.0.1 (0: any free port).")
@click.option(
    "--state", type=click.Path(path_type=Path),
    help="File that keeps the Cloud Control resources across restarts (default: none, every start is empty).",
)
@click.option("--latency", type=float, default=0.0, help="Seconds each Cloud Control request needs before it ends.")
@click.option(
    "--retry-after", default="step",
    help="How RetryAfter is reported: step:S (handler re-invoked every S s, the default step:0.5), exact (the completion time), none.",
)
@click.option(
    "--rate", type=float,
    help="Cloud Control calls/s per account and region (burst = rate); past it: ThrottlingException.",
)
@click.option("--read-rate", type=float, help="A budget of its own for reads (Get, List, status reads), calls/s.")
@click.option(
    "--write-rate", type=float, help="A budget of its own for writes (Create, Update, Delete, Cancel), calls/s.",
)
@click.option(
    "--fail-rate", type=float, default=0.0, help="Probability that a request's handler fails (InternalFailure).",
)
@click.option(
    "--throttle-rate", type=float, default=0.0, help="Probability that any call is answered ThrottlingException.",
)
@click.option(
    "--read-after-create", type=float, default=0.0,
    help="Seconds a new resource stays NotFound to GetResource (eventual consistency).",
)
@click.option("--seed", type=int, help="Seed for generated ids and injected faults.")
def local(port: int, state: Path | None, latency: float, retry_after: str, rate: float | None,
          read_rate: float | None, write_rate: float | None, fail_rate: float, throttle_rate: float,
          read_after_create: float, seed: int | None) -> None:
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
