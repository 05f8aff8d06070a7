"""The portable form of one stage's state: `cloudforge state export` / `state import`.

A JSON object, documented in the README ("Moving and backing up state"):

    {"format": "cloudforge-state", "version": 1, "app": ..., "stage": ...,
     "key_fingerprint": ..., "records": {logical id: record}, "generations": {...},
     "info": {...}}

Every field of every record is kept as stored (write-only values stay keyed hashes), and the
output is deterministic (sorted keys, no timestamp), so export -> import -> export gives the same
bytes, on SQLite or S3 alike. `key_fingerprint` names the state store's key (not the key): write-only
hashes only match under the key they were made with. `--with-key` adds `"key"` (hex) so that a
fresh store takes the same key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict, fields
from typing import Any

from cloudforge.errors import CloudforgeError
from cloudforge.state.sqlite import ResourceRecord, StageState

FORMAT = "cloudforge-state"
VERSION = 1
# How cloudforge.engine.hashing marks a write-only hash: salted scrypt, or the older keyed HMAC.
REDACTED_PREFIXES = ("scrypt:", "hmac-sha256:")

_FIELDS = {f.name for f in fields(ResourceRecord)}
_REQUIRED = {"logical_id", "type_name", "identifier", "declared", "properties"}


class StateDocumentError(CloudforgeError):
    """A file given to `cloudforge state import` is not a state export cloudforge can read."""


def key_fingerprint(key: bytes) -> str:
    """A name for a state store's key that reveals nothing of it."""
    return hmac.new(key, b"cloudforge key fingerprint", hashlib.sha256).hexdigest()[:16]


def export_document(
    app: str, stage: str, state: StageState, key: bytes, *, with_key: bool = False
) -> dict[str, Any]:
    """The export of one stage; `with_key` adds the store's key itself (hex), so that a fresh
    store can take it and the write-only hashes keep matching (the file is then as sensitive as
    the state folder or bucket prefix with its key)."""
    extra = {"key": key.hex()} if with_key else {}
    return {
        **extra,
        "format": FORMAT,
        "version": VERSION,
        "app": app,
        "stage": stage,
        "key_fingerprint": key_fingerprint(key),
        "records": {lid: asdict(r) for lid, r in sorted(state.records.items())},
        "generations": dict(sorted(state.generations.items())),
        "info": state.info,
    }


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def parse_document(text: str, source: str = "the file") -> dict[str, Any]:
    """The export document in `text`, checked; a StateDocumentError naming what is wrong."""
    try:
        doc = json.loads(text)
    except ValueError as err:
        raise StateDocumentError(f"{source} is not JSON ({err})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise StateDocumentError(
            f"{source} is not a cloudforge state export (no \"format\": \"{FORMAT}\"); make one "
            "with `cloudforge state export`"
        )
    version = doc.get("version")
    if not isinstance(version, int) or version > VERSION or version < 1:
        raise StateDocumentError(
            f"{source} has state format version {version!r}; this cloudforge reads version "
            f"{VERSION} and older: upgrade cloudforge"
        )
    for name, kind in (("app", str), ("stage", str), ("records", dict), ("generations", dict)):
        if not isinstance(doc.get(name), kind):
            raise StateDocumentError(f"{source}: \"{name}\" must be a {kind.__name__}")
    key = doc.get("key")
    if key is not None:
        try:
            bytes.fromhex(key)
        except (TypeError, ValueError):
            raise StateDocumentError(f"{source}: \"key\" must be hex digits") from None
    if not isinstance(doc.get("info", {}), dict):
        raise StateDocumentError(f"{source}: \"info\" must be an object")
    return doc


def stage_state(doc: dict[str, Any], source: str = "the file") -> StageState:
    """The records, generations and info of a parsed export document."""
    records = {}
    for lid, stored in doc["records"].items():
        where = f"{source}: records/{lid}"
        if not isinstance(stored, dict):
            raise StateDocumentError(f"{where} must be an object")
        unknown = set(stored) - _FIELDS
        missing = _REQUIRED - set(stored)
        if unknown or missing:
            raise StateDocumentError(
                f"{where}: "
                + "; ".join(
                    part
                    for part in (
                        f"unknown fields {sorted(unknown)}" if unknown else "",
                        f"missing fields {sorted(missing)}" if missing else "",
                    )
                    if part
                )
            )
        if stored["logical_id"] != lid:
            raise StateDocumentError(f"{where}: its logical_id is {stored['logical_id']!r}")
        records[lid] = ResourceRecord(**stored)
    generations = {}
    for lid, generation in doc["generations"].items():
        if not isinstance(generation, int):
            raise StateDocumentError(f"{source}: generations/{lid} must be an integer")
        generations[lid] = generation
    return StageState(records=records, generations=generations, info=dict(doc.get("info", {})))


def write_only_hashes(state: StageState) -> int:
    """How many write-only values the records hold as keyed hashes."""

    def count(value: Any) -> int:
        if isinstance(value, str):
            return int(value.startswith(REDACTED_PREFIXES))
        if isinstance(value, dict):
            return sum(count(v) for v in value.values())
        if isinstance(value, list):
            return sum(count(v) for v in value)
        return 0

    return sum(
        count(r.declared) + count(r.pending_declared or {}) for r in state.records.values()
    )
