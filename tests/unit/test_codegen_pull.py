"""Schemas by command: pull from the cfn-lint bundle (or DescribeType) into a schemas folder,
with a manifest recording where each came from."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import pytest
from cloudforge.codegen.generate import load_file
from cloudforge.codegen.pull import pull_schemas, strip_keywords
from cloudforge.errors import SchemaError

ROOT = Path(__file__).resolve().parents[2]


def test_pull_from_the_bundle_writes_schema_and_manifest(tmp_path: Path) -> None:
    (path,) = pull_schemas(["AWS::Connect::SecurityProfile"], dest=tmp_path)
    assert path == tmp_path / "aws-connect-securityprofile.json"
    schema = json.loads(path.read_text())
    assert schema["typeName"] == "AWS::Connect::SecurityProfile"
    # the committed schema is exactly what the command writes
    assert path.read_text() == (ROOT / "schemas" / path.name).read_text()
    entry = json.loads((tmp_path / "manifest.json").read_text())["types"][
        "AWS::Connect::SecurityProfile"
    ]
    assert entry["source"] == "cfn-lint" and entry["region"] == "us-east-1"
    assert entry["version"].startswith("cfn-lint ") and len(entry["sha256"]) == 64
    assert entry["file"] == path.name


def test_pulled_schemas_satisfy_the_meta_schema(tmp_path: Path) -> None:
    # cfn-lint adds its own lint keywords (requiredXor, dependentExcluded, ...) to schemas it
    # bundles; pulling removes them so the file validates against the provider meta-schema.
    paths = pull_schemas(
        ["AWS::ApplicationAutoScaling::ScalingPolicy", "AWS::CloudFront::Distribution"],
        dest=tmp_path,
    )
    for path in paths:
        text = path.read_text()
        assert "requiredXor" not in text and "dependentExcluded" not in text
        assert load_file(path)["typeName"]


def test_generator_also_drops_lint_keywords_from_hand_copied_bundle_files(tmp_path: Path) -> None:
    from cloudforge.schemas.loading import cfn_lint_bundle

    raw = cfn_lint_bundle()["AWS::ApplicationAutoScaling::ScalingPolicy"].read_text()
    assert "requiredXor" in raw
    copied = tmp_path / "aws-applicationautoscaling-scalingpolicy.json"
    copied.write_text(raw)
    assert "requiredXor" not in json.dumps(load_file(copied))


def test_manifest_accumulates_and_stays_sorted(tmp_path: Path) -> None:
    pull_schemas(["AWS::IoT::Thing"], dest=tmp_path)
    pull_schemas(["AWS::Connect::SecurityProfile"], dest=tmp_path, region="eu-central-1")
    types = json.loads((tmp_path / "manifest.json").read_text())["types"]
    assert list(types) == ["AWS::Connect::SecurityProfile", "AWS::IoT::Thing"]
    assert types["AWS::Connect::SecurityProfile"]["region"] == "eu-central-1"


def test_unknown_type_is_an_actionable_error(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="AWS::Nope::Thing"):
        pull_schemas(["AWS::Nope::Thing"], dest=tmp_path)


def test_strip_keywords_leaves_property_names_alone() -> None:
    schema = {"properties": {"if": {"type": "string", "requiredXor": ["a"]}}, "requiredXor": ["x"]}
    assert strip_keywords(schema) == {"properties": {"if": {"type": "string"}}}


def test_module_entry_point_pulls(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "cloudforge.codegen", "pull", "AWS::IoT::Thing", "--dest", str(tmp_path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert out.stdout.strip().endswith("aws-iot-thing.json")
    assert (tmp_path / "aws-iot-thing.json").is_file()


class _DescribeType(BaseHTTPRequestHandler):
    """CloudFormation's query protocol, DescribeType only, answering one schema."""

    schema: str = ""

    def do_POST(self) -> None:
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        assert form["Action"] == ["DescribeType"] and form["Type"] == ["RESOURCE"]
        body = (
            '<DescribeTypeResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">'
            f"<DescribeTypeResult><TypeName>{form['TypeName'][0]}</TypeName>"
            f"<Schema>{escape(self.schema)}</Schema><DefaultVersionId>00000007</DefaultVersionId>"
            "</DescribeTypeResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>"
            "</DescribeTypeResponse>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def describe_type_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    _DescribeType.schema = (ROOT / "schemas" / "aws-connect-securityprofile.json").read_text()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _DescribeType)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    yield url
    server.shutdown()


def test_pull_from_aws_uses_describe_type(tmp_path: Path, describe_type_endpoint: str) -> None:
    (path,) = pull_schemas(["AWS::Connect::SecurityProfile"], source="aws", dest=tmp_path)
    assert json.loads(path.read_text())["typeName"] == "AWS::Connect::SecurityProfile"
    entry = json.loads((tmp_path / "manifest.json").read_text())["types"][
        "AWS::Connect::SecurityProfile"
    ]
    assert (entry["source"], entry["version"]) == ("aws", "00000007")
