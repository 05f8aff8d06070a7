"""The README is a user's guide that works: its Python blocks run, its commands exist.

Every ```python block runs, top to bottom in one namespace as a reader would paste them, against
the local cloud (a block fenced ```python norun is skipped, and only a few are). The `cloudforge`
commands its shell blocks show must be commands the CLI has.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(language: str) -> list[tuple[int, str, str]]:
    """(line number, info string, code) of every fenced block whose info starts with `language`."""
    text = README.read_text()
    found = []
    for match in FENCE.finditer(text):
        info = match.group(1).strip()
        if info.split(" ")[0] == language:
            line = text.count("\n", 0, match.start(2)) + 1
            found.append((line, info, match.group(2)))
    return found


def test_the_readme_names_the_two_commands_and_the_makefile_has_them() -> None:
    text = README.read_text()
    makefile = (ROOT / "Makefile").read_text()

    assert "make demo" in text and "make test" in text
    assert re.search(r"^demo:", makefile, re.MULTILINE)
    assert re.search(r"^test:", makefile, re.MULTILINE)


def test_few_python_blocks_are_exempt_from_running() -> None:
    python = blocks("python")
    exempt = [info for _, info, _ in python if "norun" in info]

    assert len(python) >= 5
    assert len(exempt) <= 1


def test_every_python_block_runs_against_the_local_cloud(
    local_cloud: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLOUDFORGE_STAGE", "readme")
    namespace: dict[str, Any] = {"__name__": "__main__"}
    outputs: list[str] = []

    for line, info, code in blocks("python"):
        if "norun" in info:
            continue
        exec(compile(code, f"{README.name}:{line}", "exec"), namespace)
        outputs.append(capsys.readouterr().out)

    # The local-cloud block pointed AWS_ENDPOINT_URL at a cloud of its own, gone now.
    monkeypatch.setenv("AWS_ENDPOINT_URL", local_cloud.endpoint_url)
    first, examples, validation, destroy, stage_outputs, app, local = outputs
    arn = re.compile(r"arn:aws:connect:us-east-1:\d{12}:instance/[-\w]+/security-profile/[-\w]+")
    assert arn.fullmatch(first.strip()), first
    names = {line.split()[0] for line in examples.splitlines()}
    assert names == {"BasicProfile", "AdvancedProfile", "TaggedProfile", "AdoptedProfile"}
    assert len(arn.findall(examples)) == 4
    assert "SecurityProfileName" in validation
    assert destroy == ""
    assert app.strip() == "orders/42.json {'id': {'S': '42'}}"  # the application used what was deployed
    assert arn.fullmatch(stage_outputs.strip()), stage_outputs  # read back with StageOutputs
    listed = boto3.client("cloudcontrol").list_resources(
        TypeName="AWS::Connect::SecurityProfile",
        ResourceModel=json.dumps({"InstanceArn": namespace["instance_arn"]}),
    )
    assert listed["ResourceDescriptions"] == [], "the README's destroy block leaves nothing behind"
    # The local-cloud block deployed the first program into a cloud of its own and counted it.
    assert "'CreateResource': 1" in local and arn.search(local)


def test_every_cloudforge_command_the_readme_shows_exists() -> None:
    from cloudforge.cli import app

    commands: dict[str, Any] = app.commands
    shown = [
        line.split("#")[0].split()[1:3]
        for _, _, code in blocks("sh")
        for line in code.splitlines()
        if line.startswith("cloudforge ")
    ]

    assert shown
    for words in shown:
        command = commands.get(words[0])
        assert command is not None, f"README shows `cloudforge {words[0]}`, which does not exist"
        if hasattr(command, "commands"):  # a group: `schemas pull`
            assert words[1] in command.commands, f"README shows `cloudforge {' '.join(words)}`"
