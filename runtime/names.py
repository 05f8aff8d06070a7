"""The allowed form of app names, stage names and logical ids, and the names built from them.

App names, stage names and logical ids are 1-100 characters of ASCII letters, digits, `-`, `_`
and `.`, starting with a letter or a digit (Pulumi's stack-name alphabet). That keeps every name
one line of plain text on a terminal (no newline, no bidi override), a valid file name and S3
key part, and leaves characters no user name can contain for cloudforge's own records (`#`) and
separators (`/`). A git branch `feature/x` is written `feature-x` (for example
`--stage "${BRANCH//\\//-}"`): cloudforge never rewrites a name itself, so two branches can never
silently share a stage.

The state of an (app, stage) pair is kept under `scope(app, stage)` = `"app/stage"`: since
neither part may contain `/`, distinct pairs always give distinct scopes. `file_name(scope)` is
an injective file name for anything built from a scope (lock files), whatever its characters.
"""

from __future__ import annotations

import hashlib
import re

from cloudforge.errors import InvalidNameError

MAX_LENGTH = 100
_FORM = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_LENGTH - 1}}}")
ALLOWED = (
    f"1-{MAX_LENGTH} ASCII letters, digits, '-', '_' or '.', starting with a letter or a digit"
)
# Internal records (the old resource of a replacement in progress) are named `<id>#<what>`;
# `#` is outside the allowed form, so no logical id a program declares can ever collide.
INTERNAL_MARK = "#"


def _shown(value: str) -> str:
    # A name is shown escaped and cut short: it may be 10,000 characters or reverse the line.
    text = value if len(value) <= 60 else value[:60] + f"...({len(value)} characters)"
    return text.encode("ascii", "backslashreplace").decode("ascii")


def check(value: object, what: str) -> str:
    """`value` if it is a valid name, else InvalidNameError saying what `what` must look like."""
    if not isinstance(value, str):
        raise InvalidNameError(
            what=what, value=value, allowed=ALLOWED, hint=f" (got a {type(value).__name__})"
        )
    if _FORM.fullmatch(value) is None:
        hint = ""
        if "/" in value:
            hint = f"; a branch name like 'feature/x' is written {value.replace('/', '-')!r}"
        raise InvalidNameError(what=what, value=_shown(value), allowed=ALLOWED, hint=hint)
    return value


def scope(app: str, stage: str) -> str:
    """The state namespace of an (app, stage) pair: injective, as neither part holds `/`."""
    return f"{check(app, 'app name')}/{check(stage, 'stage name')}"


def internal_id(logical_id: str, what: str) -> str:
    """The record name of cloudforge's own bookkeeping about `logical_id` (never a user id)."""
    return f"{logical_id}{INTERNAL_MARK}{what}"


def is_internal(logical_id: str) -> bool:
    return INTERNAL_MARK in logical_id


_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
_MAX_FILE_NAME = 200  # bytes; file systems allow 255, leaving room for a suffix


def file_name(name: str) -> str:
    """An injective file name for any string: characters outside [A-Za-z0-9-_.] become `%XX`
    (UTF-8 bytes, `%` itself included), and a name too long for a file system becomes
    `%sha256-<hex>` (never an escaped name: those have two hex digits after each `%`)."""
    escaped = "".join(
        c if c in _SAFE else "".join(f"%{b:02X}" for b in c.encode("utf-8", "surrogatepass"))
        for c in name
    )
    if escaped.startswith("."):  # never `.`, `..` or a hidden file
        escaped = "%2E" + escaped[1:]
    if len(escaped) > _MAX_FILE_NAME:
        return "%sha256-" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()
    return escaped
