"""`python -m cloudforge.codegen`: regenerate generated/ from schemas/ (what `make codegen` runs).

`python -m cloudforge.codegen pull TYPE... [--region R] [--source cfn-lint|aws]` pulls schemas
into schemas/ first. Paths default to the checkout's schemas/ and generated/.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cloudforge.errors import CloudforgeError
from cloudforge.schemas.loading import DEFAULT_REGION, REPO_SCHEMAS

REPO_GENERATED = REPO_SCHEMAS.parent / "generated"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cloudforge.codegen")
    sub = parser.add_subparsers(dest="command")
    gen = sub.add_parser("generate", help="regenerate generated/ from schemas/ (the default)")
    gen.add_argument("--schemas", type=Path, default=REPO_SCHEMAS)
    gen.add_argument("--out", type=Path, default=REPO_GENERATED)
    gen.add_argument("--jobs", type=int, default=None, help="worker processes (default: cores)")
    gen.add_argument("--cache", type=Path, default=None, help="module cache folder")
    pull = sub.add_parser("pull", help="pull registry schemas into schemas/")
    pull.add_argument("type_names", nargs="*", metavar="TYPE")
    pull.add_argument("--all", action="store_true", help="every type bundled for the region")
    pull.add_argument("--service", action="append", default=[], help="every type of a service")
    pull.add_argument("--region", default=DEFAULT_REGION)
    pull.add_argument("--source", choices=["cfn-lint", "aws"], default="cfn-lint")
    pull.add_argument("--dest", type=Path, default=REPO_SCHEMAS)
    args = parser.parse_args(argv)
    try:
        if args.command == "pull":
            from cloudforge.codegen.pull import pull_schemas, select_types

            names = select_types(
                args.type_names, all_types=args.all, services=args.service, region=args.region
            )
            if not names:
                parser.error("pull: give type names, --service or --all")
            for path in pull_schemas(names, region=args.region, source=args.source, dest=args.dest):
                print(path)
            return 0
        from cloudforge.codegen.generate import generate_all

        schemas = getattr(args, "schemas", REPO_SCHEMAS)
        out = getattr(args, "out", REPO_GENERATED)
        written = generate_all(
            schemas,
            out,
            workers=getattr(args, "jobs", None),
            cache_dir=getattr(args, "cache", None),
        )
        print(f"generated {len(written)} files under {out}")
    except CloudforgeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
