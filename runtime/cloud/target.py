"""Where a run's resources live: the account, region and Cloud Control endpoint.

State records remember the target they were made at, so that a run pointed elsewhere (another
region, profile, account or endpoint) is never told that what it declares already exists. The
region and endpoint come from the Cloud Control client without a call; the account from the
credentials when they carry it (`AWS_ACCOUNT_ID`, a profile's `aws_account_id`, SSO), else from
one STS GetCallerIdentity, remembered per process for those credentials and that endpoint.
An endpoint other than AWS's that serves no STS is named by its URL alone (account "").
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Target:
    account: str
    region: str
    endpoint: str

    def __str__(self) -> str:
        return f"account {self.account}, region {self.region}, endpoint {self.endpoint}"


_ACCOUNTS: dict[tuple[str, str, str], str] = {}
_LOCK = threading.Lock()


def account_of(session: Any, client: Any) -> str:
    """The account of the session's credentials (which `client` signs with): from the
    credentials, a cache, or one STS call."""
    credentials = session.get_credentials()
    frozen = credentials.get_frozen_credentials() if credentials is not None else None
    if frozen is not None and getattr(frozen, "account_id", None):
        return str(frozen.account_id)
    endpoint = str(client.meta.endpoint_url)
    key = (frozen.access_key if frozen else "", str(client.meta.region_name), endpoint)
    with _LOCK:
        if key not in _ACCOUNTS:
            # The STS of the same endpoint as Cloud Control: a local cloud serves both.
            aws = "amazonaws.com" in endpoint
            sts = session.client(
                "sts", region_name=client.meta.region_name, endpoint_url=None if aws else endpoint
            )
            try:
                _ACCOUNTS[key] = str(sts.get_caller_identity()["Account"])
            except Exception:
                if aws:
                    raise
                # An emulator without STS: its endpoint alone names the cloud.
                _ACCOUNTS[key] = ""
        return _ACCOUNTS[key]


def target_of(session: Any, client: Any) -> Target:
    """The target a Cloud Control client acts on (at most one STS call, none when cached)."""
    return Target(
        account=account_of(session, client),
        region=str(client.meta.region_name),
        endpoint=str(client.meta.endpoint_url),
    )
