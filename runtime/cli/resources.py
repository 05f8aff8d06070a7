"""`cloudforge get | list | import`: look at live resources through Cloud Control.

They talk to whatever endpoint boto3's chain names (real AWS, or the local cloud through
$AWS_ENDPOINT_URL), independent of any program or state.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import click
from botocore.exceptions import ClientError
from cloudforge import registry
from cloudforge.cli import options
from cloudforge.cli.display import plain_console
from cloudforge.cli.failures import CommandError, describe, reported
from cloudforge.cli.importer import (
    app_name_for,
    declared_props,
    formatted,
    logical_id_for,
    render_program,
)
from cloudforge.names import check

type_argument = click.argument(
    "type_name", metavar="TYPE", help="CloudFormation type name, e.g. AWS::Connect::SecurityProfile.",
)
identifier_argument = click.argument(
    "identifier", metavar="IDENTIFIER", help="The primary identifier (a composite one joined with '|').",
)
region_option = click.option("--region", help="AWS region (default: boto3's chain, $AWS_DEFAULT_REGION).")


def cloudcontrol(region: str | None, profile: str | None) -> Any:
    """A Cloud Control client from boto3's standard chain (endpoint from $AWS_ENDPOINT_URL)."""
    return boto3.session.Session(profile_name=profile, region_name=region).client("cloudcontrol")


def read(type_name: str, identifier: str, region: str | None, profile: str | None) -> dict[str, Any]:
    response = cloudcontrol(region, profile).get_resource(TypeName=type_name, Identifier=identifier)
    properties: dict[str, Any] = json.loads(response["ResourceDescription"]["Properties"])
    return properties


@click.command("get")
@type_argument
@identifier_argument
@region_option
@options.profile
def get(type_name: str, identifier: str, region: str | None, profile: str | None) -> None:
    """Print a resource's live properties as JSON."""
    with reported():
        properties = read(type_name, identifier, region, profile)
    print(json.dumps(properties, indent=2, sort_keys=True))


@click.command("list")
@type_argument
@click.option(
    "--model", "-m", "model", metavar="KEY=VALUE", multiple=True,
    help="A ResourceModel property the type's list handler needs (repeatable), e.g. InstanceArn=arn:...",
)
@click.option("--json", "as_json", is_flag=True, help="Print identifiers and properties as JSON.")
@region_option
@options.profile
def list_(type_name: str, model: tuple[str, ...], as_json: bool, region: str | None, profile: str | None) -> None:
    """List a type's resources, one identifier a line."""
    with reported():
        resource_model = parse_model(list(model))
        kwargs: dict[str, Any] = {"TypeName": type_name}
        if resource_model:
            kwargs["ResourceModel"] = json.dumps(resource_model)
        paginator = cloudcontrol(region, profile).get_paginator("list_resources")
        try:
            found = [
                {"Identifier": d["Identifier"], "Properties": json.loads(d.get("Properties") or "{}")}
                for page in paginator.paginate(**kwargs)
                for d in page.get("ResourceDescriptions", [])
            ]
        except ClientError as exc:
            if "ResourceModel" not in str(exc):
                raise
            raise CommandError(f"{describe(exc)}. Pass each with --model KEY=VALUE.") from None
    if as_json:
        print(json.dumps(found, indent=2, sort_keys=True))
    else:
        for item in found:
            print(item["Identifier"])


@click.command("import")
@type_argument
@identifier_argument
@click.option("--name", help="Logical id in the program (default from the type).")
@click.option(
    "--app", "app_name",
    help="App name in the program (default: one of its own, from the type and identifier).",
)
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write the program here instead of stdout.")
@region_option
@options.profile
def import_(type_name: str, identifier: str, name: str | None, app_name: str | None, output: Path | None,
            region: str | None, profile: str | None) -> None:
    """Print a program declaring an existing resource.

    Its readable properties, with adopt=True: `cloudforge up` then takes it over unchanged.
    """
    with reported():
        app_name = check(app_name, "app name") if app_name else app_name_for(type_name, identifier)
        cls = registry.resource_class(type_name)
        properties = read(type_name, identifier, region, profile)
        source = formatted(render_program(
            cls, declared_props(cls.metadata, properties),
            logical_id=check(name, "logical id") if name else logical_id_for(type_name), app_name=app_name, identifier=identifier,
        ))
        if output is not None:
            output.write_text(source)
            plain_console().print(f"Wrote {output}; deploy it with: cloudforge up {output}")
            return
    print(source, end="")


def parse_model(pairs: list[str]) -> dict[str, Any]:
    """KEY=VALUE pairs into a ResourceModel; a VALUE that is JSON (a number, list) is parsed."""
    model: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--model")
        try:
            parsed = json.loads(value)
            model[key] = parsed if isinstance(parsed, list | dict | int | float) else value
        except ValueError:
            model[key] = value
    return model
