"""Where a run's resources live: the account, region and Cloud Control endpoint.

State records remember the target they were made at, so that a run pointed elsewhere (another
region, profile, account or endpoint) is never told that what it declares already exists.

Found without boto3 when the environment says it all (`from_environment`): no profile, the
region from App(region)/AWS_REGION/AWS_DEFAULT_REGION, the endpoint from App(endpoint_url)/
AWS_ENDPOINT_URL(_CLOUDCONTROL) or AWS's own for the region, credentials from AWS_ACCESS_KEY_ID
and AWS_SECRET_ACCESS_KEY, and the account from AWS_ACCOUNT_ID or the account cache. Otherwise
(profiles, SSO, instance roles, FIPS, endpoints set in the config file) from the Cloud Control
client, whose credentials may carry the account; else from the cache, else one STS
GetCallerIdentity, whose answer the cache keeps. An endpoint other than AWS's that serves no STS
is named by its URL alone (account "").

The account cache: a small JSON file (`accounts.json` in CLOUDFORGE_CACHE_DIR, else
$XDG_CACHE_HOME/cloudforge, else ~/.cache/cloudforge) mapping a SHA-256 of (access key id,
profile, endpoint) to the account. An access key id belongs to one account for good, so an
entry never goes stale; no key id or secret is stored.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class Target:
    """Where resources live: an account, a region and the endpoint that reaches them."""

    account: str
    region: str
    endpoint: str

    def __str__(self) -> str:
        return f"account {self.account}, region {self.region}, endpoint {self.endpoint}"


@dataclass(frozen=True, slots=True)
class Environment:
    """What the environment alone says about a run's target and credentials."""

    region: str
    endpoint: str
    access_key: str
    account: str  # "" when neither AWS_ACCOUNT_ID nor the cache knows it


# Regions of the `aws` partition, whose Cloud Control endpoint botocore builds as below
# (botocore's partitions.json regionRegex). Others (China, GovCloud, ISO) are left to botocore.
_AWS_REGION = re.compile(r"^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$")
# Settings of the config file's default profile that change the endpoint botocore picks.
_ENDPOINT_SETTINGS = frozenset(
    {"endpoint_url", "services", "use_fips_endpoint", "use_dualstack_endpoint",
     "ignore_configured_endpoint_urls"}
)

_ACCOUNTS: dict[str, str] = {}
_LOCK = threading.Lock()


def _env(name: str) -> str:
    return os.environ.get(name, "").strip()


def _config_moves_endpoint() -> bool:
    path = Path(_env("AWS_CONFIG_FILE") or "~/.aws/config").expanduser()
    if not path.is_file():
        return False
    import configparser  # here: a no-op run reads no AWS config (cold start)

    parser = configparser.RawConfigParser()
    try:
        parser.read(path)
    except (configparser.Error, OSError, UnicodeDecodeError):
        return True  # let botocore read it and report what is wrong
    return parser.has_section("default") and bool(
        _ENDPOINT_SETTINGS & set(parser.options("default"))
    )


def from_environment(
    *, region: str | None, profile: str | None, endpoint_url: str | None
) -> Environment | None:
    """The target as the environment states it, or None when only botocore can tell (a
    profile, credentials not in the environment, an endpoint the config file may move)."""
    if profile or _env("AWS_PROFILE") or _env("AWS_DEFAULT_PROFILE"):
        return None
    access_key = _env("AWS_ACCESS_KEY_ID")
    if not access_key or not _env("AWS_SECRET_ACCESS_KEY"):
        return None
    region = region or _env("AWS_REGION") or _env("AWS_DEFAULT_REGION")
    if not region:
        return None
    if any(_env(name).lower() == "true" for name in (
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_USE_FIPS_ENDPOINT",
        "AWS_USE_DUALSTACK_ENDPOINT",
    )) or _config_moves_endpoint():
        return None
    endpoint = endpoint_url or _env("AWS_ENDPOINT_URL_CLOUDCONTROL") or _env("AWS_ENDPOINT_URL")
    if not endpoint:
        if not _AWS_REGION.match(region):
            return None
        endpoint = f"https://cloudcontrolapi.{region}.amazonaws.com"
    parsed = urlsplit(endpoint)
    if parsed.scheme.lower() not in ("http", "https") or not parsed.hostname:
        return None  # botocore's error, through the client
    account = _env("AWS_ACCOUNT_ID") or cached_account(access_key, None, endpoint)
    return Environment(region, endpoint, access_key, account)


# -- the account cache ---------------------------------------------------------------------------


def cache_dir() -> Path:
    explicit = _env("CLOUDFORGE_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = _env("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return Path(base).expanduser() / "cloudforge"


def _key(access_key: str, profile: str | None, endpoint: str) -> str:
    material = "\0".join((access_key, profile or "", endpoint)).encode()
    return hashlib.sha256(material).hexdigest()


def _read_cache() -> dict[str, str]:
    try:
        data = json.loads((cache_dir() / "accounts.json").read_text())
    except (OSError, ValueError):
        return {}  # no cache, or a damaged one: it is only ever a shortcut
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def cached_account(access_key: str, profile: str | None, endpoint: str) -> str:
    """The account remembered for these credentials at this endpoint, or ""."""
    key = _key(access_key, profile, endpoint)
    with _LOCK:
        if key not in _ACCOUNTS:
            found = _read_cache().get(key)
            if not found:
                return ""
            _ACCOUNTS[key] = found
        return _ACCOUNTS[key]


def remember_account(access_key: str, profile: str | None, endpoint: str, account: str) -> None:
    """Keep the account (in this process, and on disk when it is a real one)."""
    key = _key(access_key, profile, endpoint)
    with _LOCK:
        _ACCOUNTS[key] = account
        if not account:
            return  # an emulator without STS: not worth remembering across processes
        folder = cache_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            entries = _read_cache()
            entries[key] = account
            # Written whole and renamed, so that a concurrent reader never sees half a file.
            import tempfile  # here: only the first run per credential writes the cache

            fd, temporary = tempfile.mkstemp(dir=folder, prefix=".accounts-")
            with os.fdopen(fd, "w") as out:
                json.dump(entries, out)
            os.replace(temporary, folder / "accounts.json")
        except OSError:
            pass  # an unwritable cache costs one STS call per run, nothing more


# -- through botocore ----------------------------------------------------------------------------


def account_of(session: Any, client: Any, profile: str | None) -> str:
    """The account of the session's credentials (which `client` signs with): from the
    credentials, the cache, or one STS call."""
    credentials = session.get_credentials()
    frozen = credentials.get_frozen_credentials() if credentials is not None else None
    if frozen is not None and getattr(frozen, "account_id", None):
        return str(frozen.account_id)
    endpoint = str(client.meta.endpoint_url)
    access_key = frozen.access_key if frozen else ""
    known = cached_account(access_key, profile, endpoint)
    if known or _key(access_key, profile, endpoint) in _ACCOUNTS:
        return known
    # The STS of the same endpoint as Cloud Control: a local cloud serves both.
    aws = "amazonaws.com" in endpoint
    sts = session.client(
        "sts", region_name=client.meta.region_name, endpoint_url=None if aws else endpoint
    )
    try:
        account = str(sts.get_caller_identity()["Account"])
    except Exception:
        if aws:
            raise
        account = ""  # an emulator without STS: its endpoint alone names the cloud
    remember_account(access_key, profile, endpoint, account)
    return account


def target_of(session: Any, client: Any, profile: str | None = None) -> Target:
    """The target a Cloud Control client acts on (at most one STS call, none when cached)."""
    return Target(
        account=account_of(session, client, profile),
        region=str(client.meta.region_name),
        endpoint=str(client.meta.endpoint_url),
    )
