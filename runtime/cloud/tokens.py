"""ClientToken derivation: the same operation always carries the same token.

A token is a keyed hash of (stage, logical id, operation, desired state, identifier, attempt,
generation). Re-sending after a crash between send and journal therefore repeats the request
instead of duplicating it; a new generation (bumped whenever an operation on the logical id
finishes) makes a later, different operation with the same inputs a new request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def client_token(
    key: bytes,
    *,
    stage: str,
    logical_id: str,
    operation: str,
    desired: Any,
    attempt: int,
    generation: int,
    identifier: str | None = None,
) -> str:
    # Keyed so that a token never lets anyone test guesses of a write-only value in `desired`.
    message = canonical_json(
        [stage, logical_id, operation, identifier, desired, attempt, generation]
    ).encode()
    digest = hmac.new(key, message, hashlib.sha256).hexdigest()
    # ClientToken: 1-128 characters of [-A-Za-z0-9+/=].
    return f"cf-{operation}-{digest[:48]}"
