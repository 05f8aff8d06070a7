"""The committed generated tree: it is what the generator writes (deterministic, idempotent, a
removed schema disappears), SecurityProfile carries the right metadata, and importing it is
cheap and never imports boto3."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cloudforge import registry
from cloudforge.codegen.generate import generate_all
from cloudforge.metadata import TypeMetadata

ROOT = Path(__file__).resolve().parents[2]


def _tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): p.read_text()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.mark.slow  # the whole committed registry, twice (minutes with a cold cache)
def test_committed_tree_is_what_the_generator_writes_twice(tmp_path: Path) -> None:
    generate_all(ROOT / "schemas", tmp_path)
    first = _tree(tmp_path)
    generate_all(ROOT / "schemas", tmp_path)
    assert _tree(tmp_path) == first  # idempotent, no timestamps
    assert first == _tree(ROOT / "generated")  # generated/ is not stale


def test_a_removed_schema_disappears(tmp_path: Path) -> None:
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    shutil.copy(ROOT / "schemas" / "aws-connect-securityprofile.json", schemas)
    generate_all(schemas, tmp_path / "out")
    module = tmp_path / "out" / "aws" / "connect" / "security_profile.py"
    assert module.is_file()
    (schemas / "aws-connect-securityprofile.json").unlink()
    generate_all(schemas, tmp_path / "out")
    assert not module.exists()
    assert not (tmp_path / "out" / "aws" / "connect").exists()


def test_module_header_names_source_generator_and_do_not_edit() -> None:
    text = (ROOT / "generated" / "aws" / "connect" / "security_profile.py").read_text()
    header = text.split('"""')[1]
    assert "schemas/aws-connect-securityprofile.json" in header
    assert "cloudforge.codegen" in header
    assert "Do not edit" in header
    assert (ROOT / "generated" / "aws" / "py.typed").is_file()


def test_metadata_constant() -> None:
    from cloudforge.aws.connect import SecurityProfile

    meta = SecurityProfile.metadata
    assert isinstance(meta, TypeMetadata)
    assert meta.type_name == "AWS::Connect::SecurityProfile"
    assert meta.schema_file == "aws-connect-securityprofile.json"
    assert meta.primary_identifier == ("/SecurityProfileArn",)
    assert set(meta.create_only) == {"/SecurityProfileName", "/InstanceArn"}
    assert meta.list_required == ("InstanceArn",)
    assert meta.handlers == {"create": 120, "read": 120, "update": 120, "delete": 120, "list": 120}
    assert meta.timeout_minutes("update") == 120
    assert meta.tagging is not None and meta.tagging.tag_property == "/Tags"
    assert "/Tags" in meta.unordered_arrays and "/Permissions" in meta.unordered_arrays
    assert SecurityProfile.props_model.__name__ == "SecurityProfileProps"
    fields = SecurityProfile.props_model.model_fields
    assert fields["InstanceArn"].is_required() and not fields["Description"].is_required()
    assert "SecurityProfileArn" not in fields


def test_registry_index() -> None:
    from cloudforge.aws.connect import SecurityProfile

    assert "AWS::Connect::SecurityProfile" in registry.type_names()
    assert registry.resource_class("AWS::Connect::SecurityProfile") is SecurityProfile
    with pytest.raises(LookupError, match="schemas pull AWS::Nope::Thing"):
        registry.resource_class("AWS::Nope::Thing")


def test_read_only_attributes_are_readable_after_deploy_fills_them() -> None:
    from cloudforge.aws.connect import SecurityProfile

    arn = "arn:aws:connect:us-east-1:123456789012:instance/i-1"
    profile = SecurityProfile("p", InstanceArn=arn, SecurityProfileName="P")
    with pytest.raises(AttributeError, match="SecurityProfileArn"):
        _ = profile.SecurityProfileArn
    profile.attributes["SecurityProfileArn"] = arn + "/security-profile/s-1"
    assert profile.SecurityProfileArn == arn + "/security-profile/s-1"


# Peak RSS from VmHWM: Linux carries ru_maxrss over exec from the forking (pytest) process.
_PROBE = """
import json, resource, sys
import cloudforge.aws.connect
from cloudforge.aws.connect import SecurityProfile
try:
    status = open("/proc/self/status").read().split("VmHWM:")[1]
    peak_kib = int(status.split()[0])
except (OSError, IndexError):
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({
    "max_rss_mib": peak_kib / 1024,
    "boto3": "boto3" in sys.modules,
    "botocore": "botocore" in sys.modules,
}))
"""


def test_import_is_cheap_and_does_not_import_boto3() -> None:
    # A fresh interpreter: nothing imported before. Measured here (2 shared cores): about
    # 25 MiB peak RSS for the whole process, interpreter included (budget for the whole
    # registry later: 35 MiB). The import's time against troposphere's is `make bench`, figure 1.
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True)
    probe = json.loads(out.stdout)
    assert probe["boto3"] is False and probe["botocore"] is False
    assert probe["max_rss_mib"] < 35
