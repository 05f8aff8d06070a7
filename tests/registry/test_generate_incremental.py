"""The generator over many schemas: parallel output equals serial output, a no-op run writes
nothing, a changed schema re-emits only its module, and every failing schema is named."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cloudforge.codegen.cache import ModuleCache, schema_key
from cloudforge.codegen.generate import generate_all
from cloudforge.codegen.pull import pull_schemas
from cloudforge.errors import SchemaError

TYPES = [
    "AWS::Connect::SecurityProfile",
    "AWS::Connect::Queue",
    "AWS::IoT::Thing",
    "AWS::SecretsManager::Secret",
    "AWS::Cognito::UserPoolUserToGroupAttachment",
]


def _entries(cache: Path) -> set[Path]:
    return set(cache.rglob("*.json"))


def _snapshot(root: Path) -> dict[str, tuple[int, str]]:
    return {
        p.relative_to(root).as_posix(): (p.stat().st_mtime_ns, p.read_text())
        for p in root.rglob("*.py")
    }


@pytest.fixture()
def schemas(tmp_path: Path) -> Path:
    pull_schemas(TYPES, dest=tmp_path / "schemas")
    return tmp_path / "schemas"


def test_parallel_and_serial_runs_write_the_same_tree(schemas: Path, tmp_path: Path) -> None:
    generate_all(schemas, tmp_path / "serial", workers=1, cache_dir=tmp_path / "c1")
    generate_all(schemas, tmp_path / "parallel", workers=2, cache_dir=tmp_path / "c2")
    serial = {k: v[1] for k, v in _snapshot(tmp_path / "serial").items()}
    parallel = {k: v[1] for k, v in _snapshot(tmp_path / "parallel").items()}
    assert serial == parallel and "aws/connect/queue.py" in serial


def test_a_no_op_run_writes_nothing_and_a_change_re_emits_one_module(
    schemas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache, out = tmp_path / "cache", tmp_path / "out"
    generate_all(schemas, out, cache_dir=cache)
    before, cached = _snapshot(out), _entries(cache)

    # What makes a no-op run cheap (its time is `make bench`, figure 2): no module emitted,
    # no formatter started, no file written.
    started: list[str] = []
    real_run = subprocess.run

    def run(args: list[str], *more: Any, **options: Any) -> Any:
        started.append(Path(args[0]).name)
        return real_run(args, *more, **options)

    monkeypatch.setattr(subprocess, "run", run)
    generate_all(schemas, out, cache_dir=cache)
    assert started == []
    assert _snapshot(out) == before  # same text, same modification times: nothing rewritten
    assert _entries(cache) == cached  # nothing emitted

    path = schemas / "aws-iot-thing.json"
    schema = json.loads(path.read_text())
    schema["description"] = "A thing, described anew."
    path.write_text(json.dumps(schema))
    generate_all(schemas, out, cache_dir=cache)
    assert started == ["ruff"]  # the changed module, formatted
    assert len(_entries(cache) - cached) == 1  # only the changed type was emitted
    after = _snapshot(out)
    changed = {k for k in after if after[k][1] != before[k][1]}
    assert changed == {"aws/iot/thing.py"}
    assert "A thing, described anew." in after["aws/iot/thing.py"][1]


def test_the_cache_key_covers_the_schema_fix(schemas: Path) -> None:
    path = schemas / "aws-iot-thing.json"
    key = schema_key(path)
    fix = schemas / "aws-iot-thing.patch.json"
    fix.write_text(json.dumps({"reason": "test", "patch": []}))
    assert schema_key(path) != key


def test_an_unreadable_cache_entry_is_a_miss(tmp_path: Path) -> None:
    cache = ModuleCache(tmp_path)
    cache.put("ab" * 32, {"text": "x = 1\n"})
    assert cache.get("ab" * 32) == {"text": "x = 1\n"}
    (tmp_path / "ab" / f"{'ab' * 32}.json").write_text("{not json")
    assert cache.get("ab" * 32) is None


def test_every_failing_schema_is_named_and_the_tree_is_left_alone(
    schemas: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    generate_all(schemas, out, cache_dir=tmp_path / "cache")
    before = _snapshot(out)
    for name in ("aws-iot-thing.json", "aws-connect-queue.json"):
        schema = json.loads((schemas / name).read_text())
        schema["handlers"] = "not an object"
        (schemas / name).write_text(json.dumps(schema))
    with pytest.raises(SchemaError) as caught:
        generate_all(schemas, out, cache_dir=tmp_path / "cache", workers=2)
    message = str(caught.value)
    assert "2 of 5 schemas" in message
    assert "aws-iot-thing.json" in message and "aws-connect-queue.json" in message
    assert "/handlers" in message
    assert _snapshot(out) == before
