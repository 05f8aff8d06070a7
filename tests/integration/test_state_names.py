"""Issue 12, findings 1, 5 and 6: names that cannot collide, checked before any call.

App names, stage names and logical ids have one documented form (cloudforge.names); what lies
outside it fails at `App(...)` / resource construction, so two (app, stage) pairs can never share
a state or a lock, and `cloudforge import` gives each imported resource an app of its own.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from cloudforge import App
from cloudforge.aws.secretsmanager import Secret
from cloudforge.errors import CloudforgeError
from cloudforge.local import LocalCloud
from cloudforge.state.sqlite import SqliteState

from tests.local_helpers import cloudforge, wait_for

PROGRAM = '''
import asyncio, sys
from cloudforge import App
from cloudforge.aws.secretsmanager import Secret

async def main():
    async with App(sys.argv[1]):
        await Secret(sys.argv[2], Name=sys.argv[2] + "-secret", SecretString="s3cret-value")

asyncio.run(main())
'''


def secrets() -> list[str]:
    """The secrets the cloud holds, through Cloud Control."""
    listed = boto3.client("cloudcontrol").list_resources(TypeName="AWS::SecretsManager::Secret")
    return sorted(json.loads(d["Properties"])["Name"] for d in listed["ResourceDescriptions"])


def made_by_hand(type_name: str, properties: dict[str, Any]) -> str:
    """A resource created outside cloudforge, through Cloud Control; returns its identifier."""
    event = boto3.client("cloudcontrol").create_resource(
        TypeName=type_name, DesiredState=json.dumps(properties)
    )["ProgressEvent"]
    return str(wait_for(event["RequestToken"])["Identifier"])


def writes(cloud: LocalCloud) -> dict[str, int]:
    calls = cloud.calls()
    return {n: calls[n] for n in ("CreateResource", "UpdateResource", "DeleteResource") if calls[n]}


def test_app_and_stage_names_that_shared_a_state_are_refused_before_any_call(
    local_cloud: LocalCloud, tmp_path: Path
) -> None:
    """Finding 1: app `web/feature` stage `x` was app `web` stage `feature/x`: the second
    deploy deleted the first one's secret."""
    program = tmp_path / "prog.py"
    program.write_text(PROGRAM)
    first = cloudforge("up", "--stage", "x", str(program), "--", "web/feature", "db", cwd=tmp_path)

    second = cloudforge("up", "--stage", "feature/x", str(program), "--", "web", "cache", cwd=tmp_path)

    assert first.returncode != 0, first.stdout
    assert second.returncode != 0, second.stdout
    for result, name in ((first, "web/feature"), (second, "feature/x")):
        out = result.stdout + result.stderr
        assert f"{name!r} is not a valid name" in out, out
        assert "letters, digits, '-', '_' or '.'" in out
    assert "'feature-x'" in second.stdout + second.stderr  # how a branch name is written
    assert writes(local_cloud) == {}
    assert "Destruction complete" not in second.stdout


def test_the_first_apps_resource_survives_a_stage_named_after_a_branch(
    local_cloud: LocalCloud, tmp_path: Path
) -> None:
    """Finding 1 in the allowed form: `web-feature`/`x` and `web`/`feature-x` are two states."""
    program = tmp_path / "prog.py"
    program.write_text(PROGRAM)
    assert cloudforge("up", "--stage", "x", str(program), "--", "web-feature", "db",
                      cwd=tmp_path).returncode == 0
    second = cloudforge("up", "--stage", "feature-x", str(program), "--", "web", "cache",
                        cwd=tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert secrets() == ["cache-secret", "db-secret"]
    assert local_cloud.calls()["DeleteResource"] == 0


@pytest.mark.parametrize(
    "logical_id",
    ["", "a\nb", "\u202e", "x" * 10_000, "../x", "p#replaced-1", "a/b", " a", "a\x00"],
    ids=["empty", "newline", "bidi", "10k", "dotdot", "internal", "slash", "space", "nul"],
)
def test_logical_ids_outside_the_form_fail_at_construction(
    local_cloud: LocalCloud, logical_id: str
) -> None:
    """Finding 5: these ids all deployed."""
    with pytest.raises(CloudforgeError) as caught:
        Secret(logical_id, Name="n", SecretString="v")
    message = str(caught.value)
    assert "AWS::SecretsManager::Secret logical id" in message
    assert "1-100 ASCII letters, digits, '-', '_' or '.'" in message
    assert "\n" not in message and "\u202e" not in message and len(message) < 400
    assert sum(local_cloud.calls().values()) == 0


@pytest.mark.parametrize(
    ("name", "stage"),
    [("a\x00b", "dev"), ("app", "d\x00v"), ("app", "s" * 5_000), ("", "dev"), ("app", ".."),
     ("web/feature", "x"), ("web", "feature/x")],
    ids=["nul-app", "nul-stage", "5000-stage", "empty-app", "dotdot-stage", "slash-app",
         "slash-stage"],
)
def test_app_and_stage_names_outside_the_form_fail_at_app(
    local_cloud: LocalCloud, tmp_path: Path, name: str, stage: str
) -> None:
    """Finding 5: NUL deployed; a 5,000-character stage failed with `OSError: File name too long`."""

    async def run() -> None:
        async with App(name, stage=stage, state=tmp_path / "st"):
            await Secret("db", Name="db", SecretString="v")

    with pytest.raises(CloudforgeError, match="is not a valid name: use 1-100 ASCII letters"):
        asyncio.run(run())
    assert sum(local_cloud.calls().values()) == 0
    assert not (tmp_path / "st").exists(), "nothing is written before the names are checked"


def test_the_longest_allowed_names_deploy(local_cloud: LocalCloud, tmp_path: Path) -> None:
    async def run() -> None:
        async with App("a" * 100, stage="s" * 100, state=tmp_path):
            await Secret("i" * 100, Name="long", SecretString="v")

    asyncio.run(run())
    assert secrets() == ["long"]


def test_lock_names_that_shared_one_lock_file_are_distinct(tmp_path: Path) -> None:
    """Finding 1: lock files replaced `/` and NUL with `_`, so these three shared one lock."""
    names = ["a/b", "a\x00b", "a_b", "a%2Fb", "s" * 5_000, "s" * 5_001, ".", ".."]
    holders = [SqliteState(tmp_path) for _ in names]
    try:
        for backend, name in zip(holders, names, strict=True):
            backend.lock(name)  # each would raise StateLockedError if it shared a lock
        files = [p.name for p in tmp_path.glob("*.lock")]
        assert len(files) == len(names) and all(len(f) < 255 for f in files)
    finally:
        for backend in holders:
            backend.close()


def test_state_keys_of_confusable_pairs_are_distinct() -> None:
    """The state key of (app, stage): never shared by two pairs (both are checked names)."""
    with pytest.raises(CloudforgeError):
        App("web/feature", stage="x")
    scopes = {App(a, stage=s).scope for a, s in [("web-feature", "x"), ("web", "feature-x"),
                                                ("web", "feature.x"), ("web.feature", "x")]}
    assert len(scopes) == 4


def test_two_imports_never_share_an_app(local_cloud: LocalCloud, tmp_path: Path) -> None:
    """Finding 6: both programs were `App('imported')`: after `up q.py`, `plan b.py` planned to
    delete the queue."""
    url = made_by_hand("AWS::SQS::Queue", {"QueueName": "orders"})
    arn = made_by_hand("AWS::SecretsManager::Secret", {"Name": "token", "SecretString": "t"})
    queue_py, secret_py = tmp_path / "q.py", tmp_path / "b.py"
    for type_name, identifier, out in (("AWS::SQS::Queue", url, queue_py),
                                       ("AWS::SecretsManager::Secret", arn, secret_py)):
        made = cloudforge("import", type_name, identifier, "-o", str(out), cwd=tmp_path)
        assert made.returncode == 0, made.stdout + made.stderr
    assert "sqs-queue-orders-" in queue_py.read_text()
    assert "secretsmanager-secret-" in secret_py.read_text()

    assert cloudforge("up", str(queue_py), cwd=tmp_path).returncode == 0
    planned = cloudforge("plan", "--detailed-exitcode", str(secret_py), cwd=tmp_path)

    assert "delete" not in planned.stdout.lower(), planned.stdout
    assert "queue" not in planned.stdout.lower(), planned.stdout
    up = cloudforge("up", str(secret_py), cwd=tmp_path)
    assert up.returncode == 0, up.stdout + up.stderr
    assert local_cloud.calls()["DeleteResource"] == 0
    listed = boto3.client("cloudcontrol").list_resources(TypeName="AWS::SQS::Queue")
    assert [d["Identifier"] for d in listed["ResourceDescriptions"]] == [url]


def test_import_takes_the_app_name_given_and_checks_it(local_cloud: LocalCloud, tmp_path: Path) -> None:
    url = made_by_hand("AWS::SQS::Queue", {"QueueName": "jobs"})
    named = cloudforge("import", "AWS::SQS::Queue", url, "--app", "ops", cwd=tmp_path)
    assert named.returncode == 0 and "App('ops')" in named.stdout.replace('"', "'")
    bad = cloudforge("import", "AWS::SQS::Queue", url, "--app", "a/b", cwd=tmp_path)
    assert bad.returncode != 0 and "is not a valid name" in bad.stdout + bad.stderr
