"""Issue 13, findings 6, 7 and 9: what `cloudforge up` says about bad declared properties.

Each program runs through the CLI as a subprocess against the local cloud; validation happens
before any call, so the cloud must see none. Secrets (write-only values) never appear in any
output, with CLOUDFORGE_DEBUG=1 (tracebacks) as without; every problem is listed at once,
unknown properties first with their did-you-mean; values JSON cannot carry are errors naming
their path.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.local_helpers import cloudforge

SECRET = "S3cr3t-Db-Pass-QX7"
WRITES = ("CreateResource", "UpdateResource", "DeleteResource")

HEADER = """
import asyncio, datetime
from cloudforge import App
from cloudforge.aws.connect import SecurityProfile
from cloudforge.aws.iam import User
from cloudforge.aws.secretsmanager import Secret
from cloudforge.aws.sqs import Queue

SECRET = {secret!r}

async def main():
    async with App("messages"):
{body}

asyncio.run(main())
"""


def write_program(folder: Path, body: str) -> Path:
    program = folder / "program.py"
    indented = "\n".join(f"        {line}" for line in body.strip().splitlines())
    program.write_text(HEADER.format(secret=SECRET, body=indented))
    return program


def outputs(folder: Path, body: str, cloud: Any) -> tuple[int, str]:
    """Exit code and everything the CLI printed (with and without CLOUDFORGE_DEBUG)."""
    program = write_program(folder, body)
    plain = cloudforge("up", str(program), cwd=folder)
    debug = cloudforge("up", str(program), cwd=folder, CLOUDFORGE_DEBUG="1")
    assert plain.returncode == debug.returncode
    calls = cloud.calls()
    assert not any(calls[name] for name in WRITES), "validation comes before any call"
    return plain.returncode, "\n".join([plain.stdout, plain.stderr, debug.stdout, debug.stderr])


# Every way a secret reached a message in the issue: a dict, a huge value, a list, bytes, a
# nested write-only value given the wrong shape, and a parent given as a plain string.
SECRET_CASES = {
    "dict": 'await Secret("db", Name="db", SecretString={"username": "admin", "password": SECRET})',
    "huge": 'await Secret("db", Name="db", SecretString=SECRET * 5000)',
    "list": 'await Secret("db", Name="db", SecretString=[SECRET])',
    "bytes": 'await Secret("db", Name="db", SecretString=SECRET.encode())',
    "nested": 'await User("u", UserName="u", LoginProfile={"Password": [SECRET]})',
    "parent": 'await User("u", UserName="u", LoginProfile=SECRET)',
    "parent-extra": 'await User("u", UserName="u", LoginProfile={"Password": SECRET, "Bogus": 1})',
}


@pytest.mark.parametrize("case", sorted(SECRET_CASES))
def test_a_write_only_value_is_never_printed_by_validation(
    local_cloud: Any, tmp_path: Path, case: str
) -> None:
    code, printed = outputs(tmp_path, SECRET_CASES[case], local_cloud)

    assert code == 1
    assert "Error: " in printed
    assert SECRET not in printed
    assert SECRET[:20] not in printed  # not even a truncated form
    assert json.dumps(SECRET) not in printed


def test_a_wrongly_typed_secret_says_write_only_value(local_cloud: Any, tmp_path: Path) -> None:
    code, printed = outputs(tmp_path, SECRET_CASES["dict"], local_cloud)

    assert code == 1
    assert "SecretString: type: expected string (got (write-only value))" in printed


def test_every_problem_is_listed_unknown_properties_first(local_cloud: Any, tmp_path: Path) -> None:
    # The repro: a misspelt required property used to report only the missing one.
    body = (
        'await SecurityProfile("p", InstanceArn="arn:aws:connect:us-east-1:123456789012:'
        'instance/abc", SecurityProfilName="x", Description="d" * 300)'
    )
    code, printed = outputs(tmp_path, body, local_cloud)

    assert code == 1
    lines = [line.strip() for line in printed.splitlines()]
    start = lines.index(
        "Error: AWS::Connect::SecurityProfile 'p': 3 problems in the declared properties:"
    )
    assert lines[start + 1 : start + 4] == [
        "SecurityProfilName: additionalProperties: unknown property; did you mean "
        "'SecurityProfileName'?",
        "SecurityProfileName: required: a required property is missing",
        # A long value is cut, its length counted.
        "Description: maxLength: longer than 250 characters (got '" + "d" * 119
        + "... (302 characters))",
    ]


@pytest.mark.parametrize(
    ("value", "path", "problem"),
    [
        ("datetime.datetime(2020, 1, 1)", "Tags[0].Value", "a datetime; pass value.isoformat()"),
        ('b"bytes"', "Tags[0].Value", "bytes; decode them to a str"),
        ('{"a", "b"}', "Tags[0].Value", "a set; pass a list"),
    ],
)
def test_a_value_json_cannot_carry_is_a_validation_error_with_its_path(
    local_cloud: Any, tmp_path: Path, value: str, path: str, problem: str
) -> None:
    code, printed = outputs(
        tmp_path, f'await Queue("q", QueueName="q", Tags=[{{"Key": "k", "Value": {value}}}])',
        local_cloud,
    )

    assert code == 1
    assert f"Error: AWS::SQS::Queue 'q': {path}: type: not a JSON value: {problem}" in printed
    assert "not JSON serializable" not in printed and "TypeError" not in printed


@pytest.mark.parametrize("number", ['float("nan")', 'float("inf")', '-float("inf")'])
def test_nan_and_infinity_are_refused(local_cloud: Any, tmp_path: Path, number: str) -> None:
    code, printed = outputs(
        tmp_path, f'await Queue("q", QueueName="q", DelaySeconds={number})', local_cloud
    )

    assert code == 1
    assert "DelaySeconds: type: NaN and infinity are not JSON numbers" in printed


def test_a_value_nested_too_deep_is_named_not_a_recursion_error(
    local_cloud: Any, tmp_path: Path
) -> None:
    body = """
deep = node = {}
for _ in range(5000):
    node["a"] = node = {}
await Queue("q", QueueName="q", RedrivePolicy=deep)
"""
    code, printed = outputs(tmp_path, body, local_cloud)

    assert code == 1
    assert "RedrivePolicy: depth: nested more than 100 levels deep" in printed
    assert "RecursionError" not in printed
