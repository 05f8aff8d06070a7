"""Cloud Control's request quota: token buckets per account and region, as AWS throttles.

`Quota(rate=20)` gives every (account, region) one bucket of 20 calls/s with a burst of 20 for
all Cloud Control calls; `read_rate` / `write_rate` give reads (Get, List, status reads) and
writes (Create, Update, Delete, Cancel) budgets of their own. A call finding its bucket empty is
answered `ThrottlingException` (HTTP 400, "Rate exceeded"), as AWS answers, and does nothing.
The account is the access key's (any key is accepted, as moto does), the region the one the
request was signed for.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cloudforge.cloud.ratelimit import TokenBucket, kind_of

# Credential=AKID/20260101/us-east-1/cloudcontrolapi/aws4_request
_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/,\s]+)/")


def caller(environ: dict[str, Any]) -> tuple[str, str]:
    """(access key, region) the request was signed with; ("", "") when it is not signed."""
    found = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    return (found.group(1), found.group(2)) if found else ("", "")


@dataclass
class Quota:
    """The throttling configuration; None everywhere means no quota (the default)."""

    rate: float | None = None
    read_rate: float | None = None
    write_rate: float | None = None
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)

    def __post_init__(self) -> None:
        for name in ("rate", "read_rate", "write_rate"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be positive calls per second, not {value}")
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return any(r is not None for r in (self.rate, self.read_rate, self.write_rate))

    def _limit(self, kind: str) -> tuple[str, float] | None:
        """(bucket name, rate) for a call of this kind, or None when it is not limited."""
        own = self.read_rate if kind == "read" else self.write_rate
        if own is not None:
            return kind, own
        if self.rate is not None:
            return "all", self.rate
        return None

    def admit(self, operation: str, environ: dict[str, Any]) -> bool:
        """Whether this call fits its bucket now (it takes the token when it does)."""
        limit = self._limit(kind_of(operation))
        if limit is None:
            return True
        name, rate = limit
        account, region = caller(environ)
        with self._lock:
            bucket = self._buckets.get((account, region, name))
            if bucket is None:
                bucket = self._buckets[(account, region, name)] = TokenBucket(rate, max(1.0, rate))
            return bucket.try_take(self.clock())

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
