"""What both state backends check before trusting what they read: the format version, and the key.

A state is never taken as empty because it could not be read, never used when a newer
cloudforge wrote it, and its key (of write-only hashes and ClientTokens) is never silently made
anew while records depend on it: each of these is an error naming the file (or S3 object) and
the way to recover.
"""

from __future__ import annotations

import os

from cloudforge.errors import StateCorruptError, StateVersionError

# The state format this cloudforge reads and writes: SQLite `PRAGMA user_version`, the S3
# document's "version". 0 (SQLite) is a state written before the format was versioned; 2 added
# dependency edges and the stage's info (outputs, last run); 3 what requests of each type and
# operation took in the last runs (cloudforge.state.durations).
FORMAT_VERSION = 3
# The key of write-only hashes and ClientTokens, given outside the state: 64 hex digits.
KEY_ENV = "CLOUDFORGE_STATE_KEY"
# Set to allow a new key where one is missing although records exist (every write-only value
# is then sent again once, as its hash no longer matches).
NEW_KEY_ENV = "CLOUDFORGE_NEW_KEY"


def cloudforge_version() -> str:
    # Imported here: importlib.metadata (with email.*) costs a no-op run ~20 ms, and the
    # version is only needed for the message of a refused newer state.
    from importlib import metadata

    try:
        return metadata.version("cloudforge")
    except metadata.PackageNotFoundError:  # a source checkout without an install
        return "(unknown version)"


def check_version(found: object, location: str) -> int:
    """The format version `found` in `location`, refused when it is not one this cloudforge knows."""
    if not isinstance(found, int) or isinstance(found, bool) or found < 0:
        raise StateCorruptError(
            location=location,
            problem=f"the state format version is {found!r}, not a version number",
            recovery="Restore an earlier copy of the state.",
        )
    if found > FORMAT_VERSION:
        raise StateVersionError(
            location=location,
            found=found,
            ours=cloudforge_version(),
            supported=FORMAT_VERSION,
        )
    return found


def parse_key(text: str | bytes, location: str, recovery: str) -> bytes:
    """A key as stored (64 hex digits), or StateCorruptError naming where it came from."""
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    text = text.strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        # The content is a secret: only its length is shown.
        raise StateCorruptError(
            location=location,
            problem=f"the state key is {len(text)} characters, not 64 hex digits",
            recovery=recovery,
        )
    return key


def key_from_environment() -> bytes | None:
    value = os.environ.get(KEY_ENV)
    if not value:
        return None
    return parse_key(
        value,
        f"${KEY_ENV}",
        "Set it to 64 hex digits (e.g. from `python -c 'import secrets; print(secrets.token_hex(32))'`), "
        "the same on every machine that deploys this state.",
    )


def missing_key(location: str) -> StateCorruptError:
    return StateCorruptError(
        location=location,
        problem="the state key is missing, but the state holds records whose write-only hashes "
        "and pending ClientTokens were made with it",
        recovery=f"Restore the key (or set ${KEY_ENV} to it). If it is lost for good, run once "
        f"with {NEW_KEY_ENV}=1: a new key is made and every write-only value is sent again.",
    )


def new_key_allowed() -> bool:
    return os.environ.get(NEW_KEY_ENV, "").strip().lower() in ("1", "true", "yes", "on")
