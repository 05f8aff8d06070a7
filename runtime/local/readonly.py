"""Values for read-only properties, derived generically from each property's name and schema.

A real handler fills identifiers, ARNs and timestamps; the emulator invents plausible ones: an
ARN in the type's shape, an id that satisfies the property's pattern, the current time.
"""

from __future__ import annotations

import random
import string
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from cloudforge.local.typeinfo import TypeInfo
from cloudforge.local.validation import compile_pattern

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account, so ARNs line up with moto's resources


def _resolve(schema: dict[str, Any], prop: dict[str, Any]) -> dict[str, Any]:
    ref = prop.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/definitions/"):
        resolved = schema.get("definitions", {}).get(ref.split("/")[-1], {})
        return {**resolved, **{k: v for k, v in prop.items() if k != "$ref"}}
    return prop


def _fits(value: str, prop: dict[str, Any]) -> bool:
    pattern = prop.get("pattern")
    if isinstance(pattern, str):
        compiled = compile_pattern(pattern)
        if compiled is not None and compiled.search(value) is None:
            return False
    if len(value) > prop.get("maxLength", 1 << 30) or len(value) < prop.get("minLength", 0):
        return False
    return True


def _kebab(name: str) -> str:
    out = "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")
    return out


def random_id(rng: random.Random, prop: dict[str, Any], prefix: str = "") -> str:
    """An id satisfying the property's pattern and length when one of the usual shapes does."""
    hex17 = "".join(rng.choice("0123456789abcdef") for _ in range(17))
    alnum = "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(12))
    upper = "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(13))
    uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    for candidate in (uid, f"{prefix}{hex17}", alnum, upper, hex17, uid.replace("-", ""), str(rng.randint(1, 10**9))):
        if _fits(candidate, prop):
            return candidate
    return uid


def arn_for(info: TypeInfo, prop: dict[str, Any], resource_id: str) -> str:
    """An ARN in the type's shape: the first of the usual layouts that satisfies the pattern."""
    service, kind = info.service, _kebab(info.resource)
    for candidate in (
        f"arn:aws:{service}:{REGION}:{ACCOUNT}:{kind}/{resource_id}",
        f"arn:aws:{service}:{REGION}:{ACCOUNT}:{kind}:{resource_id}",
        f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource_id}",
        f"arn:aws:{service}:::{resource_id}",
        f"arn:aws:{service}::{ACCOUNT}:{kind}/{resource_id}",
    ):
        if _fits(candidate, prop):
            return candidate
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{kind}/{resource_id}"


def value_for(info: TypeInfo, name: str, prop: dict[str, Any], model: dict[str, Any], rng: random.Random) -> Any:
    """A plausible value for read-only property `name`, from its name, type and pattern."""
    prop = _resolve(info.schema, prop)
    kind = prop.get("type", "string")
    if isinstance(kind, list):
        kind = kind[0]
    lowered = name.lower()
    if any(word in lowered for word in ("time", "date", "timestamp", "createdat", "updatedat")):
        now = time.time()
        if kind in ("number", "integer"):
            return int(now) if kind == "integer" else now
        return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"
    if kind == "integer":
        return rng.randint(1, 10**6)
    if kind == "number":
        return float(rng.randint(1, 10**6))
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "object":
        return {}
    if "region" in lowered:
        return REGION
    if lowered.endswith("arn"):
        own_id = info.identifier_of(model)
        if own_id is None or any(p == name for p in info.primary_identifier):
            own_id = random_id(rng, {})
        return arn_for(info, prop, own_id)
    if lowered.endswith("url") or lowered.endswith("uri"):
        return f"https://{random_id(rng, {})}.{info.service}.{REGION}.amazonaws.com"
    prefix = "".join(c for c in info.resource if c.isupper()).lower() + "-"
    return random_id(rng, prop, prefix)


def fill_read_only(info: TypeInfo, model: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """`model` with every top-level read-only property given a value; identifiers first, so ARNs can use them."""
    filled = dict(model)
    props = info.schema.get("properties", {})
    names = [p[0] for p in info.read_only if len(p) == 1 and p[0] in props]
    names.sort(key=lambda n: (n not in info.primary_identifier, n.lower().endswith("arn")))
    for name in names:
        if name not in filled:
            filled[name] = value_for(info, name, props[name], filled, rng)
    return filled


def generated_name(info: TypeInfo, prop: dict[str, Any], rng: random.Random) -> str:
    """A name for a writable identifier the caller left out (AWS generates one, as CloudFormation does)."""
    prop = _resolve(info.schema, prop)
    suffix = "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(12))
    for candidate in (f"cc-{_kebab(info.resource)}-{suffix}", f"cc{suffix}", suffix, suffix.upper()):
        if _fits(candidate, prop):
            return candidate
    return random_id(rng, prop)
