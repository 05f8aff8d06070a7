"""`cloudforge schemas pull` and `cloudforge codegen`: add a resource type to the project.

`schemas pull TYPE` writes the registry schema into schemas/ (from the cfn-lint bundle, offline,
or from CloudFormation's DescribeType); `codegen` regenerates generated/ from schemas/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from cloudforge.cli.display import plain_console
from cloudforge.cli.failures import CommandError, reported
from cloudforge.schemas.loading import REPO_SCHEMAS

# The checkout's folders, as `make codegen` uses them: generated/aws is the cloudforge.aws package.
REPO_GENERATED = REPO_SCHEMAS.parent / "generated"

schemas_app = typer.Typer(help="Registry schemas the classes come from.", no_args_is_help=True)


@schemas_app.command("pull")
def pull(
    type_names: Annotated[
        list[str] | None, typer.Argument(metavar="TYPE", help="Type names, e.g. AWS::S3::Bucket.")
    ] = None,
    all_types: Annotated[bool, typer.Option("--all", help="Every type bundled for the region.")] = False,
    services: Annotated[
        list[str] | None, typer.Option("--service", help="Every type of a service (connect); repeatable.")
    ] = None,
    region: Annotated[str, typer.Option("--region", help="Registry region the schema is taken for.")] = "us-east-1",
    source: Annotated[
        str, typer.Option("--from", help="cfn-lint: the bundle shipped with cfn-lint (offline); aws: CloudFormation DescribeType."),
    ] = "cfn-lint",
    dest: Annotated[Path, typer.Option("--dest", help="Folder the schemas are written to.")] = REPO_SCHEMAS,
) -> None:
    """Pull registry schemas into schemas/.

    Then run `make codegen` (or `cloudforge codegen`) to generate their classes.
    """
    if source not in ("cfn-lint", "aws"):
        raise typer.BadParameter("must be cfn-lint or aws", param_hint="--from")
    chosen: Literal["cfn-lint", "aws"] = "aws" if source == "aws" else "cfn-lint"
    with reported():
        try:
            from cloudforge.codegen.pull import pull_schemas
        except ImportError:
            raise CommandError("schema pulling (cloudforge.codegen.pull) is not available in this build") from None
        from cloudforge.codegen.pull import select_types

        names = select_types(type_names or [], all_types=all_types, services=services or [], region=region)
        if not names:
            raise typer.BadParameter("give type names, --service or --all", param_hint="TYPE")
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


def codegen(
    schemas: Annotated[Path, typer.Option("--schemas", help="Folder of registry schemas.")] = REPO_SCHEMAS,
    out: Annotated[
        Path, typer.Option("--out", help="Output folder; its aws/ is the cloudforge.aws package.")
    ] = REPO_GENERATED,
) -> None:
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
