"""`make demo` (examples/demo.py) passes, and when a step does not check out it says which.

The passing run is the real thing, a subprocess exactly as the Makefile runs it; the failing run
is the same driver in-process with the description change made invalid, so step 4 must fail.
Also: the example program's plan before its first deploy.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest

pytestmark = pytest.mark.slow  # the demo, end to end, through subprocesses

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo.py"


def load_demo(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("cloudforge_demo", DEMO)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_make_demo_passes_every_step(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(DEMO)], capture_output=True, text=True,
                            cwd=tmp_path, timeout=300)

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "Demo passed: all 6 steps checked out." in out
    assert "Apply complete: 3 created, 1 adopted" in out
    assert "Cloud Control calls on the rerun: none; writes: 0." in out
    assert "Apply complete: 1 updated, 3 unchanged" in out
    assert "Destroy complete: 4 deleted" in out
    assert out.count("/security-profile/") >= 8  # the tables of what exists, with ARNs
    assert "\x1b[" not in out  # piped: plain output


def test_a_step_that_does_not_check_out_is_named_and_fails_the_demo(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo = load_demo(monkeypatch)
    # The driver changes the environment and the working directory: have both restored after.
    monkeypatch.chdir(tmp_path)
    for name in ("AWS_ENDPOINT_URL", "CLOUDFORGE_STAGE", "CONNECT_INSTANCE_ALIAS", "AWS_REGION",
                 "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "placeholder")
    monkeypatch.setattr(demo, "NEW_DESCRIPTION", "x" * 300)  # longer than the schema's 250

    code = demo.main()

    out = capsys.readouterr().out
    assert code == 1
    assert "Demo FAILED at step 4 (plan a description change" in out
    assert "exited 1, expected 2" in out
    assert "Demo passed" not in out


def test_the_example_plans_before_anything_exists(local_cloud: Any, tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("cloudforge")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "cloudforge.cli"]
    example = ROOT / "examples" / "security_profiles.py"

    result = subprocess.run([*command, "plan", "--detailed-exitcode", str(example)], capture_output=True,
                            text=True, cwd=tmp_path, timeout=120)

    assert result.returncode == 2, result.stdout + result.stderr
    assert "Plan: 4 to create." in result.stdout
    assert boto3.client("connect").list_instances()["InstanceSummaryList"] == [], "plan creates nothing"
    assert not {"CreateResource", "UpdateResource", "DeleteResource"} & set(local_cloud.calls())


def test_destroy_keeps_a_connect_instance_the_example_did_not_make(local_cloud: Any, tmp_path: Path) -> None:
    connect = boto3.client("connect")
    mine = connect.create_instance(IdentityManagementType="CONNECT_MANAGED", InstanceAlias="production",
                                   InboundCallsEnabled=True, OutboundCallsEnabled=True)["Arn"]
    script = Path(sys.executable).with_name("cloudforge")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "cloudforge.cli"]
    example = str(ROOT / "examples" / "security_profiles.py")
    env = {**os.environ, "CONNECT_INSTANCE_ALIAS": "production"}

    up = subprocess.run([*command, "up", example], capture_output=True, text=True, cwd=tmp_path, env=env,
                        timeout=120)
    down = subprocess.run([*command, "destroy", example], capture_output=True, text=True, cwd=tmp_path,
                          env=env, timeout=120)

    assert up.returncode == 0, up.stderr
    assert down.returncode == 0, down.stderr
    assert "Destroy complete: 4 deleted" in down.stdout
    assert [i["Arn"] for i in connect.list_instances()["InstanceSummaryList"]] == [mine]
