"""Issue 14 part 3: what requests took is stored with the stage (format 3) and places the next
run's first status read, on SQLite and S3 state; older states are migrated, not refused.

Polls are counted by the local cloud (`calls()`), never timed.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import boto3
import pytest
from cloudforge import App
from cloudforge.aws.secretsmanager import Secret
from cloudforge.local import LocalCloud
from cloudforge.state.integrity import FORMAT_VERSION

SECRET = "AWS::SecretsManager::Secret"


def deploy(state: str | Path, description: str) -> None:
    async def run() -> None:
        async with App("shop", stage="dev", state=state):
            await Secret("s0", Name="secret-0", SecretString="v", Description=description)

    asyncio.run(run())


def polls(cloud: LocalCloud) -> int:
    return cloud.calls()["GetResourceRequestStatus"]


def test_a_second_update_reads_its_status_once_at_the_stored_time(
    local_cloud: LocalCloud, tmp_path: Path
) -> None:
    """Every update of this type takes 1.3 s (ended at the handler invocation of 1.5 s, step
    0.5 s). The first update has nothing to go by: it reads early and follows the hints. The
    next run's update reads once, at what the first one took (stored in state)."""
    local_cloud.faults.set_latency(1.3, type_name=SECRET)
    deploy(tmp_path, "one")
    before = polls(local_cloud)
    deploy(tmp_path, "two")  # the first update: nothing learned about updates yet
    first_update = polls(local_cloud) - before
    stored = sqlite3.connect(tmp_path / "state.db").execute(
        "SELECT type_name, operation FROM durations"
    ).fetchall()
    assert sorted(stored) == [(SECRET, "create"), (SECRET, "update")]

    before = polls(local_cloud)
    deploy(tmp_path, "three")
    assert first_update >= 2  # read before the end, then at the hint
    assert polls(local_cloud) - before == 1


def test_a_format_2_sqlite_state_is_migrated_and_learns(local_cloud: LocalCloud, tmp_path: Path) -> None:
    deploy(tmp_path, "one")
    db = sqlite3.connect(tmp_path / "state.db")
    db.execute("DROP TABLE durations")  # as cloudforge wrote format 2
    db.execute("PRAGMA user_version=2")
    db.close()
    creates = local_cloud.calls()["CreateResource"]

    deploy(tmp_path, "two")

    db = sqlite3.connect(tmp_path / "state.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == FORMAT_VERSION == 3
    rows = db.execute("SELECT type_name, operation, recent FROM durations").fetchall()
    assert [(t, op, len(json.loads(r))) for t, op, r in rows] == [(SECRET, "update", 1)]
    assert local_cloud.calls()["CreateResource"] == creates  # its records were kept


@pytest.fixture
def bucket(local_cloud: LocalCloud) -> str:
    boto3.client("s3").create_bucket(Bucket="team")
    return "s3://team/p"


def document() -> dict[str, object]:
    body = boto3.client("s3").get_object(Bucket="team", Key="p/shop/dev/state.json")["Body"]
    loaded: dict[str, object] = json.loads(body.read())
    return loaded


def test_a_format_2_s3_state_is_migrated_and_learns(local_cloud: LocalCloud, bucket: str) -> None:
    deploy(bucket, "one")
    doc = document()
    assert doc["version"] == 3 and list(doc["durations"]) == [SECRET]  # type: ignore[call-overload]
    del doc["durations"]  # as cloudforge wrote format 2
    doc["version"] = 2
    boto3.client("s3").put_object(
        Bucket="team", Key="p/shop/dev/state.json", Body=json.dumps(doc).encode()
    )
    creates = local_cloud.calls()["CreateResource"]

    deploy(bucket, "two")

    doc = document()
    assert doc["version"] == FORMAT_VERSION
    assert list(doc["durations"][SECRET]) == ["update"]  # type: ignore[index]
    assert local_cloud.calls()["CreateResource"] == creates


def test_s3_state_places_the_next_runs_first_read_too(local_cloud: LocalCloud, bucket: str) -> None:
    local_cloud.faults.set_latency(1.3, type_name=SECRET)
    deploy(bucket, "one")
    deploy(bucket, "two")
    before = polls(local_cloud)
    deploy(bucket, "three")
    assert polls(local_cloud) - before == 1


def test_a_run_that_polls_nothing_writes_no_durations(local_cloud: LocalCloud, tmp_path: Path) -> None:
    deploy(tmp_path, "one")
    db = tmp_path / "state.db"
    stored = sqlite3.connect(db).execute("SELECT recent FROM durations").fetchall()
    deploy(tmp_path, "one")  # a no-op: no request, nothing learned, the figures stay as they were
    assert sqlite3.connect(db).execute("SELECT recent FROM durations").fetchall() == stored


def test_like_creates_in_one_run_cost_no_wasted_poll_but_the_firsts(
    local_cloud: LocalCloud, tmp_path: Path
) -> None:
    """N=20 creates of one type, each 1.3 s: the first reads early and follows the hints; the
    other 19 wait for its end and read once (before: a read at 1.1 s each, then one more)."""
    local_cloud.faults.set_latency(1.3, type_name=SECRET)

    async def run() -> None:
        async with App("shop", stage="dev", state=tmp_path):
            await asyncio.gather(
                *(Secret(f"s{i}", Name=f"secret-{i}", SecretString="v") for i in range(20))
            )

    asyncio.run(run())
    assert local_cloud.calls()["CreateResource"] == 20
    assert 20 <= polls(local_cloud) <= 20 + 2


def test_a_stage_stores_the_window_its_requests_ended_in(local_cloud: LocalCloud, tmp_path: Path) -> None:
    """Each run's figure is [low, high]: no request of the kind was seen to end before low (a
    read, or the hint it answered, still saw it running), every one was seen done by high."""
    local_cloud.faults.set_latency(1.3, type_name=SECRET)
    deploy(tmp_path, "one")
    (recent,) = sqlite3.connect(tmp_path / "state.db").execute(
        "SELECT recent FROM durations WHERE operation = 'create'"
    ).fetchone()
    ((low, high),) = json.loads(recent)
    # The request took at least its 1.3 s latency, on any machine; where the window starts
    # depends on when the reads were made (the fake-clock tests pin it: tests/unit/test_polling).
    assert 0 <= low <= high and high >= 1.3


def test_figures_stored_before_windows_still_place_the_first_read(
    local_cloud: LocalCloud, tmp_path: Path
) -> None:
    """Format 3 first stored a bare number per run (the shortest time to a read that saw one
    done): it is read as a window of one moment, and the next run stores windows."""
    local_cloud.faults.set_latency(1.3, type_name=SECRET)
    deploy(tmp_path, "one")
    deploy(tmp_path, "two")
    db = sqlite3.connect(tmp_path / "state.db")
    db.execute("UPDATE durations SET recent = '[1.6]' WHERE operation = 'update'")
    db.commit()
    before = polls(local_cloud)
    deploy(tmp_path, "three")
    assert polls(local_cloud) - before == 1  # read once, at 1.6 s
    (recent,) = db.execute("SELECT recent FROM durations WHERE operation = 'update'").fetchone()
    assert json.loads(recent) == [1.6, None]  # that read only confirmed it


def test_s3_state_is_not_rewritten_for_unchanged_windows(local_cloud: LocalCloud, bucket: str) -> None:
    from cloudforge.state.durations import from_document, to_document

    local_cloud.faults.set_latency(1.3, type_name=SECRET)
    deploy(bucket, "one")
    stored = document()["durations"]
    # What was read back compares equal to what would be written: windows are lists in JSON
    # and tuples in memory, and a mismatch would rewrite the document on every run.
    assert to_document(from_document(stored)) == stored
