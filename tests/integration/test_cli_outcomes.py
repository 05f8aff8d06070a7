"""Issue 13, findings 4 and 5: every outcome line `cloudforge up` prints is true.

Programs run through the CLI as subprocesses against the local cloud. The summary is derived
from what happened (an error is never preceded by `Apply complete`), configuration errors are
reported once before any resource line, a connection failure says nothing was reached, a
program's own error shows its own frames only, and a resource never awaited is named.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from cloudforge.state.backends import open_backend

from tests.local_helpers import cloudforge

WRITES = ("CreateResource", "UpdateResource", "DeleteResource")

HEADER = """
import asyncio, sys
from cloudforge import App
from cloudforge.aws.sqs import Queue

async def main():
{body}

asyncio.run(main())
"""


def program(folder: Path, body: str, name: str = "program.py") -> Path:
    path = folder / name
    indented = "\n".join(f"    {line}" for line in body.strip().splitlines())
    path.write_text(HEADER.format(body=indented))
    return path


def writes(cloud: Any) -> dict[str, int]:
    calls = cloud.calls()
    return {name: calls[name] for name in WRITES if calls[name]}


def queues() -> set[str]:
    listed = boto3.client("cloudcontrol").list_resources(TypeName="AWS::SQS::Queue")
    return {json.loads(d["Properties"])["QueueName"] for d in listed["ResourceDescriptions"]}


@pytest.fixture(autouse=True)
def _stage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFORGE_STAGE", "outcomes")


ERRORS = {
    "validation": ('async with App("o"):\n    await Queue("q", QueueName="q", DelaySeconds="x")',
                   "DelaySeconds: type: expected integer"),
    "import": ('import no_such_module_here\nasync with App("o"):\n    pass',
               "ModuleNotFoundError at program.py:7: No module named 'no_such_module_here'"),
    "division": ('async with App("o"):\n    await Queue("q", QueueName="q", DelaySeconds=1 // 0)',
                 "ZeroDivisionError at program.py:8: integer division or modulo by zero"),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_an_error_is_summed_up_as_failed_never_complete(
    local_cloud: Any, tmp_path: Path, case: str
) -> None:
    body, message = ERRORS[case]
    result = cloudforge("up", str(program(tmp_path, body)), cwd=tmp_path)

    assert result.returncode == 1
    assert "Apply complete" not in result.stdout
    assert result.stdout.splitlines()[-1].startswith("Apply failed: nothing changed (")
    assert message in result.stderr
    assert writes(local_cloud) == {}


def test_a_locked_stage_is_summed_up_as_failed(local_cloud: Any, tmp_path: Path) -> None:
    backend = open_backend(tmp_path / ".cloudforge")
    backend.lock("o/outcomes")
    try:
        result = cloudforge(
            "up", str(program(tmp_path, 'async with App("o"):\n    await Queue("q", QueueName="q")')),
            cwd=tmp_path,
        )
    finally:
        backend.unlock("o/outcomes")
        backend.close()

    assert result.returncode == 1
    assert "Apply complete" not in result.stdout
    assert "Apply failed: nothing changed" in result.stdout
    assert "is locked by" in result.stderr


def test_a_program_error_shows_the_programs_own_frames_only(local_cloud: Any, tmp_path: Path) -> None:
    body = """
def helper():
    return {}["missing"]
async with App("o"):
    helper()
"""
    result = cloudforge("up", str(program(tmp_path, body)), cwd=tmp_path)

    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "Error: KeyError at program.py:8: 'missing'"
    frames = [line.strip() for line in lines[1:] if line.strip().startswith("File ")]
    assert [f.split(", in ")[-1] for f in frames] == ["<module>", "main", "helper"]
    assert all(str(tmp_path / "program.py") in f for f in frames)
    assert "Traceback" not in result.stderr
    assert "runpy" not in result.stderr and "cloudforge" not in result.stderr


def test_a_cancelled_error_in_the_program_is_a_clean_message(local_cloud: Any, tmp_path: Path) -> None:
    body = 'async with App("o"):\n    raise asyncio.CancelledError'
    result = cloudforge("up", str(program(tmp_path, body)), cwd=tmp_path)

    assert result.returncode == 1
    assert result.stderr.startswith(
        "Error: the program was cancelled (asyncio.CancelledError at program.py:8)"
    )
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) < 10
    assert "Apply failed: nothing changed" in result.stdout


def test_sys_exit_zero_inside_the_app_is_not_reported_as_success(
    local_cloud: Any, tmp_path: Path
) -> None:
    body = """
async with App("o"):
    await Queue("a", QueueName="exit-a")
    if len(sys.argv) > 1:
        sys.exit(0)
    await Queue("b", QueueName="exit-b")
"""
    path = program(tmp_path, body)
    assert cloudforge("up", str(path), cwd=tmp_path).returncode == 0

    result = cloudforge("up", str(path), "--", "stop", cwd=tmp_path)

    assert result.returncode == 1
    assert "Apply complete" not in result.stdout
    assert "Apply failed: 1 unchanged, 1 skipped" in result.stdout
    assert "program.py exited (sys.exit) inside `async with App(...)`" in result.stderr
    assert "did not delete the 1 resource(s)" in result.stderr
    assert queues() == {"exit-a", "exit-b"}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"AWS_DEFAULT_REGION": "", "AWS_REGION": ""}, "no AWS region configured"),
        ({"AWS_ENDPOINT_URL": "127.0.0.1:4566"}, "is not an http(s) URL"),
        ({"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "",
          "AWS_SECURITY_TOKEN": ""}, "no AWS credentials found"),
    ],
    ids=["region", "endpoint", "credentials"],
)
def test_a_configuration_error_is_reported_once_before_any_resource_line(
    local_cloud: Any, tmp_path: Path, env: dict[str, str], message: str
) -> None:
    body = 'async with App("o"):\n    await asyncio.gather(*(Queue(f"r{i}", QueueName=f"r{i}") for i in range(3)))'
    result = cloudforge("up", str(program(tmp_path, body)), cwd=tmp_path, **env)

    assert result.returncode == 1
    assert result.stdout.splitlines() == [result.stdout.splitlines()[-1]]  # the summary alone
    assert result.stdout.startswith("Apply failed: nothing changed (")
    assert result.stderr.count(message) == 1
    assert "Creating" not in result.stdout
    assert sum(local_cloud.calls().values()) == 0


def test_connection_refused_says_nothing_was_reached(local_cloud: Any, tmp_path: Path) -> None:
    body = 'async with App("o"):\n    await Queue("q", QueueName="q")'
    # A port nothing listens on: the local cloud's own port, once it is closed, is not known to
    # be free, so take a fresh one from the OS and close it at once.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = cloudforge("up", str(program(tmp_path, body)), cwd=tmp_path,
                        AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}")

    assert result.returncode == 1
    assert f"could not connect to http://127.0.0.1:{port}, so nothing was reached" in result.stderr
    assert "unexpected answer" not in result.stdout + result.stderr
    assert "Apply failed: 1 failed (q)" in result.stdout
    # Nothing reached a server, so nothing is pending: the plan is a plain create.
    plan = cloudforge("plan", str(program(tmp_path, body)), cwd=tmp_path)
    assert plan.returncode == 0, plan.stderr
    assert "pending" not in plan.stdout
    assert "+ q (AWS::SQS::Queue) will be created" in plan.stdout


def test_ctrl_c_reports_requests_in_flight_as_interrupted_and_the_next_run_resumes_them(
    local_cloud: Any, tmp_path: Path
) -> None:
    local_cloud.faults.set_latency(2.0, type_name="AWS::SQS::Queue")
    body = (
        'async with App("o"):\n'
        '    await asyncio.gather(*(Queue(f"r{i}", QueueName=f"ctrl-c-{i}") for i in range(3)))'
    )
    path = program(tmp_path, body)
    script = Path(sys.executable).with_name("cloudforge")
    running = subprocess.Popen(
        [str(script), "up", str(path)], cwd=tmp_path, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
    )
    try:
        # Until the three creates are in flight: all three answered, and the first status read
        # made (0.7 s after the first answer; each RequestToken is journaled as its answer
        # arrives, and like requests wait for the first one's end instead of reading early, so
        # one read is the sign), checked in 20 ms steps; each create takes 2 s.
        for _ in range(600):
            calls = local_cloud.calls()
            if calls["CreateResource"] >= 3 and calls["GetResourceRequestStatus"] >= 1:
                break
            time.sleep(0.02)
        assert local_cloud.calls()["CreateResource"] == 3
        running.send_signal(signal.SIGINT)
        out, err = running.communicate(timeout=60)
    finally:
        running.kill()

    assert running.returncode == 130, err
    assert "failed" not in out + err
    assert out.count("Creating interrupted after") == 3
    assert out.splitlines()[-1].startswith("Apply interrupted: nothing changed (")
    assert out.splitlines()[-1].endswith(
        "3 requests in flight were recorded and will be resumed by the next run."
    )

    resumed = cloudforge("up", str(path), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert local_cloud.calls()["CreateResource"] == 3  # resumed, never sent again
    assert queues() == {"ctrl-c-0", "ctrl-c-1", "ctrl-c-2"}
    # One line to start and one to end each resource's resumed work.
    for i in range(3):
        lines = [line for line in resumed.stdout.splitlines() if line.startswith(f"r{i} ")]
        assert len(lines) == 2, lines
        assert lines[0].startswith(f"r{i} (AWS::SQS::Queue): Creating... (resuming the request")
        assert lines[1].startswith(f"r{i} (AWS::SQS::Queue): Creation complete after")
    assert "Apply complete: 3 created" in resumed.stdout


def test_a_resource_never_awaited_is_named_in_a_warning(local_cloud: Any, tmp_path: Path) -> None:
    body = 'async with App("o"):\n    Queue("q", QueueName="x")'
    result = cloudforge("up", str(program(tmp_path, body)), cwd=tmp_path)

    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        "Warning: Queue 'q' (AWS::SQS::Queue) was constructed but never awaited, so it was not "
        "deployed: `await` it (or pass it to asyncio.gather) (program.py:8)"
    ]
    assert writes(local_cloud) == {}


def test_strict_makes_a_resource_never_awaited_an_error_and_deletes_nothing(
    local_cloud: Any, tmp_path: Path
) -> None:
    first = 'async with App("o", strict=True):\n    await Queue("a", QueueName="strict-a")'
    assert cloudforge("up", str(program(tmp_path, first)), cwd=tmp_path).returncode == 0
    # `a` is no longer awaited: without strict it would be deleted as an orphan.
    body = 'async with App("o", strict=True):\n    Queue("a", QueueName="strict-a")'

    result = cloudforge("up", str(program(tmp_path, body)), cwd=tmp_path)

    assert result.returncode == 1
    assert "Apply failed" in result.stdout
    assert (
        "Error: 1 resource(s) constructed in the App were never awaited, so they were not "
        "deployed (and nothing was deleted): Queue 'a' (AWS::SQS::Queue) at program.py:8"
    ) in result.stderr
    assert queues() == {"strict-a"}
