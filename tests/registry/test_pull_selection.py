"""Choosing what to pull: `--all` (every bundled type of a region), `--service` (every type of a
service), explicit names, through the function, `python -m cloudforge.codegen pull` and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cloudforge.codegen.pull import select_types
from cloudforge.errors import SchemaError
from cloudforge.schemas.loading import cfn_lint_bundle


def test_all_is_every_bundled_type_of_the_region() -> None:
    names = select_types(all_types=True)
    assert names == sorted(cfn_lint_bundle()) and len(names) > 1800


def test_service_selects_its_types_in_either_spelling() -> None:
    connect = select_types(services=["connect"])
    assert "AWS::Connect::SecurityProfile" in connect
    assert all(n.startswith("AWS::Connect::") for n in connect)
    assert select_types(services=["AWS::Connect"]) == connect
    both = select_types(["AWS::S3::Bucket"], services=["connect"])
    assert both == sorted([*connect, "AWS::S3::Bucket"])


def test_an_unknown_service_is_an_actionable_error() -> None:
    with pytest.raises(SchemaError, match="no bundled types for service"):
        select_types(services=["connnect"])


def test_module_entry_point_pulls_a_service(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cloudforge.codegen", "pull", "--service", "connect",
         "--region", "us-east-1", "--dest", str(tmp_path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    manifest = json.loads((tmp_path / "manifest.json").read_text())["types"]
    assert sorted(manifest) == select_types(services=["connect"])
    assert {entry["region"] for entry in manifest.values()} == {"us-east-1"}
    assert len(done.stdout.splitlines()) == len(manifest)


def test_cli_pulls_a_service(tmp_path: Path) -> None:
    from click.testing import CliRunner
    from cloudforge.cli import app

    result = CliRunner().invoke(
        app, ["schemas", "pull", "--service", "iot", "--dest", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "aws-iot-thing.json").is_file()
    nothing = CliRunner().invoke(app, ["schemas", "pull", "--dest", str(tmp_path)])
    assert nothing.exit_code == 2 and "--all" in nothing.output
