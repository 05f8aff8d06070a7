"""The state file: an append-only journal of JSON lines, compacted when it is opened.

Each change appends the new version of what changed (a resource, a request) or a tombstone, and
flushes it, so a restart (or a crash of the server process) loses nothing and a write costs one
short line, not a rewrite of the whole store. Opening the file replays it and rewrites it compactly.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any


def read(path: Path) -> Iterator[dict[str, Any]]:
    """The journal's records in order; a torn last line (a crash mid-write) is ignored."""
    if not path.is_file():
        return
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record


class Journal:
    """Appends records to the state file; `rewrite` replaces it with a compact snapshot."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    def rewrite(self, records: Iterable[dict[str, Any]]) -> None:
        self.close()
        tmp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record) + "\n")
        os.replace(tmp, self.path)

    def append(self, records: Iterable[dict[str, Any]]) -> None:
        if self._handle is None:
            self._handle = self.path.open("a", encoding="utf-8")
        self._handle.write("".join(json.dumps(r) + "\n" for r in records))
        self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
