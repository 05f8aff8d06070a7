"""`make check-registry` in small: a seeded random sample of the bundled types (40, rotating by
date; the seed is in pytest's header) is pulled, generated, imported, fidelity-checked (a few
documents each) and type-checked with mypy --strict, as the full check does for all of them."""

from __future__ import annotations

from pathlib import Path

from cloudforge.codegen.check import check_registry, import_check
from registry_samples import all_types, pick, registry_seed

SAMPLE_SIZE = 40


def test_sampled_registry_types_generate_import_and_type_check(tmp_path: Path) -> None:
    types = pick(all_types(), SAMPLE_SIZE, registry_seed())
    report = check_registry(types, tmp_path, cache_dir=tmp_path / "cache", examples=5)
    assert report.failed == {}, report.summary()
    assert report.ok == SAMPLE_SIZE
    assert set(report.seconds) == {"pull", "generate", "import", "fidelity", "mypy"}
    assert report.documents["valid"] + report.documents["invalid"] > SAMPLE_SIZE
    assert len(list((tmp_path / "out" / "aws").glob("*/*.py"))) >= SAMPLE_SIZE


def test_a_broken_module_is_reported_by_type_name(tmp_path: Path) -> None:
    report = check_registry(
        ["AWS::Connect::SecurityProfile", "AWS::IoT::Thing"],
        tmp_path,
        cache_dir=tmp_path / "cache",
        mypy=False,
        examples=0,
    )
    assert report.failed == {} and report.ok == 2
    module = tmp_path / "out" / "aws" / "iot" / "thing.py"
    module.write_text(module.read_text().replace("class Thing(", "class Thing2("))
    indexed, failed = import_check(tmp_path / "out" / "aws")
    assert indexed == ["AWS::Connect::SecurityProfile", "AWS::IoT::Thing"]
    assert list(failed) == ["AWS::IoT::Thing"] and "Thing" in failed["AWS::IoT::Thing"]
