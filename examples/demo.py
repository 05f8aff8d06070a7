"""`make demo`: the main job, end to end, against the local cloud started in this process.

Runs `cloudforge up | plan | destroy examples/security_profiles.py` as a user would type them and
checks every step against what the local cloud saw and holds: create the four profiles (one
adopted from a profile made out of band with plain boto3), rerun with zero writes, plan and apply
a description change, destroy. Exits 0 only if every step checked out, else names the step.
"""

from __future__ import annotations

import json
import os
import runpy
import shlex
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from cloudforge import events
from cloudforge.cli import app as cli
from cloudforge.local import LocalCloud
from rich.console import Console
from rich.table import Table

EXAMPLE = Path(__file__).resolve().parent / "security_profiles.py"
TYPE = "AWS::Connect::SecurityProfile"
WRITES = ("CreateResource", "UpdateResource", "DeleteResource", "CancelResourceRequest")
NEW_DESCRIPTION = "Basic profile, description changed by the demo."
ALIAS = "cloudforge-demo"

console = Console(highlight=False)


class StepFailed(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise StepFailed(message)


@dataclass
class Run:
    """One `cloudforge ...` invocation: its exit code, the events and the Cloud Control calls."""

    exit_code: int
    events: list[events.ResourceEvent] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)

    def actions(self, status: str = "succeeded") -> dict[str, str]:
        return {e.logical_id: e.action for e in self.events if e.status == status}

    @property
    def writes(self) -> int:
        return sum(self.calls[name] for name in WRITES)


def cloudforge(cloud: LocalCloud, *args: str) -> Run:
    """Run the CLI in this process, exactly as `cloudforge ARGS` on the command line."""
    console.print(f"$ cloudforge {shlex.join(args)}", style="bold", soft_wrap=True)
    cloud.reset_calls()
    seen: list[events.ResourceEvent] = []
    unsubscribe = events.subscribe(seen.append)
    try:
        code = cli(args=list(args), prog_name="cloudforge", standalone_mode=False)
    except SystemExit as exc:  # click raises it for usage errors even outside standalone mode
        code = exc.code
    finally:
        unsubscribe()
    return Run(int(code or 0), seen, Counter(cloud.calls()))


def live_profiles(instance_arn: str) -> dict[str, dict[str, Any]]:
    """SecurityProfileName -> properties, from a ListResources on the cloud (not from state)."""
    client = boto3.client("cloudcontrol")
    found: dict[str, dict[str, Any]] = {}
    for page in client.get_paginator("list_resources").paginate(
        TypeName=TYPE, ResourceModel=json.dumps({"InstanceArn": instance_arn})
    ):
        for description in page["ResourceDescriptions"]:
            props = json.loads(description["Properties"])
            found[props["SecurityProfileName"]] = props
    return found


def print_live(profiles: dict[str, dict[str, Any]]) -> None:
    table = Table(title="What exists in the local cloud (ListResources)")
    for column in ("name", "description", "ARN"):
        table.add_column(column, overflow="fold")
    for name, props in sorted(profiles.items()):
        table.add_row(name, props.get("Description", ""), props["SecurityProfileArn"])
    # Whole ARNs in logs and pipes, where rich would otherwise assume 80 columns.
    Console(width=None if console.is_terminal else 250).print(table)


def find_instance(alias: str) -> str | None:
    connect = boto3.client("connect")
    for instance in connect.list_instances()["InstanceSummaryList"]:
        if instance.get("InstanceAlias") == alias:
            return str(instance["Arn"])
    return None


def demo(cloud: LocalCloud) -> list[tuple[str, Callable[[], None]]]:
    """The steps, in order; each raises StepFailed with what did not check out."""
    example = str(EXAMPLE)
    ctx: dict[str, Any] = {}

    def out_of_band() -> None:
        # The example's own set-up: it creates the Connect instance (and finds it again later).
        ensure_instance = runpy.run_path(example, run_name="security_profiles")["ensure_instance"]
        instance_arn = ensure_instance(ALIAS)
        ctx["instance"] = instance_arn
        client = boto3.client("cloudcontrol")
        request = client.create_resource(TypeName=TYPE, DesiredState=json.dumps({
            "InstanceArn": instance_arn, "SecurityProfileName": "AdoptedProfile",
            "Description": "Made out of band with plain boto3.",
        }))["ProgressEvent"]
        client.get_waiter("resource_request_success").wait(
            RequestToken=request["RequestToken"], WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
        ctx["adopted_arn"] = live_profiles(instance_arn)["AdoptedProfile"]["SecurityProfileArn"]
        console.print(f"Connect instance {ALIAS!r} ({instance_arn}) and profile 'AdoptedProfile' made with boto3.",
                      soft_wrap=True)

    def create() -> None:
        run = cloudforge(cloud, "up", example)
        check(run.exit_code == 0, f"cloudforge up exited {run.exit_code}")
        expected = {"basicSecurityProfile": "create", "advancedSecurityProfile": "create",
                    "taggedSecurityProfile": "create", "adoptedSecurityProfile": "adopt"}
        check(run.actions() == expected, f"expected {expected}, the engine did {run.actions()}")
        live = live_profiles(ctx["instance"])
        print_live(live)
        names = {"BasicProfile", "AdvancedProfile", "TaggedProfile", "AdoptedProfile"}
        check(set(live) == names, f"expected profiles {sorted(names)} to exist, found {sorted(live)}")
        check(live["AdoptedProfile"]["SecurityProfileArn"] == ctx["adopted_arn"],
              "the adopted profile is not the one made out of band")
        check(live["AdvancedProfile"].get("AllowedAccessControlTags") is not None,
              "AdvancedProfile has no AllowedAccessControlTags")
        ctx["arns"] = {n: p["SecurityProfileArn"] for n, p in live.items()}

    def rerun() -> None:
        run = cloudforge(cloud, "up", example)
        check(run.exit_code == 0, f"cloudforge up exited {run.exit_code}")
        check(run.writes == 0, f"a no-op rerun made write calls: {dict(run.calls)}")
        changed = {k: v for k, v in run.actions().items() if v != "noop"}
        check(not changed, f"a rerun changed resources: {changed}")
        console.print(f"Cloud Control calls on the rerun: {dict(run.calls) or 'none'}; writes: 0.")

    def plan() -> None:
        run = cloudforge(cloud, "plan", "--detailed-exitcode", example, "--", "--description", NEW_DESCRIPTION)
        check(run.exit_code == 2, f"plan --detailed-exitcode exited {run.exit_code}, expected 2 (changes)")
        check(run.writes == 0, f"plan made write calls: {dict(run.calls)}")
        planned = {k: v for k, v in run.actions("planned").items() if v != "noop"}
        check(planned == {"basicSecurityProfile": "update"}, f"expected one update planned, got {planned}")

    def update() -> None:
        run = cloudforge(cloud, "up", example, "--", "--description", NEW_DESCRIPTION)
        check(run.exit_code == 0, f"cloudforge up exited {run.exit_code}")
        changed = {k: v for k, v in run.actions().items() if v != "noop"}
        check(changed == {"basicSecurityProfile": "update"}, f"expected one update, got {changed}")
        writes = {name: run.calls[name] for name in WRITES if run.calls[name]}
        check(writes == {"UpdateResource": 1}, f"expected exactly one UpdateResource, got {writes}")
        live = live_profiles(ctx["instance"])
        check(live["BasicProfile"].get("Description") == NEW_DESCRIPTION,
              f"BasicProfile's description is {live['BasicProfile'].get('Description')!r}")
        check(live["BasicProfile"]["SecurityProfileArn"] == ctx["arns"]["BasicProfile"],
              "the update replaced BasicProfile (its ARN changed)")
        print_live(live)

    def destroy() -> None:
        run = cloudforge(cloud, "destroy", example)
        check(run.exit_code == 0, f"cloudforge destroy exited {run.exit_code}")
        deleted = sorted(k for k, v in run.actions().items() if v == "delete")
        check(len(deleted) == 4, f"expected 4 deletes, got {deleted}")
        check(find_instance(ALIAS) is None or not live_profiles(ctx["instance"]),
              "profiles remain after destroy")
        check(find_instance(ALIAS) is None, "the example's Connect instance remains after destroy")
        console.print("Nothing is left: no profile, no Connect instance.")

    return [
        ("a Connect instance, and a profile made out of band", out_of_band),
        ("up: create three profiles, adopt the fourth", create),
        ("up again: no-op, zero write calls", rerun),
        ("plan a description change: one update, no writes", plan),
        ("up with the changed description: one in-place update", update),
        ("destroy: everything gone", destroy),
    ]


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="cloudforge-demo-") as workdir:
        # A fresh state store (.cloudforge/) and a local-cloud-only environment for this run.
        os.chdir(workdir)
        os.environ.update({
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
            "CLOUDFORGE_STAGE": "demo", "CONNECT_INSTANCE_ALIAS": ALIAS,
        })
        os.environ.pop("AWS_PROFILE", None)
        with LocalCloud(latency=0.2) as cloud:
            os.environ["AWS_ENDPOINT_URL"] = cloud.endpoint_url
            console.print(f"Local cloud at {cloud.endpoint_url} (0.2 s per Cloud Control request)\n")
            steps = demo(cloud)
            for number, (title, step) in enumerate(steps, 1):
                console.rule(f"step {number}/{len(steps)}: {title}")
                try:
                    step()
                except StepFailed as exc:
                    console.print(f"\nDemo FAILED at step {number} ({title}): {exc}", style="bold red")
                    return 1
                except Exception as exc:
                    console.print(f"\nDemo FAILED at step {number} ({title}): {type(exc).__name__}: {exc}",
                                  style="bold red")
                    return 1
                console.print(f"step {number} checked out.", style="green")
    console.print(f"\nDemo passed: all {len(steps)} steps checked out.", style="bold green")
    return 0


if __name__ == "__main__":
    sys.exit(main())
