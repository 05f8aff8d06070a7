"""Fidelity of the generated validation and models to the registry schema, property-based.

For a sample of bundled types (rotating: seeded by the date unless CLOUDFORGE_FIDELITY_SEED is
set; the seed is printed), hypothesis draws property documents from the type's registry schema
(as written, and with its constraints loosened so that many draws are invalid): the generated
class must accept exactly the documents the oracle (jsonschema Draft 7 + `regex` patterns)
accepts, and its pydantic model every document the class accepts. The strategies, the oracle and
the judging live in cloudforge.codegen.fidelity, which `make check-registry` runs over every type.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cloudforge.codegen.fidelity import Oracle, check_type
from cloudforge.schemas.loading import cfn_lint_bundle
from registry_samples import fidelity_seed, pick

from tests.generated_types import generated_classes, generated_package

PACKAGE = "cfgen_fidelity"
SAMPLE_SIZE = int(os.environ.get("CLOUDFORGE_FIDELITY_SAMPLE") or 5)  # a wider sweep by hand
# Types always checked besides the rotating sample: patternProperties maps, nested objects with
# required keys, enums, ECMA patterns, a top-level anyOf of required sets, maps whose keys are
# closed by `additionalProperties: false` beside patternProperties (ECS DockerLabels).
FIXED = [
    "AWS::IoT::Thing",
    "AWS::Connect::SecurityProfile",
    "AWS::S3Vectors::VectorBucketPolicy",
    "AWS::ECS::TaskDefinition",
]
# hypothesis-jsonschema slows down sharply on very large schemas: the rotating sample is drawn
# from the types whose schema file is below this size (most of the registry).
MAX_SCHEMA_BYTES = int(os.environ.get("CLOUDFORGE_FIDELITY_MAX_BYTES") or 12_000)


def _sample() -> list[str]:
    bundle = cfn_lint_bundle()
    small = [n for n, p in bundle.items() if p.stat().st_size < MAX_SCHEMA_BYTES and n not in FIXED]
    return pick(small, SAMPLE_SIZE, fidelity_seed())


SAMPLE = _sample()
TYPES = FIXED + SAMPLE


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("fidelity")
    with generated_package(TYPES, PACKAGE, root):
        yield {
            type_name: (
                cls,
                json.loads(
                    (root / "schemas" / f"{type_name.lower().replace('::', '-')}.json").read_text()
                ),
            )
            for type_name, cls in generated_classes(PACKAGE).items()
        }


VALID_DRAWN: dict[str, int] = {}


@pytest.mark.parametrize("type_name", TYPES)
def test_generated_validation_and_models_agree_with_the_registry_schema(
    generated: dict[str, Any], type_name: str
) -> None:
    """Validation accepts exactly what the registry schema accepts; the pydantic model accepts
    everything validation accepts (cloudforge.codegen.fidelity draws and judges)."""
    cls, schema = generated[type_name]
    verdicts = check_type(cls, schema, examples=120)
    # Invalid documents were drawn and rejected; valid ones are counted across the sample below
    # (a type whose required strings have tight lengths and patterns yields few).
    assert verdicts.invalid >= 5, (type_name, verdicts)
    VALID_DRAWN[type_name] = verdicts.valid


def test_the_oracle_is_not_trivial() -> None:
    """The oracle itself rejects what the registry rejects (so agreement means something)."""
    schema = {
        "type": "object",
        "properties": {"Name": {"type": "string", "pattern": "^\\p{L}+\\z"}},
        "required": ["Name"],
        "additionalProperties": False,
    }
    oracle = Oracle(schema)
    assert oracle.is_valid({"Name": "Zoë"})
    assert not oracle.is_valid({"Name": "Zoë1"})
    assert not oracle.is_valid({"Name": "a", "Other": 1})
    assert not oracle.is_valid({})


def test_sample_is_rotating_and_seeded() -> None:
    assert len(SAMPLE) == SAMPLE_SIZE and not set(SAMPLE) & set(FIXED)
    assert Path(cfn_lint_bundle()[SAMPLE[0]]).is_file()


def test_valid_documents_were_accepted_for_most_types() -> None:
    """Runs after the agreement tests: most types had valid documents drawn (and accepted)."""
    if len(VALID_DRAWN) < len(TYPES):
        pytest.skip("needs the agreement tests of every sampled type in the same run")
    well_covered = [name for name, count in VALID_DRAWN.items() if count >= 5]
    assert len(well_covered) >= 2 * len(TYPES) // 3, VALID_DRAWN
