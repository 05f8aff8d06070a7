"""A no-op `cloudforge plan` / `up` (state says unchanged, no --refresh) loads neither boto3,
botocore nor the generator: a process that makes no call pays for none of them (issue 14).
Nor, when the output is not a terminal, rich (plain lines need none), nor jsonpatch (nothing
to patch), nor the request machinery: executors, request runner, poller, rate limiter, the
call thread pool, nor what only a call or a new secret needs (random, secrets)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cloudforge.local import LocalCloud

PROGRAM = """
import asyncio
from cloudforge import App
from cloudforge.aws.sqs import Queue

async def main():
    async with App("cold"):
        await Queue("q", QueueName="cold-start-q")

asyncio.run(main())
"""

# Runs the CLI in this interpreter, then reports which heavy modules it loaded.
PROBE = """
import json, sys
REQUEST_MACHINERY = {"cloudforge.engine.executors", "cloudforge.engine.requests",
                     "cloudforge.engine.adoption", "cloudforge.cloud.polling",
                     "cloudforge.cloud.ratelimit",
                     # a call's thread pool and retry jitter; a new state key or salt
                     "concurrent.futures.thread", "random", "secrets"}
sys.argv = ["cloudforge", *sys.argv[1:]]
from cloudforge.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
heavy = sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in ("boto3", "botocore", "moto", "rich", "jsonpatch")}
               | {m for m in sys.modules if m == "cloudforge.codegen" or m.startswith("cloudforge.codegen.")}
               | {m for m in sys.modules if m == "cloudforge.local"}
               | {m for m in sys.modules if m in REQUEST_MACHINERY})
print(json.dumps({"code": code, "heavy": heavy}), file=sys.stderr)
"""


def probe(command: str, program: Path, cwd: Path) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_INTERACTIVE")}
    proc = subprocess.run([sys.executable, "-c", PROBE, command, str(program)], cwd=cwd,
                          capture_output=True, text=True, timeout=120, env=env)
    result: dict[str, object] = json.loads(proc.stderr.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("command", ["plan", "up"])
def test_a_no_op_run_imports_no_aws_sdk_and_no_generator(local_cloud: LocalCloud, tmp_path: Path,
                                                         command: str) -> None:
    program = tmp_path / "cold.py"
    program.write_text(PROGRAM)
    first = subprocess.run([sys.executable, "-m", "cloudforge.cli", "up", str(program)], cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    local_cloud.reset_calls()
    result = probe(command, program, tmp_path)
    assert result == {"code": 0, "heavy": []}
    assert sum(local_cloud.calls().values()) == 0


def test_a_run_that_calls_aws_still_loads_the_sdk(local_cloud: LocalCloud, tmp_path: Path) -> None:
    # The probe sees boto3 when a call is made, so the test above is not vacuous.
    program = tmp_path / "cold.py"
    program.write_text(PROGRAM)
    result = probe("up", program, tmp_path)
    assert result["code"] == 0
    assert "boto3" in result["heavy"]  # type: ignore[operator]
    assert "cloudforge.cloud.ratelimit" in result["heavy"]  # type: ignore[operator]
    assert "cloudforge.engine.executors" in result["heavy"]  # type: ignore[operator]


GC_PROGRAM = """
import asyncio, gc, sys
from cloudforge import App
from cloudforge.aws.sqs import Queue

print("while starting:", gc.isenabled(), gc.get_freeze_count() > 0, file=sys.stderr)

async def main():
    async with App("cold-gc"):
        await Queue("q", QueueName="cold-gc-q")
        print("after the first resource:", gc.isenabled(), gc.get_freeze_count() > 0, file=sys.stderr)

asyncio.run(main())
"""


def test_the_collector_is_off_while_a_program_starts_and_on_from_its_first_resource(
    local_cloud: LocalCloud, tmp_path: Path,
) -> None:
    program = tmp_path / "gc_program.py"
    program.write_text(GC_PROGRAM)
    for command in ("up", "plan"):
        proc = subprocess.run([sys.executable, "-m", "cloudforge.cli", command, str(program)], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert "while starting: False False" in proc.stderr
        # The console script froze what its start made (cli.startup): on, and frozen.
        assert "after the first resource: True True" in proc.stderr


def test_a_cli_run_inside_another_process_freezes_nothing(local_cloud: LocalCloud, tmp_path: Path) -> None:
    # click's CliRunner (tests, tools) runs a command without the console script's `main`: the
    # collector is paused and resumed as for `main`, but nothing of the host process is frozen.
    program = tmp_path / "gc_program.py"
    program.write_text(GC_PROGRAM)
    probe = (
        "import gc, sys\n"
        "from click.testing import CliRunner\n"
        "from cloudforge.cli import build\n"
        f"result = CliRunner().invoke(build(), ['plan', {str(program)!r}])\n"
        "print(result.output)\n"
        "print('exit:', result.exit_code, 'frozen:', gc.get_freeze_count(), 'on:', gc.isenabled())\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert "exit: 0 frozen: 0 on: True" in proc.stdout, proc.stdout + proc.stderr
    assert "after the first resource: True False" in proc.stdout


def test_importing_the_cli_or_running_any_command_leaves_the_collector_on(tmp_path: Path) -> None:
    probe = (
        "import gc, sys\n"
        "import cloudforge.cli\n"
        "print('after import:', gc.isenabled(), gc.get_freeze_count())\n"
        "sys.argv = ['cloudforge', 'stages']\n"
        "try:\n"
        "    cloudforge.cli.main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('after a command:', gc.isenabled())\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert "after import: True 0" in proc.stdout, proc.stderr  # a library import freezes nothing
    assert "after a command: True" in proc.stdout, proc.stderr


# The console script's entry point, in a fresh interpreter, with every collection noted: the
# program prints how many ran before its first resource.
CONSOLE_PROBE = """
import gc, sys, types
log = sys.modules["collections_log"] = types.ModuleType("collections_log")
log.generations = []
gc.callbacks.append(lambda phase, info: phase == "start" and log.generations.append(info["generation"]))
sys.argv = ["cloudforge", *sys.argv[1:]]
from cloudforge.console import main
log.generations.clear()  # from here on: what the console script does
main()
"""

COUNTING_PROGRAM = """
import asyncio, sys
import collections_log
from cloudforge import App
from cloudforge.aws.sqs import Queue

print("collections at the program's start:", len(collections_log.generations), file=sys.stderr)

async def main():
    async with App("cold-console"):
        print("collections before the first resource:", len(collections_log.generations), file=sys.stderr)
        await Queue("q", QueueName="cold-console-q")

asyncio.run(main())
"""


def test_the_console_script_runs_no_collection_before_the_first_resource(
    local_cloud: LocalCloud, tmp_path: Path,
) -> None:
    # `cloudforge.console` turns the collector off before `cloudforge.cli` (click) is imported,
    # so the resume at the end of that import (kept for library use) lets no pass through.
    from importlib.metadata import entry_points

    (script,) = entry_points(group="console_scripts", name="cloudforge")
    assert script.value == "cloudforge.console:main"
    program = tmp_path / "counting.py"
    program.write_text(COUNTING_PROGRAM)
    for command in ("up", "plan"):
        proc = subprocess.run([sys.executable, "-c", CONSOLE_PROBE, command, str(program)], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert "collections at the program's start: 0" in proc.stderr
        assert "collections before the first resource: 0" in proc.stderr
