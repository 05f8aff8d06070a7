"""`cloudforge state ...`, `stages`, `outputs`, `refresh` and `StageOutputs`, through the CLI
(in-process) against the local cloud, on both state backends: a folder (SQLite) and S3 (moto's,
in the same local cloud). State commands must make no Cloud Control call at all.
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner, Result
from cloudforge import StageOutputs
from cloudforge.cli import app
from cloudforge.local import LocalCloud
from cloudforge.state.backends import open_backend

from tests.local_helpers import wait_for

PROGRAM = Path(__file__).parent / "programs" / "shop.py"
SECRET = "hunter2-very-secret"
QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/shop-q01"


def cli(*args: str, **env: str) -> Result:
    return CliRunner().invoke(app, list(args), env=env or None, catch_exceptions=False)


def ok(*args: str, **env: str) -> str:
    result = cli(*args, **env)
    assert result.exit_code == 0, result.output
    return result.output


def new_location(kind: str, tmp_path: Path, name: str) -> str:
    if kind == "sqlite":
        return str(tmp_path / name)
    boto3.client("s3").create_bucket(Bucket=f"state-{name}")
    return f"s3://state-{name}/cloudforge"


@pytest.fixture(params=["sqlite", "s3"])
def location(request: pytest.FixtureRequest, local_cloud: LocalCloud, tmp_path: Path) -> str:
    return new_location(str(request.param), tmp_path, "main")


def deploy(location: str, *extra: str, **env: str) -> str:
    return ok("up", str(PROGRAM), "--stage", "t", "--state", location, *extra, **env)


def plan(location: str, **env: str) -> str:
    return ok("plan", str(PROGRAM), "--stage", "t", "--state", location, **env)


def test_list_show_stages_and_outputs_read_state_without_a_cloud_call(
    location: str, local_cloud: LocalCloud
) -> None:
    deploy(location)
    local_cloud.reset_calls()
    where = ("--stage", "t", "--state", location)

    listed = ok("state", "list", *where).splitlines()
    assert [line.split()[0] for line in listed] == ["data", "db", "policy", "q00", "q01", "q02"]
    assert "AWS::S3::BucketPolicy" in listed[2] and "shop-data" in listed[2]

    shown = ok("state", "show", "db", *where)
    record = json.loads(shown)
    assert record["type_name"] == "AWS::SecretsManager::Secret"
    assert record["declared"]["SecretString"] == "(write-only value)"
    assert SECRET not in shown

    stages = ok("stages", "--state", location).splitlines()
    assert stages[0].split() == ["APP", "STAGE", "RESOURCES", "LAST", "RUN"]
    assert stages[1].split()[:3] == ["shop", "t", "6"] and stages[1].endswith("up succeeded")
    as_json = json.loads(ok("stages", "--json", "--state", location))
    assert [(s["app"], s["stage"], s["resources"], s["last_run"]["result"]) for s in as_json] == [
        ("shop", "t", 6, "succeeded")
    ]

    outputs = json.loads(ok("outputs", "--json", *where))
    assert outputs == {"bucket": "arn:aws:s3:::shop-data", "dsn": "(write-only value)", "queues": 3}
    assert 'bucket = "arn:aws:s3:::shop-data"' in ok("outputs", *where)
    # Another program reads them, typed as JSON.
    other = StageOutputs("shop", stage="t", state=location)
    assert other["bucket"] == "arn:aws:s3:::shop-data" and other["queues"] == 3
    with pytest.raises(KeyError, match="no output 'nope'"):
        other["nope"]

    assert sum(local_cloud.calls().values()) == 0
    # Destroy clears the outputs and leaves the stage listed with nothing in it.
    ok("destroy", str(PROGRAM), "--stage", "t", "--state", location)
    assert json.loads(ok("outputs", "--json", *where)) == {}
    assert ok("stages", "--state", location).splitlines()[1].endswith("destroy succeeded")


def test_rm_forgets_a_resource_and_leaves_it_in_the_cloud(
    location: str, local_cloud: LocalCloud
) -> None:
    deploy(location)
    local_cloud.reset_calls()

    said = ok("state", "rm", "q01", "--stage", "t", "--state", location)

    assert "still exists in the cloud" in said
    assert sum(local_cloud.calls().values()) == 0
    assert "q01" not in ok("state", "list", "--stage", "t", "--state", location)
    still = boto3.client("cloudcontrol").get_resource(TypeName="AWS::SQS::Queue", Identifier=QUEUE_URL)
    assert json.loads(still["ResourceDescription"]["Properties"])["QueueName"] == "shop-q01"
    # The program still declares it, so the next plan creates it (state no longer knows it).
    assert "q01" in plan(location) and "1 to create" in plan(location)


def test_mv_follows_a_renamed_logical_id_so_nothing_is_replaced(
    location: str, local_cloud: LocalCloud
) -> None:
    deploy(location)
    renamed = {"FIRST_QUEUE": "orders"}
    assert "1 to create" in plan(location, **renamed)  # without mv: a new queue, the old deleted

    said = ok("state", "mv", "q00", "orders", "--stage", "t", "--state", location)

    assert "Moved q00 to orders" in said
    assert "No changes" in plan(location, **renamed)
    local_cloud.reset_calls()
    deploy(location, **renamed)
    assert local_cloud.calls().get("CreateResource", 0) == 0
    assert local_cloud.calls().get("DeleteResource", 0) == 0


def test_state_commands_refuse_what_they_cannot_do(location: str) -> None:
    deploy(location)
    where = ("--stage", "t", "--state", location)
    missing = cli("state", "show", "nope", *where)
    assert missing.exit_code == 1 and "no resource 'nope'" in missing.output
    taken = cli("state", "mv", "q00", "q01", *where)
    assert taken.exit_code == 1 and "already exists" in taken.output
    unknown = cli("state", "list", "--stage", "nope", "--state", location)
    assert unknown.exit_code == 1 and "no app has state for stage 'nope'" in unknown.output


@pytest.mark.parametrize("route", [("sqlite", "s3"), ("s3", "sqlite")])
def test_export_import_moves_a_stage_between_backends_exactly(
    route: tuple[str, str], local_cloud: LocalCloud, tmp_path: Path
) -> None:
    source = new_location(route[0], tmp_path, "source")
    target = new_location(route[1], tmp_path, "target")
    back = new_location(route[0], tmp_path, "back")
    deploy(source)
    exported = ok("state", "export", "--with-key", "--stage", "t", "--state", source)
    doc = json.loads(exported)
    assert doc["format"] == "cloudforge-state" and doc["version"] == 1
    assert SECRET not in exported
    local_cloud.reset_calls()

    (tmp_path / "export.json").write_text(exported)
    assert "Imported 6 resources into shop/t" in ok(
        "state", "import", str(tmp_path / "export.json"), "--state", target
    )

    assert "No changes" in plan(target)
    again = ok("state", "export", "--with-key", "--stage", "t", "--state", target)
    assert again == exported  # round-trips exactly
    (tmp_path / "again.json").write_text(again)
    ok("state", "import", str(tmp_path / "again.json"), "--state", back)
    assert ok("state", "export", "--with-key", "--stage", "t", "--state", back) == exported
    assert "No changes" in plan(back)
    assert sum(local_cloud.calls().values()) == 0


def test_import_without_the_key_says_write_only_values_will_be_sent_again(
    location: str, tmp_path: Path
) -> None:
    deploy(location)
    exported = ok("state", "export", "--stage", "t", "--state", location)
    assert '"key":' not in exported
    (tmp_path / "export.json").write_text(exported)
    fresh = str(tmp_path / "fresh")

    said = ok("state", "import", str(tmp_path / "export.json"), "--state", fresh)

    assert "1 write-only values were hashed under another state store's key" in said
    planned = plan(fresh)
    assert "db" in planned and "1 to update" in planned and SECRET not in planned


def test_import_refuses_to_overwrite_a_stage_unless_forced(location: str, tmp_path: Path) -> None:
    deploy(location)
    exported = ok("state", "export", "--with-key", "--stage", "t", "--state", location)
    path = tmp_path / "export.json"
    path.write_text(exported)
    refused = cli("state", "import", str(path), "--state", location)
    assert refused.exit_code == 1 and "pass --force" in refused.output
    assert "replacing 6" in ok("state", "import", str(path), "--state", location, "--force")
    assert ok("state", "export", "--with-key", "--stage", "t", "--state", location) == exported
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**json.loads(exported), "version": 99}))
    newer = cli("state", "import", str(bad), "--state", location)
    assert newer.exit_code == 1 and "version 99" in newer.output


def test_refresh_reads_live_records_drift_and_writes_nothing(
    location: str, local_cloud: LocalCloud
) -> None:
    deploy(location)
    cc = boto3.client("cloudcontrol")
    gone = cc.delete_resource(TypeName="AWS::SQS::Queue", Identifier=QUEUE_URL.replace("q01", "q02"))
    wait_for(gone["ProgressEvent"]["RequestToken"])
    changed = cc.update_resource(
        TypeName="AWS::SQS::Queue",
        Identifier=QUEUE_URL,
        PatchDocument=json.dumps([{"op": "add", "path": "/DelaySeconds", "value": 7}]),
    )
    wait_for(changed["ProgressEvent"]["RequestToken"])
    local_cloud.reset_calls()

    said = ok("refresh", "--stage", "t", "--state", location)

    assert "q02 (AWS::SQS::Queue): deleted out of band; removed from state" in said
    # The queue is moto's (the local cloud backs SQS), which reads DelaySeconds back as 0.
    assert "q01 (AWS::SQS::Queue): changed out of band\n  ~ /DelaySeconds: 0 -> 7" in said
    assert "Refresh complete: 6 read, 2 drifted." in said
    calls = local_cloud.calls()
    assert calls["GetResource"] == 6
    assert set(calls) == {"GetResource"}  # reads only
    assert "q02" not in ok("state", "list", "--stage", "t", "--state", location)
    assert "1 to create" in plan(location)
    assert "No changes" not in plan(location)
    assert "no drift" in ok("refresh", "--stage", "t", "--state", location)


def test_state_commands_take_the_stage_lock(location: str) -> None:
    deploy(location)
    backend = open_backend(location)
    backend.lock("shop/t")  # a deploy in progress
    try:
        for command in (["state", "rm", "q00"], ["state", "mv", "q00", "x"], ["state", "list"]):
            result = cli(*command, "--stage", "t", "--state", location)
            assert result.exit_code == 1, command
            assert "locked" in result.output
    finally:
        backend.close()
    assert "q00" in ok("state", "list", "--stage", "t", "--state", location)


def test_every_new_command_has_help() -> None:
    for command in (["state", "list"], ["state", "show"], ["state", "rm"], ["state", "mv"],
                    ["state", "export"], ["state", "import"], ["stages"], ["outputs"],
                    ["graph"], ["refresh"]):
        result = cli(*command, "--help")
        assert result.exit_code == 0 and "Usage: " in result.output, command


def test_export_piped_into_import_then_plan_shows_no_changes(
    local_cloud: LocalCloud, tmp_path: Path
) -> None:
    import shlex
    import subprocess
    import sys

    source = new_location("sqlite", tmp_path, "piped-from")
    target = new_location("s3", tmp_path, "piped-to")
    deploy(source)
    script = Path(sys.executable).with_name("cloudforge")
    pipe = (
        f"{shlex.quote(str(script))} state export --with-key --stage t --state {shlex.quote(source)}"
        f" | {shlex.quote(str(script))} state import - --state {shlex.quote(target)}"
    )

    done = subprocess.run(["bash", "-o", "pipefail", "-c", pipe], capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    assert "Imported 6 resources into shop/t" in done.stdout
    assert "No changes" in plan(target)
