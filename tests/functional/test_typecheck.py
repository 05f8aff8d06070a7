"""mypy --strict accepts a program that uses SecurityProfile as the design brief does (dict-literal
tags included) and rejects wrong argument types and misspelt names, against the package as
installed (the strict editable install is a plain link tree mypy follows); and the modules
generated for hard registry types, in a symlinked layout where they stand in for cloudforge.aws."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cloudforge.aws.connect
import pytest
from cloudforge.codegen.generate import generate_all
from cloudforge.codegen.pull import pull_schemas

pytestmark = pytest.mark.slow  # mypy --strict over the package

ROOT = Path(__file__).resolve().parents[2]

GOOD = """
import asyncio

from cloudforge import App
from cloudforge.aws.connect import SecurityProfile
from cloudforge.aws.connect.security_profile import Tag

INSTANCE = "arn:aws:connect:us-east-1:123456789012:instance/abcdefg-1234-5678-abcd-efghijklmnop"


async def main() -> None:
    async with App("contact-center") as app:
        profile = await SecurityProfile(
            "advancedSecurityProfile",
            InstanceArn=INSTANCE,
            SecurityProfileName="AdvancedProfile",
            Description="An advanced security profile with comprehensive permissions.",
            Permissions=["connect:StartOutboundVoiceContact", "connect:ViewContact"],
            AllowedAccessControlTags=[
                {"Key": "Department", "Value": "Support"},
                Tag(Key="Region", Value="US-East"),
            ],
        )
        arn: str = profile.SecurityProfileArn
        adopted = SecurityProfile("a", InstanceArn=INSTANCE, SecurityProfileName="A", adopt=True)
        print(arn, adopted.declared, app)


asyncio.run(main())
"""

BAD = """
from cloudforge.aws.connect import SecurityProfile

INSTANCE = "arn:aws:connect:us-east-1:123456789012:instance/x"
SecurityProfile("a", InstanceArn=INSTANCE, SecurityProfileName=42)
SecurityProfile("b", InstanceArn=INSTANCE, SecurityProfileName="B", Descripton="typo")
SecurityProfile("c", InstanceArn=INSTANCE, SecurityProfileName="C", AllowedAccessControlTags=[{"Key": "k"}])
SecurityProfile("d", SecurityProfileName="D")
count: int = SecurityProfile("e", InstanceArn=INSTANCE, SecurityProfileName="E").SecurityProfileArn
"""


def _layout(root: Path, aws: Path) -> Path:
    """runtime/ as cloudforge, codegen/ as cloudforge.codegen, generated/aws/ as cloudforge.aws."""
    package = root / "cloudforge"
    package.mkdir(parents=True)
    for entry in (ROOT / "runtime").iterdir():
        if entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry)
    (package / "codegen").symlink_to(ROOT / "codegen")
    (package / "aws").symlink_to(aws)
    return root


def _mypy(cwd: Path, site: Path | None, *files: str) -> subprocess.CompletedProcess[str]:
    """mypy --strict over `files`; cloudforge from `site` when given, else as installed."""
    env = {k: v for k, v in os.environ.items() if k != "MYPYPATH"}
    return subprocess.run(
        [
            sys.executable, "-m", "mypy", "--strict", "--config-file", str(ROOT / "pyproject.toml"),
            "--follow-imports=silent", "--cache-dir", str(cwd / "cache"),
            "--no-error-summary", "--hide-error-context", "--no-pretty", *files,
        ],
        cwd=cwd,
        env={**env, "MYPYPATH": str(site)} if site else env,
        capture_output=True,
        text=True,
        timeout=240,
    )  # fmt: skip


def test_mypy_strict_accepts_correct_use_and_rejects_wrong_arguments(tmp_path: Path) -> None:
    assert (ROOT / "generated" / "aws" / "py.typed").is_file()
    assert (ROOT / "generated" / "aws" / "connect" / "py.typed").is_file()
    connect = Path(cloudforge.aws.connect.__file__ or "").parent  # as installed, not resolved
    (tmp_path / "good.py").write_text(GOOD)
    (tmp_path / "bad.py").write_text(BAD)
    result = _mypy(
        tmp_path,
        None,
        "good.py",
        "bad.py",
        # the generated modules themselves are checked strictly too
        str(connect / "security_profile.py"),
        str(connect / "__init__.py"),
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert not [e for e in errors if not e.startswith("bad.py")], result.stdout + result.stderr
    lines = {int(e.split(":")[1]) for e in errors}
    assert lines == {5, 6, 7, 8, 9}, result.stdout + result.stderr
    text = "\n".join(errors)
    assert '"SecurityProfileName"' in text and 'expected "str"' in text
    assert 'Unexpected keyword argument "Descripton"' in text
    assert 'Missing named argument "InstanceArn"' in text


def test_generated_modules_of_hard_registry_types_pass_mypy_strict(tmp_path: Path) -> None:
    # Recursive definitions, a keyword field, oneOf shapes, maps, a definition named like a
    # property: the emitted annotations and TypedDicts must agree with the emitted models.
    types = [
        "AWS::WAFv2::WebACL",
        "AWS::DataZone::ProjectMembership",
        "AWS::IoT::Thing",
        "AWS::ManagedBlockchain::Node",
        "AWS::ApiGatewayV2::Route",
    ]
    pull_schemas(types, dest=tmp_path / "schemas")
    generate_all(tmp_path / "schemas", tmp_path / "out")
    site = _layout(tmp_path / "site", tmp_path / "out" / "aws")
    modules = sorted(str(p) for p in (site / "cloudforge" / "aws").rglob("*.py"))
    result = _mypy(tmp_path, site, *modules)
    assert result.returncode == 0, result.stdout + result.stderr
