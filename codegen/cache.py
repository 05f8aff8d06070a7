"""The generator's content-addressed cache: what makes `make codegen` incremental.

A formatted module is stored under the hash of its schema file, its `.patch.json` fix and the
generator's fingerprint (its own source, templates, meta-schema, and the versions of the tools
whose output it embeds), so an entry can never be stale: a changed input is a different key.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

CODEGEN_DIR = Path(__file__).resolve().parent
# Tools whose version changes the emitted text.
TOOLS = ("datamodel-code-generator", "ruff", "pydantic", "jinja2")


def default_cache_dir() -> Path:
    """$CLOUDFORGE_CODEGEN_CACHE, else cloudforge/codegen under $XDG_CACHE_HOME or ~/.cache."""
    explicit = os.environ.get("CLOUDFORGE_CODEGEN_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cloudforge" / "codegen"


def _tool_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "none"


@cache
def fingerprint() -> str:
    """Hash of everything besides the schema that decides the output."""
    digest = hashlib.sha256()
    for path in sorted(CODEGEN_DIR.rglob("*")):
        if (
            path.is_file()
            and path.suffix in (".py", ".j2", ".json")
            and "__pycache__" not in path.parts
        ):
            digest.update(path.relative_to(CODEGEN_DIR).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    for tool in TOOLS:
        digest.update(f"{tool}={_tool_version(tool)}\0".encode())
    return digest.hexdigest()


def schema_key(path: Path) -> str:
    """The key of one schema file's module: schema bytes, fix bytes (if any), generator."""
    digest = hashlib.sha256(fingerprint().encode() + b"\0schema\0")
    digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    fix = path.with_name(path.name.removesuffix(".json") + ".patch.json")
    if fix.is_file():
        digest.update(fix.read_bytes())
    return digest.hexdigest()


def text_key(text: str) -> str:
    """The key of a package file's formatted text: its unformatted text and the generator."""
    return hashlib.sha256(fingerprint().encode() + b"\0text\0" + text.encode()).hexdigest()


class ModuleCache:
    """Entries (JSON objects of strings) by key, one file each under `root/<key[:2]>/`.

    Writes go through a temporary file and a rename, so concurrent runs (tests, the bench) can
    share one cache. An unreadable entry counts as a miss.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, str] | None:
        try:
            entry: Any = json.loads(self._path(key).read_text())
        except (OSError, ValueError):
            return None
        return entry if isinstance(entry, dict) else None

    def put(self, key: str, entry: dict[str, str]) -> None:
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(fd, "w") as out:
                json.dump(entry, out)
            os.replace(tmp, target)
        except OSError:
            pass  # a cache that cannot be written only costs speed
