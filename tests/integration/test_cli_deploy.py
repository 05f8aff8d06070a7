"""`cloudforge up | plan | destroy | import` as real subprocesses against the local cloud.

The local cloud runs in the test process; each subprocess finds it through AWS_ENDPOINT_URL and
keeps its state in the test's temporary folder. What the CLI reports is checked against what the
cloud saw (`calls()`) and holds (ListResources).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.local_helpers import cloudforge, connect_instance, wait_for

TYPE = "AWS::Connect::SecurityProfile"
WRITES = ("CreateResource", "UpdateResource", "DeleteResource", "CancelResourceRequest")
ANSI = re.compile(r"\x1b\[")

PROGRAM = '''
import asyncio, os, sys
from cloudforge import App
from cloudforge.aws.connect import SecurityProfile

DESCRIPTION = sys.argv[1] if len(sys.argv) > 1 else "first"

async def main():
    async with App("cli-test"):
        await SecurityProfile(
            "profile",
            InstanceArn=os.environ["TEST_INSTANCE_ARN"],
            SecurityProfileName="CliProfile",
            Description=DESCRIPTION,
            Permissions=["connect:StopContact"],
        )

asyncio.run(main())
'''


def writes(cloud: Any) -> dict[str, int]:
    calls = cloud.calls()
    return {name: calls[name] for name in WRITES if calls[name]}


def profiles(instance_arn: str) -> dict[str, dict[str, Any]]:
    listed = boto3.client("cloudcontrol").list_resources(
        TypeName=TYPE, ResourceModel=json.dumps({"InstanceArn": instance_arn})
    )
    return {
        props["SecurityProfileName"]: props
        for props in (json.loads(d["Properties"]) for d in listed["ResourceDescriptions"])
    }


@pytest.fixture
def instance(local_cloud: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    arn = connect_instance("cli-deploy")
    monkeypatch.setenv("TEST_INSTANCE_ARN", arn)
    monkeypatch.setenv("CLOUDFORGE_STAGE", "cli")
    return arn


@pytest.fixture
def program(tmp_path: Path) -> Path:
    path = tmp_path / "program.py"
    path.write_text(PROGRAM)
    return path


def test_up_plan_update_and_destroy_report_what_the_cloud_saw(
    local_cloud: Any, instance: str, program: Path, tmp_path: Path
) -> None:
    created = cloudforge("up", str(program), cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert "profile (AWS::Connect::SecurityProfile): Creating..." in created.stdout
    assert "Apply complete: 1 created" in created.stdout
    assert not ANSI.search(created.stdout + created.stderr)
    assert writes(local_cloud) == {"CreateResource": 1}
    assert profiles(instance)["CliProfile"]["Description"] == "first"

    local_cloud.reset_calls()
    again = cloudforge("up", str(program), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "Apply complete: 1 unchanged" in again.stdout
    assert writes(local_cloud) == {}

    unchanged_plan = cloudforge("plan", "--detailed-exitcode", str(program), cwd=tmp_path)
    assert unchanged_plan.returncode == 0, unchanged_plan.stderr
    assert "No changes" in unchanged_plan.stdout

    changed_plan = cloudforge("plan", "--detailed-exitcode", str(program), "--", "second", cwd=tmp_path)
    assert changed_plan.returncode == 2, changed_plan.stderr
    assert "~ profile (AWS::Connect::SecurityProfile) will be updated" in changed_plan.stdout
    assert '~ /Description: "first" -> "second"' in changed_plan.stdout
    assert "Plan: 1 to update" in changed_plan.stdout
    assert writes(local_cloud) == {}
    assert profiles(instance)["CliProfile"]["Description"] == "first"

    updated = cloudforge("up", str(program), "--", "second", cwd=tmp_path)
    assert updated.returncode == 0, updated.stderr
    assert "Apply complete: 1 updated" in updated.stdout
    assert writes(local_cloud) == {"UpdateResource": 1}
    assert profiles(instance)["CliProfile"]["Description"] == "second"

    local_cloud.reset_calls()
    destroyed = cloudforge("destroy", str(program), cwd=tmp_path)
    assert destroyed.returncode == 0, destroyed.stderr
    assert "Destroy complete: 1 deleted" in destroyed.stdout
    assert writes(local_cloud) == {"DeleteResource": 1}
    assert profiles(instance) == {}


def test_stages_keep_separate_state(local_cloud: Any, instance: str, program: Path, tmp_path: Path) -> None:
    first = cloudforge("up", "--stage", "one", str(program), cwd=tmp_path)
    assert first.returncode == 0, first.stderr

    # Same program, another stage: it has no record of the profile, so it tries to create it
    # and the name is taken (no adopt=True), which the user sees as an error.
    second = cloudforge("up", "--stage", "two", str(program), cwd=tmp_path)
    assert second.returncode == 1
    assert "adopt=True" in second.stdout + second.stderr
    assert "Traceback" not in second.stdout + second.stderr

    plan_one = cloudforge("plan", "--detailed-exitcode", "--stage", "one", str(program), cwd=tmp_path)
    assert plan_one.returncode == 0, plan_one.stderr


def test_refresh_recreates_a_resource_deleted_out_of_band(
    local_cloud: Any, instance: str, program: Path, tmp_path: Path
) -> None:
    assert cloudforge("up", str(program), cwd=tmp_path).returncode == 0
    arn = profiles(instance)["CliProfile"]["SecurityProfileArn"]
    client = boto3.client("cloudcontrol")
    token = client.delete_resource(TypeName=TYPE, Identifier=arn)["ProgressEvent"]["RequestToken"]
    wait_for(token)

    without = cloudforge("plan", "--detailed-exitcode", str(program), cwd=tmp_path)
    refreshed = cloudforge("up", "--refresh", str(program), cwd=tmp_path)

    assert without.returncode == 0, "without --refresh the state alone says nothing changed"
    assert refreshed.returncode == 0, refreshed.stderr
    assert "CliProfile" in profiles(instance)


def test_a_validation_error_is_one_message_with_the_property_path(
    local_cloud: Any, instance: str, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(PROGRAM.replace('"CliProfile"', '"no/slashes"'))

    result = cloudforge("up", str(bad), cwd=tmp_path)

    assert result.returncode == 1
    assert result.stderr.startswith("Error: ")
    assert "SecurityProfileName" in result.stderr
    assert "Traceback" not in result.stderr
    assert writes(local_cloud) == {}


def test_a_crash_in_the_program_names_the_line_not_a_traceback(local_cloud: Any, tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("x = 1\nraise RuntimeError('the program broke')\n")

    result = cloudforge("up", str(broken), cwd=tmp_path)

    assert result.returncode == 1
    assert "RuntimeError at broken.py:2: the program broke" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_program_that_exits_non_zero_fails_the_command(tmp_path: Path) -> None:
    quitter = tmp_path / "quitter.py"
    quitter.write_text("import sys\nsys.exit(3)\n")

    result = cloudforge("plan", str(quitter), cwd=tmp_path)

    assert result.returncode == 1
    assert "exit status 3" in result.stderr


def import_existing(cloud: Any, instance: str, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """A profile made by hand, and the program `cloudforge import` prints for it."""
    client = boto3.client("cloudcontrol")
    desired = {
        "InstanceArn": instance, "SecurityProfileName": "Existing", "Description": "made by hand",
        "Permissions": ["connect:CreateUser", "connect:DeleteUser"],
        "AllowedAccessControlTags": [{"Key": "Department", "Value": "Support"}],
    }
    token = client.create_resource(TypeName=TYPE, DesiredState=json.dumps(desired))["ProgressEvent"]["RequestToken"]
    wait_for(token)
    existing = profiles(instance)["Existing"]

    printed = cloudforge("import", TYPE, existing["SecurityProfileArn"], "--name", "existing", cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    imported = tmp_path / "imported.py"
    imported.write_text(printed.stdout)
    cloud.reset_calls()
    return imported, existing


def test_import_prints_a_program_declaring_the_readable_properties(
    local_cloud: Any, instance: str, tmp_path: Path
) -> None:
    imported, _ = import_existing(local_cloud, instance, tmp_path)
    source = imported.read_text()

    compile(source, str(imported), "exec")
    assert "from cloudforge.aws.connect import SecurityProfile" in source
    assert "adopt=True" in source
    assert "Description=\"made by hand\"" in source
    assert f'InstanceArn="{instance}"' in source
    for read_only in ("SecurityProfileArn=", "LastModifiedTime=", "LastModifiedRegion="):
        assert read_only not in source


def test_an_imported_program_adopts_the_resource_unchanged(
    local_cloud: Any, instance: str, tmp_path: Path
) -> None:
    imported, existing = import_existing(local_cloud, instance, tmp_path)

    adopted = cloudforge("up", str(imported), cwd=tmp_path)

    assert adopted.returncode == 0, adopted.stderr
    assert "1 adopted" in adopted.stdout
    calls = writes(local_cloud)
    assert "UpdateResource" not in calls and "DeleteResource" not in calls
    assert profiles(instance) == {"Existing": existing}
    after = cloudforge("plan", "--detailed-exitcode", str(imported), cwd=tmp_path)
    assert after.returncode == 0, "after adoption the resource is in state and unchanged"


def test_an_imported_program_makes_no_write_call_at_all(
    local_cloud: Any, instance: str, tmp_path: Path
) -> None:
    imported, _ = import_existing(local_cloud, instance, tmp_path)

    adopted = cloudforge("up", str(imported), cwd=tmp_path)

    assert adopted.returncode == 0, adopted.stderr
    assert writes(local_cloud) == {}, "the imported program declares exactly what exists"


def run_in_terminal(command: list[str], cwd: Path) -> tuple[int, str]:
    """Run `command` with a pseudo-terminal as stdout/stderr; its exit code and everything shown."""
    import pty
    import select

    leader, follower = pty.openpty()
    process = subprocess.Popen(command, stdin=follower, stdout=follower, stderr=follower, cwd=cwd,
                               env={**os.environ, "COLUMNS": "160", "TERM": "xterm"})
    os.close(follower)
    shown = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed: the process is gone
                break
            if not chunk:
                break
            shown += chunk
        elif process.poll() is not None:
            break
    os.close(leader)
    return process.wait(timeout=60), shown.decode(errors="replace")


def test_on_a_terminal_the_display_is_a_live_table(
    local_cloud: Any, instance: str, program: Path, tmp_path: Path
) -> None:
    script = Path(sys.executable).with_name("cloudforge")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "cloudforge.cli"]

    code, shown = run_in_terminal([*command, "up", str(program)], tmp_path)

    assert code == 0, shown
    assert ANSI.search(shown), "a terminal gets colour and cursor control"
    plain = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", shown)
    assert re.search(r"resource\s+type\s+operation\s+status\s+time", plain)
    assert re.search(r"profile\s+AWS::Connect::SecurityProfile\s+\+ create\s+succeeded\s+\d+\.\ds", plain)
    assert "Creating..." not in plain, "the plain per-step lines are for non-terminals only"
    assert "Apply complete: 1 created" in plain


def test_state_goes_where_state_says(local_cloud: Any, instance: str, program: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "team-state"

    result = cloudforge("up", "--state", str(elsewhere), str(program), cwd=tmp_path)
    again = cloudforge("plan", "--detailed-exitcode", "--state", str(elsewhere), str(program), cwd=tmp_path)
    default = cloudforge("plan", "--detailed-exitcode", str(program), cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert (elsewhere / "state.db").exists()
    assert again.returncode == 0, "the state in --state knows the profile"
    assert default.returncode == 2, "the default .cloudforge/ does not"
