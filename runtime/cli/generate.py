"""`cloudforge schemas pull` and `cloudforge codegen`: add a resource type to the project.

`schemas pull TYPE` writes the registry schema into schemas/ (from the cfn-lint bundle, offline,
or from CloudFormation's DescribeType); `codegen` regenerates generated/ from schemas/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import click
from cloudforge.cli.display import plain_console
from cloudforge.cli.failures import CommandError, reported
from cloudforge.cli.options import CommandGroup
from cloudforge.schemas.loading import REPO_SCHEMAS

# The checkout's folders, as `make codegen` uses them: generated/aws is the cloudforge.aws package.
REPO_GENERATED = REPO_SCHEMAS.parent / "generated"

schemas_app = CommandGroup("schemas", help="Registry schemas the classes come from.", no_args_is_help=True)


@schemas_app.command("pull")
@click.argument("type_names", metavar="[TYPE]...", nargs=-1, help="Type names, e.g. AWS::S3::Bucket.")
@click.option("--all", "all_types", is_flag=True, help="Every type bundled for the region.")
@click.option("--service", "services", multiple=True, help="Every type of a service (connect); repeatable.")
@click.option("--region", default="us-east-1", help="Registry region the schema is taken for.")
@click.option(
    "--from", "source", default="cfn-lint",
    help="cfn-lint: the bundle shipped with cfn-lint (offline); aws: CloudFormation DescribeType.",
)
@click.option("--dest", type=click.Path(path_type=Path), default=REPO_SCHEMAS, help="Folder the schemas are written to.")
def pull(type_names: tuple[str, ...], all_types: bool, services: tuple[str, ...], region: str, source: str,
         dest: Path) -> None:
    """Pull registry schemas into schemas/.

    Then run `make codegen` (or `cloudforge codegen`) to generate their classes.
    """
    if source not in ("cfn-lint", "aws"):
        raise click.BadParameter("must be cfn-lint or aws", param_hint="--from")
    chosen: Literal["cfn-lint", "aws"] = "aws" if source == "aws" else "cfn-lint"
    with reported():
        try:
            from cloudforge.codegen.pull import pull_schemas
        except ImportError:
            raise CommandError("schema pulling (cloudforge.codegen.pull) is not available in this build") from None
        from cloudforge.codegen.pull import select_types

        names = select_types(list(type_names), all_types=all_types, services=list(services), region=region)
        if not names:
            raise click.BadParameter("give type names, --service or --all", param_hint="TYPE")
        if chosen == "cfn-lint":
            check_bundled(names, region)
        written = pull_schemas(names, region=region, source=chosen, dest=dest)
    out = plain_console()
    for path in written:
        out.print(f"wrote {path}")
    out.print("Generate the classes with `make codegen` (or `cloudforge codegen`).")


def check_bundled(names: list[str], region: str) -> None:
    """A CommandError for the first type the cfn-lint bundle lacks, in the CLI's terms: a
    did-you-mean from the bundle, and `--from aws` (not the Python API's source='aws')."""
    import difflib

    from cloudforge.schemas.loading import cfn_lint_bundle

    bundled = cfn_lint_bundle(region)
    for name in names:
        if name in bundled:
            continue
        by_case = [known for known in bundled if known.lower() == name.lower()]
        close = by_case or difflib.get_close_matches(name, list(bundled), n=1, cutoff=0.8)
        guess = f"; did you mean {close[0]}?" if close else "."
        raise CommandError(
            f"no schema for {name} in the cfn-lint bundle ({region}){guess} A type the bundle "
            "does not have yet (a new or private one) can be pulled from CloudFormation with "
            "`--from aws`."
        )


@click.command("codegen")
@click.option("--schemas", type=click.Path(path_type=Path), default=REPO_SCHEMAS, help="Folder of registry schemas.")
@click.option(
    "--out", type=click.Path(path_type=Path), default=REPO_GENERATED,
    help="Output folder; its aws/ is the cloudforge.aws package.",
)
def codegen(schemas: Path, out: Path) -> None:
    """Regenerate the classes from schemas/.

    What `make codegen` runs: every schema into a typed module of cloudforge.aws.
    """
    with reported():
        try:
            from cloudforge.codegen.generate import generate_all
        except ImportError:
            raise CommandError("the generator (cloudforge.codegen.generate) is not available in this build") from None
        if not schemas.is_dir():
            raise CommandError(f"no schemas folder at {schemas}: pull one with `cloudforge schemas pull TYPE`")
        written = generate_all(schemas, out)
    plain_console().print(f"generated {len(written)} files into {out}")
