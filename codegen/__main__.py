"""`python -m cloudforge.codegen`: regenerate generated/ from schemas/ (what `make codegen` runs).

`python -m cloudforge.codegen pull TYPE... [--region R] [--source cfn-lint|aws]` pulls schemas
into schemas/ first. Paths default to the checkout's schemas/ and generated/.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cloudforge.codegen.schemas import DEFAULT_REGION, REPO_SCHEMAS
from cloudforge.errors import CloudforgeError

REPO_GENERATED = REPO_SCHEMAS.parent / "generated"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cloudforge.codegen")
    sub = parser.add_subparsers(dest="command")
    gen = sub.add_parser("generate", help="regenerate generated/ from schemas/ (the default)")
    gen.add_argument("--schemas", type=Path, default=REPO_SCHEMAS)
    gen.add_argument("--out", type=Path, default=REPO_GENERATED)
    pull = sub.add_parser("pull", help="pull registry schemas into schemas/")
    pull.add_argument("type_names", nargs="+", metavar="TYPE")
    pull.add_argument("--region", default=DEFAULT_REGION)
    pull.add_argument("--source", choices=["cfn-lint", "aws"], default="cfn-lint")
    pull.add_argument("--dest", type=Path, default=REPO_SCHEMAS)
    args = parser.parse_args(argv)
    try:
        if args.command == "pull":
            from cloudforge.codegen.pull import pull_schemas

            for path in pull_schemas(
                args.type_names, region=args.region, source=args.source, dest=args.dest
            ):
                print(path)
            return 0
        from cloudforge.codegen.generate import generate_all

        schemas = getattr(args, "schemas", REPO_SCHEMAS)
        out = getattr(args, "out", REPO_GENERATED)
        written = generate_all(schemas, out)
        print(f"generated {len(written)} files under {out}")
    except CloudforgeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
