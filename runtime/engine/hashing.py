"""Write-only values at rest: a salted, keyed, memory-hard hash, enough to notice a change.

A stored hash is `scrypt:<salt>:<digest>`, digest = scrypt(HMAC-SHA256(key, value), salt):
- the key (the state store's, or $CLOUDFORGE_STATE_KEY) means a copy of the state alone does
  not let anyone test guesses;
- a random 16-byte salt per value means equal secrets (across resources, stages, apps) do not
  hash alike, so one cracked hash reveals nothing else and precomputation is useless;
- scrypt (n=2**13, r=8: 8 MiB and ~25 ms per guess on an idle core; half the usual interactive
  setting, as every run hashes each declared write-only value once) makes
  each offline guess cost orders of magnitude more than the one HMAC it was (bench/ and
  tests/robustness/test_secrets.py measure the ratio).
A value is compared by hashing it with the stored salt; an equal one keeps the stored hash, so
an unchanged secret stays a zero-call no-op and a resumed request derives the same ClientToken.
Hashes from before (`hmac-sha256:<hex>`, unsalted) still match, and are replaced by the salted
form when the value next changes.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from typing import Any

from cloudforge.cloud.tokens import canonical_json

PREFIX = "scrypt:"
LEGACY_PREFIX = "hmac-sha256:"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**13, 8, 1
_MAXMEM = 64 * 1024 * 1024


def _keyed(key: bytes, value: Any) -> bytes:
    return hmac.new(key, canonical_json(value).encode(), hashlib.sha256).digest()


@functools.lru_cache(maxsize=4096)  # a run compares each value once; tests and plans repeat
def _scrypt(secret: bytes, salt: bytes) -> str:
    return hashlib.scrypt(
        secret, salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=_MAXMEM, dklen=32
    ).hex()


def hash_value(value: Any, key: bytes, salt: bytes | None = None) -> str:
    """The stored form of a write-only value (a fresh random salt unless one is given)."""
    if salt is None:
        import secrets  # a new salt only: a no-op compares with the stored one (cold start)

        salt = secrets.token_bytes(16)
    return f"{PREFIX}{salt.hex()}:{_scrypt(_keyed(key, value), salt)}"


def matches(stored: Any, value: Any, key: bytes) -> bool:
    """Whether `stored` (a hash from state) is the hash of `value` under `key`."""
    if not isinstance(stored, str):
        return False
    if stored.startswith(PREFIX):
        salt_hex, _, _ = stored[len(PREFIX) :].partition(":")
        try:
            salt = bytes.fromhex(salt_hex)
        except ValueError:
            return False
        return hmac.compare_digest(hash_value(value, key, salt), stored)
    if stored.startswith(LEGACY_PREFIX):
        legacy = LEGACY_PREFIX + _keyed(key, value).hex()
        return hmac.compare_digest(legacy, stored)
    return False


def is_hash(value: Any) -> bool:
    return isinstance(value, str) and value.startswith((PREFIX, LEGACY_PREFIX))
