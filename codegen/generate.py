"""The generator pipeline: schema files -> validated -> described -> rendered -> formatted modules.

`generate_all(schemas_dir, out_dir)` rewrites `out_dir/aws/` from every schema in `schemas_dir`
(a type removed from schemas/ disappears), deterministically: no timestamps, output formatted
with ruff, so running it twice leaves no diff. Modules are emitted in parallel across cores and
incrementally: each formatted module is cached under a key made of its schema (with its fix) and
the generator's own fingerprint (`cloudforge.codegen.cache`), so only changed types are emitted
again, and a run that changes nothing writes nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from cloudforge.codegen import metaschema
from cloudforge.codegen.cache import ModuleCache, default_cache_dir, schema_key, text_key
from cloudforge.codegen.description import TypeDescription
from cloudforge.codegen.models import model_source
from cloudforge.codegen.normalize import describe
from cloudforge.codegen.pull import registry_form
from cloudforge.codegen.render import (
    models_module,
    render_aws_init,
    render_base,
    render_index,
    render_lazy,
    render_package_init,
    render_resource,
    schema_data,
    schema_data_file,
)
from cloudforge.errors import SchemaError
from cloudforge.schemas.loading import apply_fix

NOT_SCHEMAS = ("manifest.json",)
# Below this many modules to emit, a process pool costs more than it saves.
POOL_THRESHOLD = 4


def schema_files(schemas_dir: Path) -> list[Path]:
    """The registry schemas in a folder (not their .patch.json fixes, not the manifest)."""
    return sorted(
        p
        for p in Path(schemas_dir).glob("*.json")
        if not p.name.endswith(".patch.json") and p.name not in NOT_SCHEMAS
    )


def load_file(path: Path) -> dict[str, Any]:
    """One schema file with its fix applied, validated against the meta-schema."""
    try:
        schema = json.loads(path.read_text())
    except ValueError as exc:
        raise SchemaError(source=str(path), problem=f"not JSON: {exc}") from exc
    # A file copied from the cfn-lint bundle by hand still carries its lint keywords: drop them
    # here as `pull` does (no registry schema can contain them: the meta-schema forbids them).
    return metaschema.check(registry_form(apply_fix(schema, path)), str(path))


def describe_file(path: Path) -> TypeDescription:
    return describe(load_file(path), path.name)


def module_texts(description: TypeDescription) -> tuple[str, str]:
    """The unformatted modules of one type: the resource module and its models module."""
    models, imports = model_source(description)
    return render_resource(description, models, imports)


def _ruff() -> str:
    local = Path(sys.executable).with_name("ruff")
    return str(local) if local.is_file() else shutil.which("ruff") or "ruff"


def format_tree(root: Path) -> None:
    """ruff format, with fixed settings so the output does not depend on where it runs."""
    subprocess.run(
        [_ruff(), "format", "--isolated", "--line-length", "100", "--quiet", str(root)],
        check=True,
    )


def format_texts(texts: dict[str, str]) -> dict[str, str]:
    """Relative path -> formatted text, formatted by one ruff run in a scratch folder."""
    if not texts:
        return {}
    with tempfile.TemporaryDirectory(prefix="cloudforge-format-") as tmp:
        scratch = Path(tmp)
        for rel, text in texts.items():
            target = scratch / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        format_tree(scratch)
        return {rel: (scratch / rel).read_text() for rel in texts}


def emit_module(path: Path) -> dict[str, str]:
    """One schema file -> its unformatted module and where it goes (run in worker processes).

    Errors come back as data ({"error": ...}): every failing schema is reported, not the first.
    """
    try:
        d = describe_file(path)
        text, models_text = module_texts(d)
    except SchemaError as exc:
        return {"error": str(exc)}
    except Exception as exc:  # a generator bug on one schema is reported with the schema
        return {"error": f"{path.name}: generator failed: {type(exc).__name__}: {exc}"}
    return {
        "type_name": d.type_name,
        "service": d.service,
        "module": d.module,
        "class_name": d.class_name,
        "text": text,
        "models_module": models_module(d),
        "models_text": models_text,
        "schema_file": schema_data_file(d),
        "schema_text": schema_data(d),
    }


def _emit_all(paths: list[Path], workers: int | None) -> list[dict[str, str]]:
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(paths) < POOL_THRESHOLD:
        return [emit_module(p) for p in paths]
    # Import the heavy generator libraries once, before the workers are forked.
    import datamodel_code_generator  # noqa: F401

    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(emit_module, paths, chunksize=max(1, len(paths) // (workers * 8))))


def module_entries(
    paths: Iterable[Path], cache: ModuleCache, workers: int | None = None
) -> list[dict[str, str]]:
    """The formatted module entry of every schema, from the cache or emitted now."""
    keyed = [(p, schema_key(p)) for p in paths]
    entries: dict[Path, dict[str, str]] = {}
    missing: list[tuple[Path, str]] = []
    for path, key in keyed:
        hit = cache.get(key)
        if hit is None:
            missing.append((path, key))
        else:
            entries[path] = hit
    emitted = _emit_all([p for p, _ in missing], workers)
    errors = [e["error"] for e in emitted if "error" in e]
    if errors:
        shown = "\n  ".join(errors[:20]) + (
            f"\n  and {len(errors) - 20} more" if len(errors) > 20 else ""
        )
        raise SchemaError(
            source=f"{len(errors)} of {len(keyed)} schemas",
            problem=f"cannot be generated:\n  {shown}",
        )
    texts = {f"m{i}.py": e["text"] for i, e in enumerate(emitted)}
    texts |= {f"m{i}_models.py": e["models_text"] for i, e in enumerate(emitted)}
    formatted = format_texts(texts)
    for i, ((path, key), entry) in enumerate(zip(missing, emitted, strict=True)):
        entry = {
            **entry,
            "text": formatted[f"m{i}.py"],
            "models_text": formatted[f"m{i}_models.py"],
        }
        cache.put(key, entry)
        entries[path] = entry
    return [entries[p] for p, _ in keyed]


def package_texts(entries: list[dict[str, str]]) -> dict[str, str]:
    """Relative path -> unformatted text of the package files (inits, index, base)."""
    files: dict[str, str] = {"aws/py.typed": ""}
    by_service: dict[str, list[tuple[str, str]]] = defaultdict(list)
    namespaces: dict[str, set[str]] = defaultdict(set)  # package -> {"AWS::Connect"}
    modules: dict[str, str] = {}
    index: list[tuple[str, str, str]] = []
    for e in entries:
        path = f"aws/{e['service']}/{e['module']}.py"
        if path in modules:
            raise SchemaError(
                source=e["type_name"], problem=f"{path} is generated for {modules[path]} too"
            )
        modules[path] = e["type_name"]
        by_service[e["service"]].append((e["class_name"], e["module"]))
        namespaces[e["service"]].add(e["type_name"].rsplit("::", 1)[0])
        index.append(
            (e["type_name"], f"cloudforge.aws.{e['service']}.{e['module']}", e["class_name"])
        )
    for service, exports in by_service.items():
        names = [name for name, _ in exports]
        if len(set(names)) != len(names):
            raise SchemaError(
                source=service, problem=f"two types named alike in one service: {names}"
            )
        files[f"aws/{service}/__init__.py"] = render_package_init(
            ", ".join(sorted(namespaces[service])), exports
        )
        files[f"aws/{service}/py.typed"] = ""
    files["aws/__init__.py"] = render_aws_init(list(by_service))
    files["aws/_index.py"] = render_index(index)
    files["aws/_base.py"] = render_base()
    files["aws/_lazy.py"] = render_lazy()
    return files


def render_tree(entries: list[dict[str, str]], cache: ModuleCache) -> dict[str, str]:
    """Relative path under out_dir -> formatted text, for the whole `aws/` tree."""
    files = {f"aws/{e['service']}/{e['module']}.py": e["text"] for e in entries}
    files |= {f"aws/{e['service']}/{e['models_module']}.py": e["models_text"] for e in entries}
    files |= {f"aws/{e['service']}/{e['schema_file']}": e["schema_text"] for e in entries}
    packages = package_texts(entries)
    todo: dict[str, str] = {}
    keys: dict[str, str] = {}
    for rel, text in packages.items():
        keys[rel] = text_key(text)
        hit = cache.get(keys[rel]) if text else {"text": ""}
        if hit is None:
            todo[rel] = text
        else:
            files[rel] = hit["text"]
    for rel, text in format_texts(todo).items():
        cache.put(keys[rel], {"text": text})
        files[rel] = text
    return files


def tree_matches(files: dict[str, str], out_dir: Path) -> bool:
    """Whether `out_dir/aws` holds exactly `files` (no more, no fewer, same text)."""
    root = out_dir / "aws"
    if not root.is_dir():
        return False
    on_disk = {
        p.relative_to(out_dir).as_posix()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    if on_disk != set(files):
        return False
    return all((out_dir / rel).read_text() == text for rel, text in files.items())


def write_tree(files: dict[str, str], out_dir: Path) -> None:
    """Replace `out_dir/aws` by `files` (already formatted), swapping whole trees by renames."""
    out_dir.mkdir(parents=True, exist_ok=True)
    # Swap by renames next to the target, so a concurrent import sees the old tree or the new
    # one, hardly ever none.
    staged, retired = out_dir / ".aws.new", out_dir / ".aws.old"
    for leftover in (staged, retired):
        shutil.rmtree(leftover, ignore_errors=True)
    for rel, text in files.items():
        target = staged / Path(rel).relative_to("aws")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    if (out_dir / "aws").exists():
        (out_dir / "aws").rename(retired)
    staged.rename(out_dir / "aws")
    shutil.rmtree(retired, ignore_errors=True)


def generate_all(
    schemas_dir: Path,
    out_dir: Path,
    *,
    workers: int | None = None,
    cache_dir: Path | None = None,
) -> list[Path]:
    """Regenerate `out_dir/aws/` from every schema in `schemas_dir`; the files it holds.

    `workers`: processes for emitting modules (default: one per core). `cache_dir`: where
    formatted modules are kept by content key (default `default_cache_dir()`; the key covers the
    schema, its fix and the generator itself, so a shared cache is never stale).
    """
    out_dir = Path(out_dir)
    cache = ModuleCache(cache_dir if cache_dir is not None else default_cache_dir())
    entries = module_entries(schema_files(Path(schemas_dir)), cache, workers)
    files = render_tree(entries, cache)
    if not tree_matches(files, out_dir):
        write_tree(files, out_dir)
    return sorted(out_dir / rel for rel in files)
