"""Issue 13, findings 6 and 8: a write-only value (a secret) is never printed, in any path a
run takes (plan diff, apply, a failure whose message echoes the value, debug tracebacks, logs),
and a plan shows it only when the program changed it (the state's keyed hash decides).

Through the CLI against the local cloud, with CLOUDFORGE_DEBUG=1 on every run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.local_helpers import cloudforge

SECRET = "Hunter2-Secret-Value-QQ9"
OTHER = "Another-Secret-Value-ZZ4"

PROGRAM = """
import asyncio, logging, sys
from cloudforge import App
from cloudforge.aws.secretsmanager import Secret

# Every log line of cloudforge's printed. (botocore's own DEBUG logging prints request bodies:
# outside what cloudforge can mask, as the README says.)
logging.basicConfig(level=logging.INFO)
logging.getLogger("cloudforge").setLevel(logging.DEBUG)
secret, description = sys.argv[1], sys.argv[2]

async def main():
    async with App("write-only"):
        await Secret("db", Name="issue13-db", SecretString=secret, Description=description)

asyncio.run(main())
"""


@pytest.fixture(autouse=True)
def _stage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFORGE_STAGE", "write-only")
    monkeypatch.setenv("CLOUDFORGE_DEBUG", "1")


def run(tmp_path: Path, command: str, secret: str, description: str) -> tuple[int, str, str]:
    program = tmp_path / "program.py"
    program.write_text(PROGRAM)
    result = cloudforge(command, str(program), "--", secret, description, cwd=tmp_path)
    return result.returncode, result.stdout, result.stdout + result.stderr


def no_secret_in(text: str) -> None:
    for value in (SECRET, OTHER):
        assert value not in text
        assert json.dumps(value) not in text


def test_an_unchanged_write_only_value_is_not_in_the_plan(local_cloud: Any, tmp_path: Path) -> None:
    code, _, _ = run(tmp_path, "up", SECRET, "one")
    assert code == 0

    code, out, everything = run(tmp_path, "plan", SECRET, "two")
    assert code == 0
    assert '~ /Description: "one" -> "two"' in out
    assert "SecretString" not in out
    no_secret_in(everything)

    code, out, everything = run(tmp_path, "plan", OTHER, "one")
    assert code == 0
    assert '~ /SecretString: "(write-only value)" -> "(write-only value)"' in out
    assert "Description" not in out
    no_secret_in(everything)


def test_a_failure_that_echoes_the_secret_prints_it_masked(local_cloud: Any, tmp_path: Path) -> None:
    code, _, everything = run(tmp_path, "up", SECRET, "one")
    assert code == 0
    no_secret_in(everything)
    # A handler that repeats its input in its error message.
    local_cloud.faults.fail_handler(
        "InvalidRequest", first=1, operations=("UPDATE",), type_name="AWS::SecretsManager::Secret",
        message=f"SecretString {OTHER} does not meet the password policy",
    )

    code, out, everything = run(tmp_path, "up", OTHER, "one")

    assert code == 1
    assert "SecretString (write-only value) does not meet the password policy" in everything
    assert "Apply failed: 1 failed (db)" in out
    no_secret_in(everything)
