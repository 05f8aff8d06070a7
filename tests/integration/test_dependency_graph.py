"""Dependencies from data flow: recorded when resources are declared, stored in state, used to
delete in waves, and drawn by `cloudforge graph`.

The stage (tests/integration/programs/shop.py): a bucket, 20 queues awaited one after the other
that use nothing, a policy on the bucket and a secret. By timing alone every queue may use every
queue awaited before it, so destroy went one resource at a time (22 waves); with edges it goes
in two: everything but the bucket, then the bucket.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from cloudforge import events
from cloudforge.engine.ordering import deletion_waves
from cloudforge.events import ResourceEvent
from cloudforge.local import LocalCloud
from cloudforge.state.backends import open_backend

from tests.integration.test_state_commands import PROGRAM, new_location, ok

QUEUES = "20"


@pytest.fixture(params=["sqlite", "s3"])
def location(request: pytest.FixtureRequest, local_cloud: LocalCloud, tmp_path: Path) -> str:
    return new_location(str(request.param), tmp_path, "graph")


@pytest.fixture
def seen() -> Iterator[list[ResourceEvent]]:
    found: list[ResourceEvent] = []
    unsubscribe = events.subscribe(found.append)
    yield found
    unsubscribe()


def test_a_wide_stack_is_destroyed_in_two_waves(
    location: str, local_cloud: LocalCloud, seen: list[ResourceEvent]
) -> None:
    ok("up", str(PROGRAM), "--stage", "t", "--state", location, QUEUES=QUEUES)
    backend = open_backend(location)
    try:
        records = backend.load("shop/t").records
    finally:
        backend.close()
    assert records["policy"].depends_on == ["data"]
    assert all(records[f"q{i:02d}"].depends_on == [] for i in range(20))
    assert [sorted(r.logical_id for r in wave) for wave in deletion_waves(records.values())] == [
        sorted(["db", "policy", *(f"q{i:02d}" for i in range(20))]),
        ["data"],
    ]
    seen.clear()

    ok("destroy", str(PROGRAM), "--stage", "t", "--state", location, QUEUES=QUEUES)

    deletes = [
        (e.logical_id, e.status)
        for e in seen
        if e.action == "delete" and e.status in ("started", "succeeded")
    ]
    steps = [status for _, status in deletes]
    # Wave 1: all 22 started before any finished (together); wave 2: the bucket, after them.
    assert steps[:22] == ["started"] * 22
    assert deletes[-2:] == [("data", "started"), ("data", "succeeded")]
    assert sorted(lid for lid, status in deletes[:-2] if status == "succeeded") == sorted(
        ["db", "policy", *(f"q{i:02d}" for i in range(20))]
    )
    assert local_cloud.calls()["DeleteResource"] == 23


def test_graph_prints_dot_with_the_bucket_to_policy_edge_coloured_by_outcome(
    location: str,
) -> None:
    ok("up", str(PROGRAM), "--stage", "t", "--state", location)

    dot = ok("graph", "--stage", "t", "--state", location)

    assert dot.startswith('digraph "shop/t" {')
    assert '  "data" -> "policy";' in dot.splitlines()
    assert dot.count(" -> ") == 1  # the queues and the secret use nothing
    assert '"q00" [label="q00\\nAWS::SQS::Queue\\ncreated", fillcolor="#b7e1b0"];' in dot
    ok("up", str(PROGRAM), "--stage", "t", "--state", location)
    again = ok("graph", "--stage", "t", "--state", location)
    assert '"q00" [label="q00\\nAWS::SQS::Queue\\nunchanged", fillcolor="#e6e6e6"];' in again


def test_graph_draws_an_svg_with_one_node_per_resource(location: str, tmp_path: Path) -> None:
    if shutil.which("dot") is None and not os.environ.get("CI"):
        pytest.skip("Graphviz's dot is not installed (apt-get install graphviz); CI installs it")
    ok("up", str(PROGRAM), "--stage", "t", "--state", location)
    image = tmp_path / "graph.svg"

    said = ok("graph", "--stage", "t", "--state", location, "-o", str(image))

    assert f"Wrote {image}" in said
    root = ET.parse(image).getroot()  # valid XML
    svg = "{http://www.w3.org/2000/svg}"
    groups = root.iter(f"{svg}g")
    classes = [g.get("class") for g in groups]
    assert classes.count("node") == 6
    assert classes.count("edge") == 1
    titles = {t.text for t in root.iter(f"{svg}title")}
    assert "data&#45;&gt;policy" in titles or "data->policy" in titles


def test_graph_to_an_image_without_dot_says_how_to_install_it(
    location: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok("up", str(PROGRAM), "--stage", "t", "--state", location, QUEUES="0")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    from tests.integration.test_state_commands import cli

    result = cli("graph", "--stage", "t", "--state", location, "-o", str(tmp_path / "g.png"))

    assert result.exit_code == 1
    assert "apt-get install graphviz" in result.output


def test_explicit_depends_on_is_recorded_and_orders_deletion(
    local_cloud: LocalCloud, tmp_path: Path, seen: list[ResourceEvent]
) -> None:
    from cloudforge import App
    from cloudforge.aws.sqs import Queue

    async def main(phase: str) -> None:
        async with App("explicit", stage="t", state=tmp_path, phase=phase):
            first = Queue("first", QueueName="first")
            await asyncio.gather(first, Queue("second", QueueName="second", depends_on=[first]))

    asyncio.run(main("up"))
    backend = open_backend(tmp_path)
    try:
        records = backend.load("explicit/t").records
    finally:
        backend.close()
    assert records["second"].depends_on == ["first"] and records["first"].depends_on == []
    seen.clear()
    asyncio.run(main("destroy"))
    order = [e.logical_id for e in seen if e.action == "delete" and e.status == "succeeded"]
    assert order == ["second", "first"]
