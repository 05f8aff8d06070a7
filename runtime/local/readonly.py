"""Values for read-only properties, derived generically from each property's name and schema.

A real handler fills identifiers, ARNs, states and timestamps; the emulator invents plausible
ones that satisfy the property's schema: the first enum value, an ARN in the type's shape, the
account or region when the name says so, the current time, else a string drawn from the
property's pattern (rstr) or an id of the right length. Nested read-only paths are filled where
their parent object exists.
"""

from __future__ import annotations

import random
import re
import string
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import rstr
from cloudforge.local.typeinfo import TypeInfo
from cloudforge.local.validation import compile_pattern

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account, so ARNs line up with moto's resources
_TIME_WORDS = {"Time", "Timestamp", "Date", "At", "DateTime"}
_MAX_DEPTH = 4
# Services whose ARNs carry no region.
_GLOBAL_SERVICES = {"iam", "cloudfront", "route53", "organizations", "waf", "globalaccelerator"}


class _ShortRstr(rstr.Rstr):
    """rstr with `*` and `+` repeating a few times rather than up to 100 (ids, not essays)."""

    def __init__(self, rng: random.Random, extra: int = 8) -> None:
        super().__init__(rng)
        self._extra = extra

    def _handle_repeat(self, start_range: int, end_range: int, value: str) -> str:
        return str(super()._handle_repeat(start_range, min(end_range, start_range + self._extra), value))


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    for _ in range(8):
        ref = node.get("$ref")
        if not (isinstance(ref, str) and ref.startswith("#/definitions/")):
            break
        target = schema.get("definitions", {}).get(ref.split("/")[-1], {})
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _fits(value: str, prop: dict[str, Any]) -> bool:
    pattern = prop.get("pattern")
    if isinstance(pattern, str):
        compiled = compile_pattern(pattern)
        if compiled is not None and compiled.search(value) is None:
            return False
    low: int = prop.get("minLength", 0)
    high: int = prop.get("maxLength", 1 << 30)
    return low <= len(value) <= high


def _kebab(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", name).lower()


def _words(name: str) -> list[str]:
    return re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", name)


def _from_pattern(prop: dict[str, Any], rng: random.Random) -> str | None:
    pattern = prop.get("pattern")
    if not isinstance(pattern, str):
        return None
    # Short repeats first; longer ones when the length bounds ask for more (`^dom-[a-z0-9]+$`, 20-25).
    longer = int(prop.get("minLength", 0)) + 2
    for extra in (8, 8, 8, *[longer] * 8, 40, 40):
        try:
            candidate = str(_ShortRstr(rng, extra).xeger(pattern))
        except Exception:  # rstr parses with Python's re: ECMA-only syntax (\p{L}) is beyond it
            return None
        if _fits(candidate, prop):
            return candidate
    return None


def _sized(rng: random.Random, prop: dict[str, Any], alphabet: str) -> str:
    """A string of `alphabet` characters as long as the property's length bounds allow, near 12."""
    low, high = prop.get("minLength", 1), prop.get("maxLength", 1 << 30)
    size = max(low, min(high, 12))
    return "".join(rng.choice(alphabet) for _ in range(size))


def random_id(rng: random.Random, prop: dict[str, Any], prefix: str = "") -> str:
    """An id satisfying the property's pattern and length when one of the usual shapes does.

    The shapes, in order: a UUID, `<prefix><17 hex>` (EC2), 12 lowercase alphanumerics, 13
    uppercase ones, hex, digits; then a string drawn from the pattern; then one sized to fit.
    """
    hex17 = "".join(rng.choice("0123456789abcdef") for _ in range(17))
    alnum = "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(12))
    upper = "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(13))
    uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    # With a prefix (EC2 types), the EC2 shape `vpc-0a1b...` comes first.
    shapes: list[str] = [f"{prefix}{hex17}", uid] if prefix else [uid]
    for candidate in [*shapes, alnum, upper, hex17, uid.replace("-", ""), str(rng.randint(1, 10**9))]:
        if _fits(candidate, prop):
            return candidate
    drawn = _from_pattern(prop, rng)
    if drawn is not None:
        return drawn
    for alphabet in (string.ascii_lowercase + string.digits, string.digits, string.ascii_uppercase + string.digits,
                     string.ascii_letters):
        candidate = _sized(rng, prop, alphabet)
        if _fits(candidate, prop):
            return candidate
    return uid


# ARN layouts the AWS documentation gives where the generic `<kind>/<id>` is wrong: no resource
# type (SQS, SNS), `<kind>:<id>` (Logs, Lambda, RDS, ...), or a kind spelt otherwise (RDS "cluster").
_ARN_LAYOUTS = {
    "AWS::SQS::Queue": "arn:aws:sqs:{region}:{account}:{id}",
    "AWS::SNS::Topic": "arn:aws:sns:{region}:{account}:{id}",
    "AWS::Logs::LogGroup": "arn:aws:logs:{region}:{account}:log-group:{id}:*",
    "AWS::Logs::LogStream": "arn:aws:logs:{region}:{account}:log-group:{id}",
    "AWS::Lambda::Function": "arn:aws:lambda:{region}:{account}:function:{id}",
    "AWS::RDS::DBCluster": "arn:aws:rds:{region}:{account}:cluster:{id}",
    "AWS::RDS::DBInstance": "arn:aws:rds:{region}:{account}:db:{id}",
    "AWS::SSM::Parameter": "arn:aws:ssm:{region}:{account}:parameter/{id}",
    "AWS::DynamoDB::Table": "arn:aws:dynamodb:{region}:{account}:table/{id}",
    "AWS::SecretsManager::Secret": "arn:aws:secretsmanager:{region}:{account}:secret:{id}",
    "AWS::StepFunctions::StateMachine": "arn:aws:states:{region}:{account}:stateMachine:{id}",
}
# Services whose ARNs separate the resource type from the id with `:` rather than `/`.
_COLON_SERVICES = {"logs", "lambda", "rds", "elasticache", "redshift", "codedeploy", "states", "secretsmanager",
                   "glue", "es", "appsync"}


def arn_for(info: TypeInfo, prop: dict[str, Any], resource_id: str, rng: random.Random, *,
            account: str = ACCOUNT, region: str = REGION) -> str:
    """An ARN in the type's documented shape when it satisfies the pattern, else the first usual
    layout that does, else one drawn from the pattern."""
    known = _ARN_LAYOUTS.get(info.type_name)
    if known is not None:
        candidate = known.format(region=region, account=account, id=resource_id.lstrip("/") if "/{id}" in known else resource_id)
        if _fits(candidate, prop):
            return candidate
    kind = _kebab(info.resource)
    services = [info.service]
    pattern = prop.get("pattern")
    if isinstance(pattern, str):
        # The pattern usually spells the ARN's service (`access-analyzer`, `execute-api`).
        services = [*re.findall(r":([a-z][a-z0-9-]+):", pattern.replace("\\", "")), info.service]
    if isinstance(pattern, str):
        # The pattern may spell the resource type after the account (`:[0-9]{12}:secret:`).
        spelt = re.search(r"\{12\}:([a-zA-Z][a-zA-Z0-9-]*)([:/])", pattern.replace("\\", ""))
        if spelt is not None:
            candidate = f"arn:aws:{services[0]}:{region}:{account}:{spelt.group(1)}{spelt.group(2)}{resource_id.lstrip('/')}"
            if _fits(candidate, prop):
                return candidate
    for service in services:
        slash = f"{kind}/{resource_id.lstrip('/')}"
        colon = f"{kind}:{resource_id}"
        layouts = [
            f"arn:aws:{service}:{region}:{account}:{colon if service in _COLON_SERVICES else slash}",
            f"arn:aws:{service}:{region}:{account}:{slash}",
            f"arn:aws:{service}:{region}:{account}:{colon}",
            f"arn:aws:{service}:{region}:{account}:{resource_id}",
            f"arn:aws:{service}:::{resource_id}",
            f"arn:aws:{service}::{account}:{slash}",
        ]
        if service in _GLOBAL_SERVICES:
            layouts.insert(0, layouts.pop())
        for candidate in layouts:
            if _fits(candidate, prop):
                return candidate
    return _from_pattern(prop, rng) or f"arn:aws:{info.service}:{region}:{account}:{kind}/{resource_id}"


# IAM unique ids: a prefix naming the kind, then 17 uppercase letters and digits.
_IAM_ID_PREFIXES = {"Role": "AROA", "User": "AIDA", "Group": "AGPA", "ManagedPolicy": "ANPA",
                    "InstanceProfile": "AIPA", "AccessKey": "AKIA"}


def _iam_id(info: TypeInfo, node: dict[str, Any], rng: random.Random) -> str | None:
    prefix = _IAM_ID_PREFIXES.get(info.resource)
    if prefix is None:
        return None
    candidate = prefix + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(17))
    return candidate if _fits(candidate, node) else None


def _host(info: TypeInfo, model: dict[str, Any], name: str, node: dict[str, Any], rng: random.Random,
          region: str) -> str | None:
    """A DNS name for an endpoint, address or host property: `<id>.<random>.<region>.<service>.amazonaws.com`."""
    own = re.sub(r"[^a-z0-9-]", "-", _own_id(info, model, name, rng).lower()).strip("-")[:40] or "cc"
    cluster = "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(12))
    candidate = f"{own}.{cluster}.{region}.{info.service}.amazonaws.com"
    return candidate if _fits(candidate, node) else None


def _timestamp(kind: str, prop: dict[str, Any]) -> Any:
    now = time.time()
    if kind == "integer":
        return int(now)
    if kind == "number":
        return now
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def sample(info: TypeInfo, name: str, node: dict[str, Any], model: dict[str, Any], rng: random.Random,
           depth: int = 0, *, account: str = ACCOUNT, region: str = REGION) -> Any:
    """A plausible value for property `name` with schema `node`, from its name, type and constraints."""
    node = _resolve(info.schema, node)
    for combinator in ("oneOf", "anyOf"):
        branches = node.get(combinator)
        if (("type" not in node or "properties" not in node) and isinstance(branches, list) and branches
                and isinstance(branches[0], dict)):
            # The first alternative, with the node's own keywords (a shared `type`, `properties`) kept.
            node = {**{k: v for k, v in node.items() if k != combinator}, **_resolve(info.schema, branches[0])}
            break
    if node.get("enum"):
        return node["enum"][0]
    if "const" in node:
        return node["const"]
    kind = node.get("type")
    if isinstance(kind, list):
        kind = kind[0] if kind else None
    if kind is None:
        kind = "object" if "properties" in node else "array" if "items" in node else "string"
    words = _words(name)
    if words and (words[-1] in _TIME_WORDS or "Time" in words or "Timestamp" in words) and kind in ("string", "number", "integer"):
        value = _timestamp(kind, node)
        if kind != "string" or _fits(value, node):
            return value
    if kind in ("integer", "number"):
        low = node.get("minimum", 1)
        high = node.get("maximum", max(low, 65535 if words and words[-1] == "Port" else 10**6))
        if words and words[-1] == "Port":
            low = max(low, 1024) if high >= 1024 else low
        value = rng.randint(int(low), int(max(low, high)))
        return value if kind == "integer" else float(value)
    if kind == "boolean":
        return False
    if kind == "array":
        count = node.get("minItems", 0)
        item = node.get("items", {})
        return ([sample(info, name, item, model, rng, depth + 1, account=account, region=region) for _ in range(count)]
                if depth < _MAX_DEPTH else [])
    if kind == "object":
        props = node.get("properties", {})
        if depth >= _MAX_DEPTH:
            return {}
        return {key: sample(info, key, props.get(key, {}), model, rng, depth + 1, account=account, region=region)
                for key in node.get("required", []) if isinstance(key, str)}
    lowered = name.lower()
    if "account" in lowered and _fits(account, node):
        return account
    if "region" in lowered and _fits(region, node):
        return region
    pattern = node.get("pattern")
    if lowered.endswith("arn") or (isinstance(pattern, str) and pattern.lstrip("^").startswith("arn")):
        return arn_for(info, node, _own_id(info, model, name, rng), rng, account=account, region=region)
    if (lowered.endswith("url") or lowered.endswith("uri")) and "pattern" not in node:
        return f"https://{info.service}.{region}.amazonaws.com/{account}/{_own_id(info, model, name, rng)}"
    if words and words[-1] == "Port":
        port = str(rng.randint(1024, 65535))
        if _fits(port, node):
            return port
    if words and words[-1] in ("Address", "Endpoint", "Hostname", "Host", "DNSName", "DnsName") and "Ip" not in words:
        host = _host(info, model, name, node, rng, region)
        if host is not None:
            return host
    if info.service == "iam" and words and words[-1] == "Id":
        iam_id = _iam_id(info, node, rng)
        if iam_id is not None:
            return iam_id
    return random_id(rng, node, _id_prefix(info) if info.service == "ec2" else "")


def _id_prefix(info: TypeInfo) -> str:
    """EC2-style id prefix: `vpc-`, `subnet-` for one-word types, initials (`sg-`) for longer ones."""
    words = _words(info.resource)
    return (words[0].lower() if len(words) == 1 else "".join(w[0] for w in words).lower()) + "-"


def _own_id(info: TypeInfo, model: dict[str, Any], name: str, rng: random.Random) -> str:
    """The short id an ARN ends with: the resource's name or own identifier when it has one.

    A name property (`TopicName`, `Name`) comes first, as AWS builds most ARNs from names; an
    identifier that is a URL or an ARN gives its last segment.
    """
    for candidate in (f"{info.resource}Name", "Name"):
        value = model.get(candidate)
        if isinstance(value, str) and value:
            return value
    if name not in info.primary_identifier:
        own = info.identifier_of(model)
        if own is not None:
            last = re.split(r"[/:]", own.split("|")[-1].rstrip("/"))[-1]
            if last:
                return last
    return random_id(rng, {})


def _fill_path(info: TypeInfo, node: Any, path: tuple[str, ...], schema_node: dict[str, Any],
               model: dict[str, Any], rng: random.Random, where: tuple[str, str]) -> None:
    """Give the read-only value at `path` (under `node`) a value where its parent exists."""
    schema_node = _resolve(info.schema, schema_node)
    head, rest = path[0], path[1:]
    if head == "*":
        if isinstance(node, list) and rest:
            for item in node:
                _fill_path(info, item, rest, schema_node.get("items", {}), model, rng, where)
        return
    if not isinstance(node, dict):
        return
    child_schema = schema_node.get("properties", {}).get(head)
    if child_schema is None:
        return
    if rest:
        if head in node:
            _fill_path(info, node[head], rest, child_schema, model, rng, where)
    elif head not in node:
        node[head] = sample(info, head, child_schema, model, rng, account=where[0], region=where[1])


def fill_read_only(info: TypeInfo, model: dict[str, Any], rng: random.Random, *, account: str = ACCOUNT,
                   region: str = REGION) -> dict[str, Any]:
    """`model` with every read-only property given a value; identifiers first, so ARNs can use them.

    ARNs and account or region values are those of `account` and `region` (the cloud's).
    """
    filled = dict(model)
    paths = sorted(info.read_only, key=lambda p: (len(p) > 1, p[0] not in info.primary_identifier,
                                                  p[0].lower().endswith("arn")))
    for path in paths:
        _fill_path(info, filled, path, info.schema, filled, rng, (account, region))
    return filled


def generated_name(info: TypeInfo, prop: dict[str, Any], rng: random.Random) -> str:
    """A name for a writable identifier the caller left out (AWS generates one, as CloudFormation does)."""
    prop = _resolve(info.schema, prop)
    suffix = "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(12))
    for candidate in (f"cc-{_kebab(info.resource)}-{suffix}", f"cc{suffix}", suffix, suffix.upper()):
        if _fits(candidate, prop):
            return candidate
    return random_id(rng, prop)
