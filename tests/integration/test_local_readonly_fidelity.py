"""Read-only values the local cloud makes up look like AWS's: every GetResource answer validates
against its type's registry schema (types, patterns through `regex`, enums, lengths).

A seeded sample of 200 bundled types (CLOUDFORGE_READONLY_SEED repeats another): one resource of
each is created with its required properties and read back. The figure (answers that validate,
out of the types sampled) is printed; types the emulator cannot create from drawn input (a
moto-backed type whose service refuses made-up references) count against it.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Iterator
from typing import Any

import jsonschema
from cloudforge.local import LocalCloud
from cloudforge.local.readonly import sample
from cloudforge.local.typeinfo import type_info
from cloudforge.local.validation import compile_pattern
from cloudforge.schemas.loading import cfn_lint_bundle

SEED = int(os.environ.get("CLOUDFORGE_READONLY_SEED") or 16)
SIZE = 200
MIN_SHARE = 0.98  # of the answers read back, those that validate (measured: see NOTES.md)


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    # Registry patterns are ECMA/Java regexes: read as the generated validation reads them.
    compiled = compile_pattern(pattern)
    if validator.is_type(instance, "string") and compiled is not None and compiled.search(instance) is None:
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


Oracle = jsonschema.validators.extend(jsonschema.Draft7Validator, {"pattern": _pattern})


def _answer_problems(type_name: str, properties: dict[str, Any]) -> list[str]:
    schema = type_info(type_name).schema
    document = {"type": "object", "properties": schema.get("properties", {}),
                "definitions": schema.get("definitions", {})}
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in Oracle(document).iter_errors(properties)]


def _desired(type_name: str, rng: random.Random) -> dict[str, Any]:
    info = type_info(type_name)
    props = info.schema.get("properties", {})
    return {name: sample(info, name, props[name], {}, rng) for name in info.schema.get("required", []) if name in props}


def _created(cc: Any, type_name: str, desired: dict[str, Any]) -> str | None:
    event = cc.create_resource(TypeName=type_name, DesiredState=json.dumps(desired))["ProgressEvent"]
    for _ in range(100):
        event = cc.get_resource_request_status(RequestToken=event["RequestToken"])["ProgressEvent"]
        if event["OperationStatus"] not in ("PENDING", "IN_PROGRESS"):
            break
        time.sleep(0.01)
    return event.get("Identifier") if event["OperationStatus"] == "SUCCESS" else None


def test_get_resource_answers_validate_against_their_schemas(cc: Any, local_cloud: LocalCloud) -> None:
    creatable = [t for t in sorted(cfn_lint_bundle()) if {"create", "read"} <= type_info(t).handlers]
    sampled = sorted(random.Random(SEED).sample(creatable, SIZE))
    rng = random.Random(SEED)
    valid, created, misses = 0, 0, {}
    for type_name in sampled:
        try:
            identifier = _created(cc, type_name, _desired(type_name, rng))
        except Exception as exc:  # a drawn document the emulator's own validation refuses
            misses[type_name] = [f"not created: {exc}"]
            continue
        if identifier is None:
            misses[type_name] = ["not created"]
            continue
        created += 1
        answer = cc.get_resource(TypeName=type_name, Identifier=identifier)["ResourceDescription"]
        problems = _answer_problems(type_name, json.loads(answer["Properties"]))
        if problems:
            misses[type_name] = problems
        else:
            valid += 1
    print(f"\nread-only fidelity (seed {SEED}): {valid}/{len(sampled)} sampled types' GetResource answers "
          f"validate ({created} created from drawn required properties)")
    for type_name, problems in sorted(misses.items()):
        print(f"  {type_name}: {problems[:2]}")
    assert created >= 0.9 * len(sampled), misses
    assert valid >= MIN_SHARE * created, misses
