"""The `cloudforge` command as a real subprocess: get, list, local, help and exit codes.

The local cloud runs in the test process (the `local_cloud` fixture); the subprocess reaches it
through AWS_ENDPOINT_URL, as a user's shell would.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from cloudforge.cli import app

from tests.local_helpers import cloudforge, connect_instance, wait_for

TYPE = "AWS::Connect::SecurityProfile"
ANSI = re.compile(r"\x1b\[")


def make_profile(instance_arn: str, name: str, **props: Any) -> str:
    """A profile made out of band with plain boto3; returns its ARN (the primary identifier)."""
    client = boto3.client("cloudcontrol")
    desired = {"InstanceArn": instance_arn, "SecurityProfileName": name, **props}
    token = client.create_resource(TypeName=TYPE, DesiredState=json.dumps(desired))["ProgressEvent"]["RequestToken"]
    return str(wait_for(token)["Identifier"])


def test_get_prints_the_live_properties_as_json(local_cloud: Any) -> None:
    instance = connect_instance("cli-tests")
    arn = make_profile(instance, "Reader", Description="read me", Permissions=["connect:StopContact"])

    result = cloudforge("get", TYPE, arn)

    assert result.returncode == 0, result.stderr
    props = json.loads(result.stdout)
    assert props["SecurityProfileArn"] == arn
    assert props["Description"] == "read me"
    assert props["Permissions"] == ["connect:StopContact"]


def test_get_of_a_missing_resource_is_an_error_message_not_a_traceback(local_cloud: Any) -> None:
    instance = connect_instance("cli-tests")

    result = cloudforge("get", TYPE, f"{instance}/security-profile/does-not-exist")

    assert result.returncode == 1
    assert result.stderr.startswith("Error: ")
    assert "not found" in result.stderr.lower()
    assert "Traceback" not in result.stderr


def test_get_of_an_unknown_type_names_the_type(local_cloud: Any) -> None:
    result = cloudforge("get", "AWS::Nope::Thing", "x")

    assert result.returncode == 1
    assert "AWS::Nope::Thing" in result.stderr
    assert "Traceback" not in result.stderr


def test_list_prints_one_identifier_per_line_filtered_by_model(local_cloud: Any) -> None:
    first, second = connect_instance("first"), connect_instance("second")
    mine = {make_profile(first, "One"), make_profile(first, "Two")}
    make_profile(second, "Elsewhere")

    result = cloudforge("list", TYPE, "--model", f"InstanceArn={first}")

    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == mine


def test_list_json_carries_the_properties(local_cloud: Any) -> None:
    instance = connect_instance("cli-tests")
    arn = make_profile(instance, "Listed", Description="in a list")

    result = cloudforge("list", TYPE, "-m", f"InstanceArn={instance}", "--json")

    assert result.returncode == 0, result.stderr
    [item] = json.loads(result.stdout)
    assert item["Identifier"] == arn
    assert item["Properties"]["Description"] == "in a list"


def test_list_without_the_required_model_says_how_to_pass_it(local_cloud: Any) -> None:
    result = cloudforge("list", TYPE)

    assert result.returncode == 1
    assert "InstanceArn" in result.stderr
    assert "--model" in result.stderr


def test_a_malformed_model_pair_is_a_usage_error() -> None:
    result = cloudforge("list", TYPE, "--model", "InstanceArn")

    assert result.returncode == 2
    assert "KEY=VALUE" in result.stderr


def test_usage_errors_exit_2_with_plain_output() -> None:
    for args in ([], ["nope"], ["up"], ["up", "/no/such/program.py"], ["get", TYPE]):
        result = cloudforge(*args)

        assert result.returncode == 2, args
        assert "Usage:" in result.stdout + result.stderr
        assert not ANSI.search(result.stdout + result.stderr)


@pytest.mark.parametrize("command", [[], ["up"], ["plan"], ["destroy"], ["local"], ["codegen"],
                                     ["schemas", "pull"], ["get"], ["list"], ["import"], ["unlock"]])
def test_every_command_has_plain_help(command: list[str]) -> None:
    # In-process (the subprocess path is the one above): help is the same text either way.
    result = CliRunner().invoke(app, [*command, "--help"], prog_name="cloudforge")

    assert result.exit_code == 0, result.output
    assert "Usage: cloudforge" in result.output
    assert not ANSI.search(result.output)


def test_plan_help_documents_the_detailed_exit_code() -> None:
    result = CliRunner().invoke(app, ["plan", "--help"], prog_name="cloudforge")

    assert "--detailed-exitcode" in result.output
    assert "--refresh" in result.output and "--stage" in result.output


class CtrlC(io.RawIOBase):
    """Standard input on which the user presses Ctrl-C."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        raise KeyboardInterrupt


def test_ctrl_c_outside_a_program_exits_130_too(tmp_path: Path) -> None:
    # `state import -` waits on standard input; Ctrl-C there is 130 (128 + SIGINT) as in a
    # program's run, not click's own "Aborted!" and 1.
    result = CliRunner().invoke(app, ["state", "import", "-", "--state", str(tmp_path)],
                                input=io.BufferedReader(CtrlC()))

    assert result.exit_code == 130, result.output
    assert "Aborted" not in result.output


def test_local_serves_cloud_control_and_moto_on_one_port(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("cloudforge")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "cloudforge.cli"]
    server = subprocess.Popen([*command, "local", "--port", "0", "--state", str(tmp_path / "state.json")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, f"no endpoint announced: {line!r}"
        endpoint = match.group(0)

        instance = boto3.client("connect", endpoint_url=endpoint).create_instance(
            IdentityManagementType="CONNECT_MANAGED", InstanceAlias="served",
            InboundCallsEnabled=True, OutboundCallsEnabled=True,
        )["Arn"]
        listed = boto3.client("cloudcontrol", endpoint_url=endpoint).list_resources(
            TypeName=TYPE, ResourceModel=json.dumps({"InstanceArn": instance})
        )
        assert listed["ResourceDescriptions"] == []
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_schemas_pull_then_codegen_gives_an_importable_class(tmp_path: Path) -> None:
    schemas, out = tmp_path / "schemas", tmp_path / "generated"

    pulled = cloudforge("schemas", "pull", "AWS::Logs::LogGroup", "--dest", str(schemas))
    generated = cloudforge("codegen", "--schemas", str(schemas), "--out", str(out))

    assert pulled.returncode == 0, pulled.stderr
    assert json.loads((schemas / "aws-logs-loggroup.json").read_text())["typeName"] == "AWS::Logs::LogGroup"
    assert "make codegen" in pulled.stdout
    assert generated.returncode == 0, generated.stderr
    module = (out / "aws" / "logs" / "log_group.py").read_text()
    assert "class LogGroup(" in module
    assert "AWS::Logs::LogGroup" in (out / "aws" / "_index.py").read_text()


def test_schemas_pull_of_an_unknown_type_is_an_error(tmp_path: Path) -> None:
    result = cloudforge("schemas", "pull", "AWS::Nope::Nope", "--dest", str(tmp_path))

    assert result.returncode == 1
    assert "AWS::Nope::Nope" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.glob("*.json"))


def test_schemas_pull_of_a_misspelt_type_offers_a_did_you_mean_and_the_cli_flag(tmp_path: Path) -> None:
    # Issue 13: the message named the Python argument (source='aws'), not the CLI's --from aws.
    result = cloudforge("schemas", "pull", "AWS::S3::Buckett", "--dest", str(tmp_path))

    assert result.returncode == 1
    assert result.stderr.startswith(
        "Error: no schema for AWS::S3::Buckett in the cfn-lint bundle (us-east-1); "
        "did you mean AWS::S3::Bucket?"
    )
    assert "`--from aws`" in result.stderr
    assert "source=" not in result.stderr
    assert not list(tmp_path.glob("*.json"))


def test_schemas_pull_from_an_unknown_source_is_a_usage_error(tmp_path: Path) -> None:
    result = cloudforge("schemas", "pull", "AWS::S3::Bucket", "--from", "nowhere", "--dest", str(tmp_path))

    assert result.returncode == 2
    assert "--from" in result.stderr


def test_version() -> None:
    result = cloudforge("--version")

    assert result.returncode == 0
    assert re.fullmatch(r"cloudforge \d+\.\d+\.\d+\S*\n", result.stdout)
