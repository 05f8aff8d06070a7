"""`python -m cloudforge.local [--port N] [--state FILE]`: run the local cloud in the foreground."""

from __future__ import annotations

import argparse

from cloudforge.local import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m cloudforge.local",
        description="Run the local cloud (Cloud Control emulator + moto) on 127.0.0.1 until interrupted.",
    )
    parser.add_argument("--port", type=int, default=4566, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--state", default=None, help="file that keeps the Cloud Control state across restarts")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds each request stays IN_PROGRESS")
    parser.add_argument("--seed", type=int, default=None, help="seed for generated ids and injected faults")
    args = parser.parse_args(argv)
    serve(args.port, args.state, latency=args.latency, seed=args.seed)


if __name__ == "__main__":
    main()
