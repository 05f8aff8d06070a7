"""`python -m cloudforge.local [--port N] [--state FILE] ...`: run the local cloud in the foreground.

The same options as `cloudforge local` (which needs the CLI's dependencies); see `--help`.
"""

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
    parser.add_argument("--latency", type=float, default=0.0, help="seconds each request needs before it ends")
    parser.add_argument("--retry-after", default="step", help="step:S (default step:0.5), exact or none")
    parser.add_argument("--rate", type=float, default=None, help="Cloud Control calls/s per account and region")
    parser.add_argument("--read-rate", type=float, default=None, help="own budget for reads, calls/s")
    parser.add_argument("--write-rate", type=float, default=None, help="own budget for writes, calls/s")
    parser.add_argument("--fail-rate", type=float, default=0.0, help="probability a handler fails")
    parser.add_argument("--throttle-rate", type=float, default=0.0, help="probability a call is throttled")
    parser.add_argument("--read-after-create", type=float, default=0.0, help="seconds a new resource stays NotFound")
    parser.add_argument("--seed", type=int, default=None, help="seed for generated ids and injected faults")
    args = parser.parse_args(argv)
    try:
        serve(args.port, args.state, latency=args.latency, seed=args.seed, retry_after=args.retry_after,
              rate=args.rate, read_rate=args.read_rate, write_rate=args.write_rate, fail_rate=args.fail_rate,
              throttle_rate=args.throttle_rate, read_after_create=args.read_after_create)
    except ValueError as exc:
        parser.error(str(exc))


if __name__ == "__main__":
    main()
