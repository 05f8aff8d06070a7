"""The import rules between the runtime's parts: the generator stays off the run-time path.

`cloudforge.codegen` (and its dependencies: datamodel-code-generator, jinja2, cfn-lint) is for
`cloudforge codegen` and `cloudforge schemas pull` only. Deploying, reading and importing, and the
local cloud, load schemas and patterns through `cloudforge.schemas`. Each check runs in a fresh
interpreter, since this test process has long imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from cloudforge.local import LocalCloud

ROOT = Path(__file__).resolve().parents[2]

LOADED = "sorted(m for m in sys.modules if m.startswith('cloudforge.codegen'))"

# Runs every run-time command through the CLI's entry point, in one process, against a local cloud
# started in that process; prints, per command, its exit code and the generator modules loaded.
COMMANDS = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    import boto3
    import click
    from cloudforge.cli import app
    from cloudforge.local import LocalCloud

    work = Path(sys.argv[1])
    report = []

    def loaded():
        return sorted(m for m in sys.modules if m.startswith("cloudforge.codegen"))

    def run(*args):
        try:
            code = app.main(list(args), standalone_mode=False)
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        report.append({"args": list(args), "code": code or 0, "codegen": loaded()})

    with LocalCloud(port=0) as cloud:
        import os
        os.environ["AWS_ENDPOINT_URL"] = cloud.endpoint_url
        instance = boto3.client("connect").create_instance(
            IdentityManagementType="CONNECT_MANAGED", InstanceAlias="rules",
            InboundCallsEnabled=True, OutboundCallsEnabled=True,
        )["Arn"]
        program = work / "program.py"
        program.write_text(
            "import asyncio\\n"
            "from cloudforge import App\\n"
            "from cloudforge.aws.connect import SecurityProfile\\n"
            "async def main() -> None:\\n"
            "    async with App('rules', state_dir=" + repr(str(work / "state")) + ") as app:\\n"
            "        await SecurityProfile('profile', InstanceArn=" + repr(instance) + ",\\n"
            "                              SecurityProfileName='Rules')\\n"
            "asyncio.run(main())\\n"
        )
        common = ["--stage", "test"]
        run("plan", str(program), *common)
        run("up", str(program), *common)
        client = boto3.client("cloudcontrol")
        arn = client.list_resources(
            TypeName="AWS::Connect::SecurityProfile",
            ResourceModel=json.dumps({"InstanceArn": instance}),
        )["ResourceDescriptions"][0]["Identifier"]
        run("get", "AWS::Connect::SecurityProfile", arn)
        run("list", "AWS::Connect::SecurityProfile", "--model", "InstanceArn=" + instance)
        run("import", "AWS::Connect::SecurityProfile", arn, "--output", str(work / "imported.py"))
        run("destroy", str(program), *common)
    print("REPORT " + json.dumps(report))
    """
)


def python(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT,
                          check=False)


def test_importing_the_cli_and_the_local_cloud_loads_no_generator() -> None:
    result = python(
        "-c", f"import cloudforge.cli, cloudforge.local, sys; print({LOADED}); assert not {LOADED}"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_run_time_commands_never_import_the_generator(tmp_path: Path) -> None:
    result = python("-c", COMMANDS, str(tmp_path))
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("REPORT "))
    report = json.loads(line.removeprefix("REPORT "))
    assert [r["args"][0] for r in report] == ["plan", "up", "get", "list", "import", "destroy"]
    for entry in report:
        assert entry["code"] == 0, (entry, result.stdout, result.stderr)
        assert entry["codegen"] == [], f"`cloudforge {entry['args'][0]}` imported {entry['codegen']}"
    # The commands did their work (each exited 0): the profile up made was imported back.
    imported = (tmp_path / "imported.py").read_text()
    assert "SecurityProfile(" in imported and "Rules" in imported


def test_the_generator_commands_do_load_it() -> None:
    """The check above would pass vacuously if nothing could import the generator."""
    result = python(
        "-c",
        "import sys\n"
        "from cloudforge.cli import generate\n"
        "try:\n"
        "    generate.codegen.callback(schemas=__import__('pathlib').Path('/nonexistent'), out=__import__('pathlib').Path('/nonexistent'))\n"
        "except BaseException:\n"
        "    pass\n"
        f"print({LOADED})",
    )
    assert result.returncode == 0, result.stderr
    assert "cloudforge.codegen.generate" in result.stdout


# Issue 14, cold start: the CLI is click, not typer (whose pydantic adapter per option cost half
# the no-op budget). Runs `cloudforge plan` through the console script's entry point in a fresh
# interpreter and reports the CLI framework and pydantic modules it loaded.
NO_OP_PROBE = """
import json, sys
sys.argv = ["cloudforge", "plan", sys.argv[1]]
from cloudforge.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
roots = {m.split(".")[0] for m in sys.modules}
print(json.dumps({"code": code or 0, "loaded": sorted(roots & {"click", "typer", "pydantic", "pydantic_core"})}),
      file=sys.stderr)
"""

ONE_QUEUE = """
import asyncio
from cloudforge import App
from cloudforge.aws.sqs import Queue

async def main():
    async with App("no-op"):
        await Queue("q", QueueName="no-op-plan")

asyncio.run(main())
"""


def test_a_no_op_plan_through_the_cli_loads_neither_typer_nor_pydantic(
    local_cloud: LocalCloud, tmp_path: Path
) -> None:
    program = tmp_path / "prog.py"
    program.write_text(ONE_QUEUE)
    first = subprocess.run([sys.executable, "-m", "cloudforge.cli", "up", str(program)], cwd=tmp_path,
                           capture_output=True, text=True, timeout=120, check=False)
    assert first.returncode == 0, first.stderr
    local_cloud.reset_calls()

    probe = subprocess.run([sys.executable, "-c", NO_OP_PROBE, str(program)], cwd=tmp_path,
                           capture_output=True, text=True, timeout=120, check=False)

    result = json.loads(probe.stderr.strip().splitlines()[-1])
    assert result == {"code": 0, "loaded": ["click"]}, probe.stdout + probe.stderr
    assert "No changes" in probe.stdout, probe.stdout  # a plan ran, and found nothing to do
    assert sum(local_cloud.calls().values()) == 0
