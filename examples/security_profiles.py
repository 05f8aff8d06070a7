"""The four SecurityProfile examples (minimal, advanced, tagging restrictions, adoption) with cloudforge.

    cloudforge up examples/security_profiles.py        # create, or bring up to date
    cloudforge plan examples/security_profiles.py      # what `up` would change
    cloudforge destroy examples/security_profiles.py   # delete the profiles and the instance

It finds (by alias) or creates the Amazon Connect instance the profiles belong to, so it runs
unchanged against real AWS and against the local cloud: only AWS_ENDPOINT_URL differs.
`python examples/security_profiles.py` works too (phase from $CLOUDFORGE_PHASE, default up).

The values follow what Amazon Connect accepts, where the seed's examples would be refused:
permissions are security-profile permission names ("Users.Create"), not IAM actions
("connect:CreateUser"), and tag and hierarchy restrictions name resource types ("User"), not ARNs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

import boto3
from cloudforge import App
from cloudforge.aws.connect import SecurityProfile
from rich.console import Console
from rich.table import Table

# Connect instance aliases are unique across AWS: set your own on real AWS.
INSTANCE_ALIAS = os.environ.get("CONNECT_INSTANCE_ALIAS", "cloudforge-example")
BASIC_DESCRIPTION = "A basic security profile with limited permissions."
# Marks the instance as the example's own, so destroy never deletes an instance it did not make.
MADE_BY = {"made-by": "cloudforge-example"}


def find_instance(alias: str) -> str | None:
    """The ARN of the Connect instance with this alias, if there is one."""
    connect = boto3.client("connect")
    for page in connect.get_paginator("list_instances").paginate():
        for instance in page["InstanceSummaryList"]:
            if instance.get("InstanceAlias") == alias and instance.get("InstanceStatus") != "CREATION_FAILED":
                return str(instance["Arn"])
    return None


def ensure_instance(alias: str) -> str:
    """Find the Connect instance by alias, or create it and wait until it is active."""
    arn = find_instance(alias)
    if arn is not None:
        return arn
    connect = boto3.client("connect")
    created = connect.create_instance(
        IdentityManagementType="CONNECT_MANAGED",
        InstanceAlias=alias,
        InboundCallsEnabled=True,
        OutboundCallsEnabled=True,
        Tags=MADE_BY,
    )
    # On AWS a new instance takes a minute or two to become ACTIVE.
    for _ in range(120):
        status = connect.describe_instance(InstanceId=created["Id"])["Instance"]["InstanceStatus"]
        if status == "ACTIVE":
            break
        if status == "CREATION_FAILED":
            raise RuntimeError(f"Connect instance {alias!r} could not be created")
        time.sleep(5)
    return str(created["Arn"])


def delete_instance(alias: str) -> None:
    """Delete the instance with this alias if the example made it (an adopted one is left alone)."""
    arn = find_instance(alias)
    if arn is None:
        return
    connect = boto3.client("connect")
    instance_id = arn.rsplit("/", 1)[-1]
    tags = connect.describe_instance(InstanceId=instance_id)["Instance"].get("Tags", {})
    if MADE_BY.items() <= tags.items():
        connect.delete_instance(InstanceId=instance_id)


async def declare(instance_arn: str, basic_description: str = BASIC_DESCRIPTION) -> list[SecurityProfile]:
    """The four profiles. gather() deploys them concurrently; each is awaited as in the seed."""
    basic, advanced, tagged, adopted = await asyncio.gather(
        # Minimal: required properties and one optional description.
        SecurityProfile(
            "basicSecurityProfile",
            InstanceArn=instance_arn,
            SecurityProfileName="BasicProfile",
            Description=basic_description,
            Permissions=["BasicAgentAccess", "TransferDestinations.View"],
        ),
        # Advanced: more permissions and access-control tags.
        SecurityProfile(
            "advancedSecurityProfile",
            InstanceArn=instance_arn,
            SecurityProfileName="AdvancedProfile",
            Description="An advanced security profile with comprehensive permissions.",
            Permissions=[
                "BasicAgentAccess",
                "OutboundCallAccess",
                "Queues.View",
            ],
            AllowedAccessControlTags=[
                {"Key": "Department", "Value": "Support"},
                {"Key": "Region", "Value": "US-East"},
            ],
        ),
        # Tagging and resource restrictions.
        SecurityProfile(
            "taggedSecurityProfile",
            InstanceArn=instance_arn,
            SecurityProfileName="TaggedProfile",
            Permissions=["Users.Create", "Users.Delete"],
            TagRestrictedResources=["User"],
            HierarchyRestrictedResources=["User"],
        ),
        # Adoption: an existing profile of this name is taken over instead of failing.
        SecurityProfile(
            "adoptedSecurityProfile",
            InstanceArn=instance_arn,
            SecurityProfileName="AdoptedProfile",
            adopt=True,
        ),
    )
    return [basic, advanced, tagged, adopted]


def print_profiles(profiles: list[SecurityProfile]) -> None:
    table = Table(title=f"Security profiles of Connect instance {INSTANCE_ALIAS!r}")
    table.add_column("resource", no_wrap=True)
    table.add_column("name", no_wrap=True)
    table.add_column("ARN", overflow="fold")
    for profile in profiles:
        table.add_row(profile.logical_id, profile.SecurityProfileName, profile.SecurityProfileArn)
    # Full ARNs in logs and pipes too, where rich would otherwise assume 80 columns.
    Console(width=None if sys.stdout.isatty() else 250).print(table)


async def main(basic_description: str = BASIC_DESCRIPTION) -> None:
    profiles: list[SecurityProfile] = []
    # The phase (up, plan, destroy) comes from $CLOUDFORGE_PHASE, which the CLI sets.
    async with App("contact-center") as app:
        phase = app.phase
        # destroy deletes what the stage's state holds; the declarations are not needed.
        if phase != "destroy":
            instance_arn = await asyncio.to_thread(ensure_instance if phase == "up" else find_instance, INSTANCE_ALIAS)
            if instance_arn is None:
                # plan before the first up: show the creates against the instance still to be made.
                region = boto3.session.Session().region_name or "us-east-1"
                instance_arn = f"arn:aws:connect:{region}:000000000000:instance/{INSTANCE_ALIAS}"
            profiles = await declare(instance_arn, basic_description)
    if phase == "up":
        print_profiles(profiles)
    elif phase == "destroy":
        # The example made the instance, so it removes it once its profiles are gone.
        await asyncio.to_thread(delete_instance, INSTANCE_ALIAS)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--description", default=BASIC_DESCRIPTION, help="Description of BasicProfile")
    asyncio.run(main(parser.parse_args().description))
