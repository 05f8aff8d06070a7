"""`cloudforge.state.graph.dot_source`: nodes by record (and failed creates), coloured by last
outcome; edges from what a resource uses to it."""

from __future__ import annotations

from cloudforge.state.graph import COLOURS, dot_source
from cloudforge.state.sqlite import ResourceRecord, StageState


def test_nodes_are_coloured_by_last_outcome_and_a_failed_create_is_drawn() -> None:
    records = {
        "bucket": ResourceRecord("bucket", "AWS::S3::Bucket", "b", {}, {}, depends_on=[]),
        "policy": ResourceRecord("policy", "AWS::S3::BucketPolicy", "b", {}, {}, depends_on=["bucket", "gone"]),
        "old": ResourceRecord("old", "AWS::SQS::Queue", "q", {}, {}),  # no edges recorded
    }
    info = {"outcomes": {"bucket": "updated", "policy": "unchanged", "broken": "failed"}}

    dot = dot_source('app/"s"', StageState(records, {}, info)).splitlines()

    assert dot[0] == 'digraph "app/\\"s\\"" {'
    assert f'  "bucket" [label="bucket\\nAWS::S3::Bucket\\nupdated", fillcolor="{COLOURS["updated"]}"];' in dot
    assert f'  "policy" [label="policy\\nAWS::S3::BucketPolicy\\nunchanged", fillcolor="{COLOURS["unchanged"]}"];' in dot
    assert f'  "broken" [label="broken\\nfailed", fillcolor="{COLOURS["failed"]}"];' in dot
    assert '  "old" [label="old\\nAWS::SQS::Queue", fillcolor="#ffffff"];' in dot
    assert [line for line in dot if "->" in line] == ['  "bucket" -> "policy";']  # "gone" is not drawn
