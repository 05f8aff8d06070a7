"""The local cloud's generic handler over the registry: every type it serves gets a validator and
read-only values that satisfy the type's own schema.

A deterministic sample (every 9th of the ~1,850 bundled types) keeps this fast; the full registry
behaves the same (at the time of writing 13 of ~5,000 read-only properties miss, all
oneOf/anyOf objects or ECMA-only patterns that no generator can read).
"""

from __future__ import annotations

import random

import pytest
from cloudforge.local.hooks import HookContext, TypeHooks
from cloudforge.local.typeinfo import type_info
from cloudforge.local.validation import RegistryValidator, violations
from cloudforge.schemas.loading import cfn_lint_bundle

pytestmark = pytest.mark.slow  # every ninth registry type served by the local cloud

SAMPLE = sorted(cfn_lint_bundle())[::9]


def test_the_sample_is_a_real_slice_of_the_registry() -> None:
    assert len(SAMPLE) > 150


def test_generated_read_only_values_satisfy_their_schemas() -> None:
    checked, misses = 0, []
    for type_name in SAMPLE:
        info = type_info(type_name)
        if "create" not in info.handlers:
            continue
        model = TypeHooks().prepare_create(HookContext(rng=random.Random(7)), info, {})
        props = info.schema.get("properties", {})
        for path in info.read_only:
            if len(path) != 1 or path[0] not in props:
                continue
            checked += 1
            schema = {**props[path[0]], "definitions": info.schema.get("definitions", {})}
            if any(True for _ in RegistryValidator(schema).iter_errors(model[path[0]])):
                misses.append((type_name, path[0], model[path[0]]))
    assert checked > 400
    assert len(misses) <= checked // 100, misses


@pytest.mark.parametrize("type_name", SAMPLE[::4])
def test_every_schema_validates_without_crashing(type_name: str) -> None:
    # Whatever the schema holds (recursive refs, ECMA patterns), validation answers in AWS's words.
    problems = violations(type_name, {"NoSuchProperty": 1})
    assert all(p.startswith("#") for p in problems)
